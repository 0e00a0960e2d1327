// Checks the built-in decks in decks/ against a reference table written by hand from the five source documents in
// shared/seeds (000_..., 001_..., 002_..., 003_..., 004_...). The table is the second, independent statement of each
// fact: if a card's answer is changed to a wrong one, the card no longer agrees with the table and this test fails.
//
// Conventions the decks follow so that they can be checked:
// - every classify card's categories are a subset of exactly one table's categories below, and every item text is a
//   key of that table (item texts are written the same way wherever the same fact appears);
// - every choice, multi, truefalse, typed and cloze card has an entry, keyed by its id, in the tables of answers;
//   "who is responsible" choices use the labels in WHO_LABEL, service-category choices those in CATEGORY_LABEL, MFA
//   device choices those in DEVICE_LABEL, and their expected answer is computed from the fact tables.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CARD_TYPES } from '../src/core/types.js';
import type { CardSpec } from '../src/core/types.js';
import { parseCloze } from '../src/decks/cloze.js';
import { parseDeck } from '../src/decks/parse.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DECK_DIR = join(ROOT, 'decks');
const SEEDS_DIR = process.env.RECALL_SEEDS_DIR ?? join(ROOT, '..', 'shared', 'seeds');

const SEED_FILES = [
  '000_a45be12a6a2ac9ed.txt',
  '001_9c0d2919b8bf9e57.txt',
  '002_47fa3311f17d69b0.txt',
  '003_46efd0ede5398dc6.txt',
  '004_9794c3cc8fa3ad2d.txt',
] as const;

/** Deck file → the prefix every id in it starts with. */
const DECK_PREFIX: Record<string, string> = {
  '01-authn-authz.deck': 'auth-',
  '02-mfa.deck': 'mfa-',
  '03-root-user.deck': 'root-',
  '04-shared-responsibility.deck': 'srm-',
  '05-shared-controls.deck': 'shc-',
  '06-service-categories.deck': 'cat-',
  '07-iam.deck': 'iam-',
  '08-organizations.deck': 'org-',
  '09-network-data-protection.deck': 'net-',
};

// ---------------------------------------------------------------------------------------------------------------
// REFERENCE TABLE: facts, written by hand from the documents.

type Who = 'AWS' | 'Customer' | 'Shared';

/**
 * Who is responsible. 002 § Real-World Examples prints the AWS items (physical security, hypervisor, infrastructure
 * devices, EC2 hardware, VPC components, AZ software, RDS OS patching) under a second heading "customer
 * responsibilities"; 000, 001, 003, 004 and 002's own other sections show they are AWS's, and that is what is here.
 */
const RESPONSIBILITY: Record<string, Who> = {
  // AWS: security of the cloud (000 § What Is AWS Responsible For?, 001 § AWS: Security of the cloud, 002, 003)
  'Physical security of data centers': 'AWS',
  'Protecting AWS Regions, Availability Zones, and edge locations': 'AWS',
  'Managing the host operating system': 'AWS',
  'Managing the virtualization layer': 'AWS',
  'Applying updates to the hypervisor': 'AWS',
  'Maintaining the configuration of infrastructure devices': 'AWS',
  'Maintaining the underlying hardware of Amazon EC2 instances': 'AWS',
  'Maintaining VPC components': 'AWS',
  'Maintaining the software that powers Availability Zones': 'AWS',
  'Patching the operating system of Amazon RDS instances': 'AWS',
  'Hardware and software infrastructure': 'AWS',
  'Network infrastructure': 'AWS',
  'Virtualization infrastructure': 'AWS',
  // Customer: security in the cloud (000 § What Is the Customer Responsible For?, 001 § Customers, 002 first list)
  'Choosing a Region in line with data sovereignty regulations': 'Customer',
  'Encrypting your data and managing backups': 'Customer',
  'Controlling who has access to your data and AWS resources': 'Customer',
  'Patching the guest operating system on an Amazon EC2 instance': 'Customer',
  'Selecting, configuring, and patching the operating systems that run on EC2 instances': 'Customer',
  'Configuring security groups': 'Customer',
  'Configuring network ACLs': 'Customer',
  'Managing user accounts': 'Customer',
  'Deciding which content to store on AWS': 'Customer',
  'Granting, managing, and revoking access rights': 'Customer',
  'Controlling access to DynamoDB tables': 'Customer',
  'Configuring the AWS-provided security group firewall': 'Customer',
  'Classifying company assets in the AWS Cloud': 'Customer',
  'Managing the code within a Lambda function': 'Customer',
  'Performing client-side data encryption': 'Customer',
  'Configuring IAM credentials': 'Customer',
  'Configuring the operating system of Amazon EC2 instances': 'Customer',
  'Enabling client-side encryption for objects stored in Amazon S3': 'Customer',
  'Configuring IAM policies to follow least privilege': 'Customer',
  'Managing encryption options for data stored on AWS': 'Customer',
  'Rotating IAM user access keys and secret keys': 'Customer',
  // Shared controls (002 § Shared Controls)
  'Patch management': 'Shared',
  'Configuration management': 'Shared',
  'Awareness and training': 'Shared',
  'Patch management: the physical servers': 'AWS',
  'Patch management: the hypervisor layer of EC2 instances': 'AWS',
  'Patch management: guest operating systems': 'Customer',
  'Patch management: applications you run': 'Customer',
  'Configuration management: infrastructure devices': 'AWS',
  'Configuration management: guest operating systems': 'Customer',
  'Configuration management: databases you deploy': 'Customer',
  'Configuration management: applications you deploy': 'Customer',
  'Awareness and training: AWS employees': 'AWS',
  "Awareness and training: the customer's personnel": 'Customer',
  // By service category (000 tables, 003 models, 004 table)
  'Infrastructure services: the underlying infrastructure and foundation services': 'AWS',
  'Infrastructure services: the operating system': 'Customer',
  'Infrastructure services: the application platform': 'Customer',
  'Infrastructure services: encrypting, protecting, and managing customer data': 'Customer',
  'Infrastructure services: firewall and network configuration': 'Customer',
  'Container services: the infrastructure and foundation services': 'AWS',
  'Container services: the operating system': 'AWS',
  'Container services: the application platform': 'AWS',
  'Container services: encrypting customer data': 'Customer',
  'Container services: network firewalls and backups for your data': 'Customer',
  'Container services: configuring the security groups an RDS database uses': 'Customer',
  'Abstracted services: the infrastructure layer, operating system, and platforms': 'AWS',
  'Abstracted services: server-side encryption and data protection': 'AWS',
  'Abstracted services: managing customer data': 'Customer',
  'Abstracted services: client-side encryption': 'Customer',
  'Abstracted services: IAM permissions such as S3 bucket policies': 'Customer',
  // IaaS / PaaS / serverless (002 § Special Cases)
  'IaaS: managing and patching the guest OS of EC2 instances': 'Customer',
  'PaaS: the OS and database software of Amazon RDS, including patches': 'AWS',
  'PaaS: managing access permissions to the service': 'Customer',
  'Serverless: the infrastructure underneath AWS Lambda': 'AWS',
  'Serverless: keeping the code in Lambda functions free from vulnerabilities': 'Customer',
  "Serverless: each function's permissions to other AWS resources": 'Customer',
  'Serverless: securing the data functions process and output': 'Customer',
};

type Category = 'Infrastructure' | 'Container' | 'Abstracted';

/** Service category (000, 003, 004). DynamoDB: abstracted per 003 and 004 (002 groups it with RDS as PaaS). */
const SERVICE_CATEGORY: Record<string, Category> = {
  'Amazon EC2': 'Infrastructure',
  'Elastic Load Balancing': 'Infrastructure',
  'Amazon RDS': 'Container',
  'AWS Elastic Beanstalk': 'Container',
  'Amazon EMR (Elastic MapReduce)': 'Container',
  'Amazon S3': 'Abstracted',
  'Amazon DynamoDB': 'Abstracted',
  'Amazon Glacier': 'Abstracted',
  'Amazon SQS': 'Abstracted',
  // What each side does in each category (000's two tables)
  'AWS manages the underlying infrastructure and foundation services, and no more': 'Infrastructure',
  'AWS also manages the operating system and application platform': 'Container',
  'AWS also operates server-side encryption and data protection': 'Abstracted',
  'You control the operating system and application platform, and encrypt, protect, and manage your data': 'Infrastructure',
  'You are responsible for your data, encrypting it, and protecting it through network firewalls and backups': 'Container',
  'You manage your data and protect it through client-side encryption': 'Abstracted',
};

/** 002 § Special Cases. */
const SERVICE_MODEL: Record<string, 'IaaS' | 'PaaS' | 'Serverless'> = {
  'Amazon EC2': 'IaaS',
  'Amazon RDS': 'PaaS',
  'AWS Lambda': 'Serverless',
};

type Device = 'Virtual MFA' | 'Hardware MFA' | 'U2F security key';

/** 000 § Review Supported MFA Devices; Gemalto and NitroKey from 004. */
const MFA_DEVICE: Record<string, Device> = {
  Authy: 'Virtual MFA',
  'Duo Mobile': 'Virtual MFA',
  'LastPass Authenticator': 'Virtual MFA',
  'Microsoft Authenticator': 'Virtual MFA',
  'Google Authenticator': 'Virtual MFA',
  'Key fob': 'Hardware MFA',
  'Display card': 'Hardware MFA',
  Gemalto: 'Hardware MFA',
  YubiKey: 'U2F security key',
  NitroKey: 'U2F security key',
  'A software app on a phone or other device that provides a one-time passcode': 'Virtual MFA',
  'Can run on unsecured mobile devices': 'Virtual MFA',
  'A key fob or display card that generates a one-time six-digit numeric code': 'Hardware MFA',
  'A hardware device that you plug into a USB port on your computer': 'U2F security key',
};

/** 000 § The Case for Multi-Factor Authentication. */
const MFA_FACTOR: Record<string, 'Something you know' | 'Something you have' | 'Something you are'> = {
  'A password': 'Something you know',
  'A PIN number': 'Something you know',
  'A one-time passcode from a hardware device': 'Something you have',
  'A one-time passcode from a mobile app': 'Something you have',
  'A fingerprint': 'Something you are',
  'Face scanning': 'Something you are',
};

/** 000 § Understand Authentication / § Understand Authorization. */
const AUTH: Record<string, 'Authentication' | 'Authorization'> = {
  'Checking the email address and password you type when signing in': 'Authentication',
  'Scanning a fingerprint to sign in': 'Authentication',
  'Entering a one-time code from an MFA device at sign-in': 'Authentication',
  'Presenting an access key ID and secret access key with AWS CLI requests': 'Authentication',
  'Deciding whether a user may read, edit, delete, or create a resource': 'Authorization',
  'Giving users permission to access AWS resources and services': 'Authorization',
  'An IAM policy that lets the cashier list the objects in one S3 bucket': 'Authorization',
};

/** 003 § Security Groups and NACLs (and § Shared Responsibility Model: Container Services for RDS). */
const NETWORK: Record<string, 'Security group' | 'Network ACL'> = {
  'Operates at the instance level': 'Security group',
  'Operates at the subnet level': 'Network ACL',
  Stateful: 'Security group',
  Stateless: 'Network ACL',
  'You must write rules for both inbound and outbound traffic because it keeps no state': 'Network ACL',
  'Can allow traffic from addresses in another, pre-configured security group': 'Security group',
  'Associated with specific subnets, which helps protect against DDoS attacks': 'Network ACL',
  'Used by Amazon RDS, and configured by the customer': 'Security group',
};

/** 001 § IAM users, groups, roles, policies. */
const IAM_CONCEPT: Record<string, 'IAM user' | 'IAM group' | 'IAM role' | 'IAM policy'> = {
  'An identity with a name and credentials that represents a person or application': 'IAM user',
  'Has no permissions when first created': 'IAM user',
  'A collection of IAM users': 'IAM group',
  'The "Cashiers" in the coffee shop': 'IAM group',
  'An identity you assume to gain temporary permissions, with no username or password': 'IAM role',
  'What the employee who rotates between workstations uses': 'IAM role',
  'A JSON document that allows or denies permissions': 'IAM policy',
  'What lets the cashier view the receipts in AWSDOC-EXAMPLE-BUCKET': 'IAM policy',
};

/** 001 § Example: IAM policy. */
const POLICY_ELEMENT: Record<string, 'Effect' | 'Action' | 'Resource'> = {
  Allow: 'Effect',
  Deny: 'Effect',
  "An AWS API call, such as the S3 call in the cashier's policy": 'Action',
  'The AWS resource the API call is for, such as the AWSDOC-EXAMPLE-BUCKET bucket': 'Resource',
};

/** 001 § AWS Organizations: SCPs apply to root / OU / account and affect everyone incl. the root user. */
const POLICY_KIND: Record<string, 'SCP' | 'IAM policy' | 'Both'> = {
  'Can be applied to the organization root': 'SCP',
  'Can be applied to an organizational unit': 'SCP',
  'Can be applied to an individual member account': 'SCP',
  'Affects the AWS account root user': 'SCP',
  'Can be attached directly to an individual IAM user': 'IAM policy',
  'Affects IAM roles': 'Both',
};

/** 001 § Step 2 / § Step 3. */
const ORG_PLACEMENT: Record<string, 'Directly under the root' | 'In an OU with another department'> = {
  Finance: 'Directly under the root',
  'Information technology (IT)': 'Directly under the root',
  'Human resources (HR)': 'In an OU with another department',
  Legal: 'In an OU with another department',
};

/** 002 § Shared Controls. */
const SHARED_CONTROL: Record<string, 'Patch management' | 'Configuration management' | 'Awareness and training'> = {
  'AWS patches the physical servers and the hypervisor layer': 'Patch management',
  'Customers patch their guest operating systems and applications': 'Patch management',
  'AWS configures and secures its infrastructure devices': 'Configuration management',
  'Customers configure their guest operating systems, databases, and applications': 'Configuration management',
  'AWS trains its employees on security protocols and best practices': 'Awareness and training',
  'Customers educate their own personnel': 'Awareness and training',
};

/** 000 § Understand the AWS Root User Credentials. */
const ACCESS_KEY_PART: Record<string, 'Access key ID' | 'Secret access key'> = {
  A2lAl5EXAMPLE: 'Access key ID',
  'wJalrFE/KbEKxE': 'Secret access key',
};

/** A classify card is checked against the one table whose categories include all of the card's. */
const CLASSIFY_TABLES: { name: string; categories: string[]; table: Record<string, string> }[] = [
  { name: 'responsibility', categories: ['AWS', 'Customer', 'Shared'], table: RESPONSIBILITY },
  { name: 'service category', categories: ['Infrastructure', 'Container', 'Abstracted'], table: SERVICE_CATEGORY },
  { name: 'service model', categories: ['IaaS', 'PaaS', 'Serverless'], table: SERVICE_MODEL },
  { name: 'MFA device', categories: ['Virtual MFA', 'Hardware MFA', 'U2F security key'], table: MFA_DEVICE },
  { name: 'MFA factor', categories: ['Something you know', 'Something you have', 'Something you are'], table: MFA_FACTOR },
  { name: 'authn/authz', categories: ['Authentication', 'Authorization'], table: AUTH },
  { name: 'network', categories: ['Security group', 'Network ACL'], table: NETWORK },
  { name: 'IAM concept', categories: ['IAM user', 'IAM group', 'IAM role', 'IAM policy'], table: IAM_CONCEPT },
  { name: 'policy element', categories: ['Effect', 'Action', 'Resource'], table: POLICY_ELEMENT },
  { name: 'policy kind', categories: ['SCP', 'IAM policy', 'Both'], table: POLICY_KIND },
  { name: 'org placement', categories: ['Directly under the root', 'In an OU with another department'], table: ORG_PLACEMENT },
  { name: 'shared control', categories: ['Patch management', 'Configuration management', 'Awareness and training'], table: SHARED_CONTROL },
  { name: 'access key part', categories: ['Access key ID', 'Secret access key'], table: ACCESS_KEY_PART },
];

// Labels used as option texts by choice cards whose answer is computed from the fact tables.
const WHO_LABEL: Record<Who, string> = { AWS: 'AWS', Customer: 'The customer', Shared: 'Both AWS and the customer (shared control)' };
const CATEGORY_LABEL: Record<Category, string> = {
  Infrastructure: 'Infrastructure services',
  Container: 'Container services',
  Abstracted: 'Abstracted services',
};
const DEVICE_LABEL: Record<Device, string> = {
  'Virtual MFA': 'Virtual MFA device',
  'Hardware MFA': 'Hardware MFA device',
  'U2F security key': 'U2F security key',
};

function fact<T extends string>(table: Record<string, T>, key: string): T {
  const v = table[key];
  if (v === undefined) throw new Error(`reference table has no entry for "${key}"`);
  return v;
}
const who = (key: string): string => WHO_LABEL[fact(RESPONSIBILITY, key)];
const category = (service: string): string => CATEGORY_LABEL[fact(SERVICE_CATEGORY, service)];
const device = (product: string): string => DEVICE_LABEL[fact(MFA_DEVICE, product)];

/** Correct option of every choice card, by card id. */
const CHOICE: Record<string, string> = {
  'auth-scenario-signin': 'Authentication',
  'auth-scenario-delete': 'Authorization',
  'auth-scenario-policy': 'Authorization: what the cashier can do',
  'mfa-root-categories': 'Something you know and something you have',
  'mfa-dev-yubikey': device('YubiKey'),
  'mfa-dev-google-authenticator': device('Google Authenticator'),
  'mfa-dev-duo-mobile': device('Duo Mobile'),
  'mfa-dev-key-fob': device('Key fob'),
  'mfa-dev-display-card': device('Display card'),
  'mfa-dev-gemalto': device('Gemalto'),
  'mfa-dev-nitrokey': device('NitroKey'),
  'root-console-cred': 'The email address and password used to create the account',
  'root-cli-cred': 'Access keys (access key ID and secret access key)',
  'srm-who-guest-os': who('Patching the guest operating system on an Amazon EC2 instance'),
  'srm-who-hypervisor': who('Applying updates to the hypervisor'),
  'srm-who-region': who('Choosing a Region in line with data sovereignty regulations'),
  'srm-who-rds-os': who('Patching the operating system of Amazon RDS instances'),
  'srm-who-physical': who('Physical security of data centers'),
  'srm-who-security-groups': who('Configuring security groups'),
  'srm-who-awareness-training': who('Awareness and training'),
  'shc-patch-kind': who('Patch management'),
  'shc-config-kind': who('Configuration management'),
  'cat-ec2': category('Amazon EC2'),
  'cat-elb': category('Elastic Load Balancing'),
  'cat-rds': category('Amazon RDS'),
  'cat-elastic-beanstalk': category('AWS Elastic Beanstalk'),
  'cat-emr': category('Amazon EMR (Elastic MapReduce)'),
  'cat-s3': category('Amazon S3'),
  'cat-dynamodb': category('Amazon DynamoDB'),
  'cat-glacier': category('Amazon Glacier'),
  'cat-sqs': category('Amazon SQS'),
  'cat-lambda-model': 'Serverless / Function as a Service (FaaS)',
  'iam-least-privilege-bucket': 'Name that bucket in the IAM policy',
  'iam-cashier-more': 'Attach additional policies that specify those services and actions',
  'iam-cashier-transfer': 'Remove them from the "Cashiers" group and add them to the "Inventory Specialists" group',
  'iam-rotating-employee': 'IAM roles',
  'org-central-permissions': 'Service control policies (SCPs)',
  'org-regulatory': 'Put those accounts in one OU and attach a policy to the OU that blocks all other services',
  'org-hr-legal': 'Place both accounts in one OU and attach policies to it',
  'net-sg-level': 'Instance level',
  'net-nacl-level': 'Subnet level',
  'net-which-stateful': 'Security groups',
  'net-rds-firewall': 'Security groups',
};

/** Correct options of every multi card, by card id. */
const MULTI: Record<string, string[]> = {
  'auth-other-forms': ['Token-based authentication', 'Biometric data, such as a fingerprint'],
  'mfa-single-factor-forms': ['A username and password', 'A security pin', 'A security token'],
  'mfa-device-types': ['Virtual MFA devices', 'Hardware MFA devices', 'U2F security keys'],
  'root-best-practices': [
    'Choose a strong password',
    'Never share the root user password or access keys with anyone',
    "Disable or delete the root user's access keys",
    'Enable MFA on the root user',
  ],
  'root-only-tasks': ['Changing your root user email address', 'Changing your AWS support plan'],
  'srm-global-infra': ['Regions', 'Availability Zones', 'Edge locations', 'Data centers'],
  'srm-facilities': [
    'Generators',
    'Uninterruptible power supply (UPS) systems',
    'Power distribution units (PDUs)',
    'Computer room air conditioning (CRAC) units',
    'Fire suppression systems',
  ],
  'srm-customer-in-context': [
    'Choosing a Region for AWS resources in accordance with data sovereignty regulations',
    'Implementing data protection mechanisms, such as encryption and managing backups',
    'Using access control to limit who has access to your data and AWS resources',
  ],
  'shc-examples': ['Patch management', 'Configuration management', 'Awareness and training'],
  'cat-three': ['Infrastructure services', 'Container services', 'Abstracted services'],
  'iam-features': ['IAM users, groups, and roles', 'IAM policies', 'Multi-factor authentication'],
  'iam-effects': ['Allow', 'Deny'],
  'org-scp-attach': ['The organization root', 'An individual member account', 'An organizational unit (OU)'],
  'org-scp-affects': ['IAM users', 'IAM groups', 'IAM roles', 'The AWS account root user'],
  'org-billing-facts': ['The primary account of the organization consolidates and pays for all member accounts', 'It brings bulk discounts'],
  'net-sg-sources': [
    'A single IP address (x.x.x.x/32)',
    'Anywhere in the world (0.0.0.0/0)',
    'Addresses in another, pre-configured security group',
  ],
};

/** Answer of every truefalse card, by card id. */
const TRUEFALSE: Record<string, boolean> = {
  'auth-same-thing': false,
  'auth-order': true,
  'auth-mfa-is-authn': false,
  'mfa-layered': true,
  'mfa-root-only': false,
  'mfa-virtual-as-secure': false,
  'root-ak-one-part': false,
  'root-ak-same-security': false,
  'root-daily': false,
  'root-admin-with-mfa': false,
  'root-limited-tasks': true,
  'root-create-key': false,
  'root-no-iam-policy': false,
  'srm-single-object': false,
  'srm-physical-customer': fact(RESPONSIBILITY, 'Physical security of data centers') === 'Customer',
  'srm-aws-backdoor': false,
  'srm-aws-notifies-patches': false,
  'srm-ami-patched': false,
  'srm-data-always-customer': true,
  'srm-level-same': false,
  'srm-controls-aws-decides': false,
  'shc-patch-aws-only': fact(RESPONSIBILITY, 'Patch management') === 'AWS',
  'shc-training-own-staff': true,
  'cat-container-docker': false,
  'cat-shift': true,
  'cat-abstracted-little': true,
  'cat-rds-firewall': fact(RESPONSIBILITY, 'Container services: configuring the security groups an RDS database uses') === 'AWS',
  'cat-abstracted-transit': true,
  'iam-user-default-perms': false,
  'iam-share-user': false,
  'iam-groups-transfer': true,
  'iam-role-password': false,
  'iam-role-keeps-perms': false,
  'iam-role-long-term': false,
  'iam-customer-job': true,
  'org-root-vs-root-user': false,
  'org-scp-root-user': fact(POLICY_KIND, 'Affects the AWS account root user') !== 'IAM policy',
  'org-ou-no-iam': false,
  'net-nacl-stateful': fact(NETWORK, 'Stateful') === 'Network ACL',
  'net-sg-stateless': fact(NETWORK, 'Stateless') === 'Security group',
  'net-sg-protocol-port': true,
  'net-region-aws': fact(RESPONSIBILITY, 'Choosing a Region in line with data sovereignty regulations') === 'AWS',
  'net-encryption-customer': true,
};

/** Canonical answer of every typed card, by card id. */
const TYPED: Record<string, string> = {
  'auth-most-common': 'usernames and passwords',
  'mfa-cat-fingerprint': fact(MFA_FACTOR, 'A fingerprint').toLowerCase(),
  'mfa-cat-otp': fact(MFA_FACTOR, 'A one-time passcode from a mobile app').toLowerCase(),
  'mfa-hw-digits': 'six',
  'mfa-u2f-port': 'USB',
  'mfa-qr': 'virtual MFA device',
  'root-ak-secret': 'secret access key',
  'root-security-credentials-page': 'My Security Credentials',
  'srm-verify-aws': 'reports from third-party auditors',
  'shc-name-patch': fact(SHARED_CONTROL, 'AWS patches the physical servers and the hypervisor layer').toLowerCase(),
  'shc-name-config': fact(SHARED_CONTROL, 'AWS configures and secures its infrastructure devices').toLowerCase(),
  'shc-name-training': fact(SHARED_CONTROL, 'Customers educate their own personnel').toLowerCase(),
  'iam-coffee-root': 'owner',
  'iam-policy-format': 'JSON',
  'org-consolidated-billing': 'consolidated billing',
  'net-cidr-anywhere': '0.0.0.0/0',
  'net-cidr-single': '/32',
  'net-aes-bits': '256',
  'net-ebs': 'EBS encryption',
  'net-sovereignty': 'data sovereignty regulations',
};

/** Answers of the deletions of every cloze entry, in order, by entry id. */
const CLOZE: Record<string, string[]> = {
  'auth-authn-def': ['who they say they are'],
  'auth-authz-def': ['permission', 'read, edit, delete, or create'],
  'mfa-def': ['two or more', 'three'],
  'mfa-root-pieces': ['email and password combination', 'temporary numeric code'],
  'root-signin': ['email address and password'],
  'root-two-creds': ['email address and password', 'AWS Management Console', 'access keys', 'AWS CLI or AWS API'],
  'root-billing': ['billing and personal information'],
  'srm-of-in': ['of', 'in'],
  'srm-aws-components': ['physical server', 'host operating systems', 'virtualization layers'],
  'srm-access-rights': ['granted, managed, and revoked'],
  'shc-baseline': ['baseline requirements', 'control implementations'],
  'iam-user-def': ['person or application', 'name and credentials'],
  'iam-least-privilege': ['only to what they need'],
  'iam-policy-def': ['JSON', 'allows or denies'],
  'iam-group-def': ['IAM users', 'all users in the group'],
  'iam-role-def': ['assume', 'temporary'],
  'org-root': ['root', 'parent container'],
  'org-scp-def': ['AWS services, resources, and individual API actions', 'users and roles'],
  'org-ou-inherit': ['all the accounts in the OU'],
  'net-sg-nacl': [fact(NETWORK, 'Operates at the instance level') === 'Security group' ? 'instance' : 'subnet', 'stateful', 'subnet', 'stateless'],
  'net-encryption': ['client- or server-side', '256-bit AES', 'EBS encryption'],
};

// ---------------------------------------------------------------------------------------------------------------
// Checks

interface LoadedDeck {
  file: string;
  text: string;
  parsed: ReturnType<typeof parseDeck>;
}

function loadDecks(): LoadedDeck[] {
  return readdirSync(DECK_DIR)
    .filter((f) => f.endsWith('.deck'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(DECK_DIR, file), 'utf8');
      return { file, text, parsed: parseDeck(text, file) };
    });
}

const noteId = (c: CardSpec): string => c.noteUid;
const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/** Every disagreement between the cards and the reference table, as messages; empty when all agree. */
function checkAgainstReference(cards: CardSpec[]): string[] {
  const errors: string[] = [];
  const seenNotes = new Set<string>();
  for (const card of cards) {
    const c = card.content;
    const id = noteId(card);
    switch (c.type) {
      case 'classify': {
        const tables = CLASSIFY_TABLES.filter((t) => c.categories.every((cat) => t.categories.includes(cat)));
        if (tables.length !== 1) {
          errors.push(`${id}: categories [${c.categories.join(' | ')}] match ${tables.length} reference tables, expected exactly 1`);
          break;
        }
        const t = tables[0]!;
        for (const item of c.items) {
          const expected = t.table[item.text];
          if (expected === undefined) errors.push(`${id}: item "${item.text}" is not in the ${t.name} reference table`);
          else if (expected !== item.category) errors.push(`${id}: "${item.text}" is ${item.category}, reference says ${expected}`);
        }
        break;
      }
      case 'choice': {
        const expected = CHOICE[id];
        const correct = c.options.filter((o) => o.correct).map((o) => o.text);
        if (expected === undefined) errors.push(`${id}: choice card missing from the CHOICE reference`);
        else if (correct.length !== 1 || correct[0] !== expected) errors.push(`${id}: correct option is "${correct.join('", "')}", reference says "${expected}"`);
        else if (!c.options.some((o) => !o.correct)) errors.push(`${id}: no distractor`);
        break;
      }
      case 'multi': {
        const expected = MULTI[id];
        const correct = c.options.filter((o) => o.correct).map((o) => o.text);
        if (expected === undefined) errors.push(`${id}: multi card missing from the MULTI reference`);
        else if (!sameSet(correct, expected)) errors.push(`${id}: correct options [${correct.join('; ')}], reference says [${expected.join('; ')}]`);
        break;
      }
      case 'truefalse': {
        const expected = TRUEFALSE[id];
        if (expected === undefined) errors.push(`${id}: truefalse card missing from the TRUEFALSE reference`);
        else if (expected !== c.answer) errors.push(`${id}: answer ${c.answer}, reference says ${expected}`);
        break;
      }
      case 'typed': {
        const expected = TYPED[id];
        if (expected === undefined) errors.push(`${id}: typed card missing from the TYPED reference`);
        else if (c.answers[0] !== expected) errors.push(`${id}: answer "${c.answers[0]}", reference says "${expected}"`);
        break;
      }
      case 'cloze': {
        if (seenNotes.has(id)) break;
        const expected = CLOZE[id];
        const answers = parseCloze(c.text).segments.flatMap((s) => (s.kind === 'deletion' ? [s.answer] : []));
        if (expected === undefined) errors.push(`${id}: cloze entry missing from the CLOZE reference`);
        else if (answers.join(' | ') !== expected.join(' | ')) errors.push(`${id}: deletions [${answers.join(' | ')}], reference says [${expected.join(' | ')}]`);
        break;
      }
      default:
        break;
    }
    seenNotes.add(id);
  }
  return errors;
}

/** Lines of a seed file, trimmed, with typographic quotes made plain, for matching section headings. */
const plain = (s: string): string =>
  s.replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"').replace(/\s+/g, ' ').trim();

function seedHeadings(file: string): Set<string> {
  return new Set(readFileSync(join(SEEDS_DIR, file), 'utf8').split(/\r?\n/).map(plain).filter(Boolean));
}

const SOURCE_RE = /^(\d{3}_[0-9a-f]{16}\.txt) § (.+)$/;

// ---------------------------------------------------------------------------------------------------------------

describe('built-in decks', () => {
  const decks = loadDecks();
  const allCards = decks.flatMap((d) => d.parsed.cards);

  it('has one file per known deck, each parsing without diagnostics', () => {
    expect(decks.map((d) => d.file)).toEqual(Object.keys(DECK_PREFIX).sort());
    for (const d of decks) {
      expect(d.parsed.diagnostics, d.file).toEqual([]);
      expect(d.parsed.header.name, d.file).not.toBe('');
      expect(d.parsed.header.description, d.file).not.toBe('');
      const named = SEED_FILES.filter((s) => d.parsed.header.source.includes(s));
      expect(named.length, `${d.file}: header source names a seed file`).toBeGreaterThan(0);
      // Every seed a card cites is listed in the header.
      for (const card of d.parsed.cards) {
        for (const part of (card.source ?? '').split('; ')) {
          const m = SOURCE_RE.exec(part);
          if (m) expect(d.parsed.header.source, `${d.file}: header lists ${m[1]}`).toContain(m[1]);
        }
      }
    }
  });

  it('has at least 150 cards and uses every question type', () => {
    expect(allCards.length).toBeGreaterThanOrEqual(150);
    const used = new Set(allCards.map((c) => c.content.type));
    for (const t of CARD_TYPES) expect(used.has(t), `type ${t} is used`).toBe(true);
  });

  it('gives every entry an id with its deck prefix, unique across all decks', () => {
    const seen = new Map<string, string>();
    for (const d of decks) {
      const prefix = DECK_PREFIX[d.file]!;
      for (const note of d.parsed.notes) {
        expect(note.hasId, `${d.file}:${note.line} has an id`).toBe(true);
        expect(note.uid.startsWith(prefix), `${note.uid} starts with ${prefix}`).toBe(true);
        const other = seen.get(note.uid);
        expect(other, `id ${note.uid} is unique (also in ${other})`).toBeUndefined();
        seen.set(note.uid, d.file);
      }
    }
    const uids = allCards.map((c) => c.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('gives every card a source of the form `<seed file> § <heading>`', () => {
    for (const card of allCards) {
      expect(card.source, `${card.uid} has a source`).toBeTruthy();
      for (const part of card.source!.split('; ')) {
        const m = SOURCE_RE.exec(part);
        expect(m, `${card.uid}: source "${part}"`).not.toBeNull();
        expect(SEED_FILES as readonly string[], `${card.uid}: ${m![1]} is a seed file`).toContain(m![1]);
      }
    }
  });

  it.skipIf(!existsSync(SEEDS_DIR))('cites only section headings that exist in the seed files', () => {
    const headings = new Map<string, Set<string>>(SEED_FILES.map((f) => [f, seedHeadings(f)]));
    const missing: string[] = [];
    for (const card of allCards) {
      for (const part of card.source!.split('; ')) {
        const [, file, heading] = SOURCE_RE.exec(part)!;
        if (!headings.get(file!)!.has(plain(heading!))) missing.push(`${card.uid}: "${heading}" in ${file}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('agrees with the reference table on every checkable card', () => {
    expect(checkAgainstReference(allCards)).toEqual([]);
  });

  it('has a card for every entry of the reference answer tables', () => {
    const ids = new Set(allCards.map(noteId));
    for (const [name, table] of Object.entries({ CHOICE, MULTI, TRUEFALSE, TYPED, CLOZE })) {
      for (const id of Object.keys(table)) expect(ids.has(id), `${name} reference entry ${id} has a card`).toBe(true);
    }
  });

  describe('the reference check can fail', () => {
    const reparse = (file: string, edit: (text: string) => string): CardSpec[] => {
      const d = decks.find((x) => x.file === file)!;
      const edited = edit(d.text);
      expect(edited).not.toBe(d.text);
      const parsed = parseDeck(edited, file);
      expect(parsed.diagnostics).toEqual([]);
      return parsed.cards;
    };

    it('when a classify item is put in the wrong category', () => {
      const cards = reparse('04-shared-responsibility.deck', (t) =>
        t.replace('- Applying updates to the hypervisor => AWS', '- Applying updates to the hypervisor => Customer'),
      );
      expect(checkAgainstReference(cards).some((e) => e.includes('Applying updates to the hypervisor'))).toBe(true);
    });

    it('when the wrong choice option is marked correct', () => {
      const cards = reparse('06-service-categories.deck', (t) =>
        t.replace(/(--- choice cat-dynamodb\n[^\n]*\n)- \[x\] Abstracted services\n- \[ \] Infrastructure services/, '$1- [ ] Abstracted services\n- [x] Infrastructure services'),
      );
      expect(checkAgainstReference(cards).some((e) => e.startsWith('cat-dynamodb:'))).toBe(true);
    });

    it('when a true/false answer is flipped', () => {
      const cards = reparse('09-network-data-protection.deck', (t) =>
        t.replace(/(--- truefalse net-nacl-stateful\nQ: [^\n]*\n)A: false/, '$1A: true'),
      );
      expect(checkAgainstReference(cards).some((e) => e.startsWith('net-nacl-stateful:'))).toBe(true);
    });

    it('when a multi card gains a wrong answer, a typed answer or a cloze deletion changes', () => {
      const multi = reparse('08-organizations.deck', (t) => t.replace('- [ ] A security group', '- [x] A security group'));
      expect(checkAgainstReference(multi).some((e) => e.startsWith('org-scp-attach:'))).toBe(true);
      const typed = reparse('02-mfa.deck', (t) => t.replace(/(--- typed mfa-hw-digits\nQ: [^\n]*\n)A: six/, '$1A: four'));
      expect(checkAgainstReference(typed).some((e) => e.startsWith('mfa-hw-digits:'))).toBe(true);
      const cloze = reparse('04-shared-responsibility.deck', (t) => t.replace('security {{of::of or in?}} the cloud', 'security {{in::of or in?}} the cloud'));
      expect(checkAgainstReference(cloze).some((e) => e.startsWith('srm-of-in:'))).toBe(true);
    });
  });
});
