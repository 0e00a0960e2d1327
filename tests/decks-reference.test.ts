// Checks the built-in decks in decks/ against a reference table written by hand from the five source documents in
// shared/seeds (000_..., 001_..., 002_..., 003_..., 004_...). The table is the second, independent statement of each
// fact: if a card's answer is changed to a wrong one, the card no longer agrees with the table and this test fails.
//
// Besides the answers, three properties of good teaching material are checked across all nine decks:
// - no card shows the learner the name of a source document (sources belong in `source:` and `explain:`);
// - no two cards ask the same fact in the same form (see `findDuplicates`);
// - every card that says who is responsible for something (AWS, the customer, or both) agrees with one owner table,
//   so no two cards can give the same item different owners (see `OWNER_ITEMS` and `checkOwners`).
//
// Conventions the decks follow so that they can be checked:
// - a classify card whose categories are AWS / Customer / Shared assigns owners; every other classify card's
//   categories are a subset of exactly one table's categories below, and every item text is a key of that table;
// - every choice, multi, truefalse, typed and cloze card has an entry, keyed by its id, in the tables of answers;
//   "who is responsible" choices use the labels in WHO_LABEL, service-category choices those in CATEGORY_LABEL.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CARD_TYPES } from '../src/core/types.js';
import type { CardContent, CardSpec } from '../src/core/types.js';
import { parseCloze } from '../src/decks/cloze.js';
import { parseDeck } from '../src/decks/parse.js';
import { normalizeAnswer } from '../src/core/normalize.js';

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
// OWNER TABLE: who is responsible for each item, written by hand from the documents.

type Who = 'AWS' | 'Customer' | 'Shared';
const WHO: readonly Who[] = ['AWS', 'Customer', 'Shared'];

/**
 * One row per item that a card may give an owner to. `match` recognises the item in a card's wording (lowercase,
 * plain quotes); an item text that matches several rows asserts the owner of each of them, so a text that mixes a
 * customer duty into an AWS one ("server-side encryption and data protection => AWS") fails.
 *
 * The one rule on data: your data, who may access it, and how it is encrypted are the customer's in every service
 * category (000, 002); for abstracted services AWS operates the server-side encryption (000) and protects traffic on
 * its own network (003). 002 § Real-World Examples prints the AWS items (physical security, hypervisor, devices, EC2
 * hardware, AZ software, RDS OS patching) under a second heading "customer responsibilities"; every other section of
 * every document shows they are AWS's, and that is what is here.
 */
const OWNER_ITEMS: Record<string, { owner: Who; match: RegExp }> = {
  // AWS: security of the cloud (000 § What Is AWS Responsible For?, 001 § AWS: Security of the cloud, 002, 003)
  'security of the cloud': { owner: 'AWS', match: /security of the cloud/ },
  'physical security and facilities of data centers': { owner: 'AWS', match: /physical (security|access)|generators|uninterruptible power|fire suppression/ },
  'global infrastructure: Regions, Availability Zones, edge locations': { owner: 'AWS', match: /^(regions|availability zones|edge locations)$/ },
  'host operating system': { owner: 'AWS', match: /host operating system/ },
  'virtualization layer and hypervisor': { owner: 'AWS', match: /hypervisor|virtuali[sz]ation/ },
  'physical servers and underlying hardware': { owner: 'AWS', match: /physical servers?|underlying hardware/ },
  'network infrastructure': { owner: 'AWS', match: /network infrastructure/ },
  'software that powers Availability Zones': { owner: 'AWS', match: /software that powers availability zones/ },
  'infrastructure devices': { owner: 'AWS', match: /infrastructure devices/ },
  'infrastructure security (apartment analogy, 002)': { owner: 'AWS', match: /infrastructure security/ },
  'infrastructure and foundation services, in every category': {
    owner: 'AWS',
    match: /infrastructure and foundation services|infrastructure layer, operating system, and platforms|infrastructure underneath aws lambda/,
  },
  'operating system and platform of container services (Amazon RDS)': {
    owner: 'AWS',
    match: /^container services: the (operating system|application platform)$|amazon rds.*operating system/,
  },
  'system and network configuration of container services (003)': { owner: 'AWS', match: /container services.*system and network configuration/ },
  'server-side encryption of abstracted services (000)': { owner: 'AWS', match: /abstract\w*[^.]*server-side encryption|server-side encryption of an abstract/ },
  'network traffic protection of abstracted services (003)': { owner: 'AWS', match: /in transit across (aws's|its) own network/ },
  // Customer: security in the cloud (000 § What Is the Customer Responsible For?, 001 § Customers, 002, 003)
  'security in the cloud': { owner: 'Customer', match: /security in the cloud/ },
  'your data and content': { owner: 'Customer', match: /customer data|your data and who may access it|your data is secure|which content to store|classifying company assets/ },
  'data protection mechanisms (000)': { owner: 'Customer', match: /data protection/ },
  'encrypting your data and choosing how': { owner: 'Customer', match: /encrypting customer data|how your data is encrypted|encryption options|protect your valuables/ },
  'encryption and traffic protection in infrastructure services (003)': { owner: 'Customer', match: /infrastructure services.*(server-side encryption|network traffic protection)/ },
  'client-side encryption': { owner: 'Customer', match: /client-side (data )?encryption|encrypting objects yourself/ },
  'EBS encryption': { owner: 'Customer', match: /ebs encryption/ },
  backups: { owner: 'Customer', match: /backups/ },
  'choosing a Region (data sovereignty)': { owner: 'Customer', match: /region.*data sovereignty|choos\w* (a|the) region/ },
  'access control': {
    owner: 'Customer',
    match: /who (can|may) access|who gets keys|controlling access|access rights|access permissions|permissions to other aws resources|apply permissions with iam tools/,
  },
  'user accounts and IAM credentials': { owner: 'Customer', match: /user accounts|iam credentials|access keys and secret keys/ },
  'guest operating system and platform of infrastructure services (EC2)': {
    owner: 'Customer',
    match: /guest operating system|ec2 instance's operating system|^infrastructure services: the (operating system|application platform)$/,
  },
  'applications and databases you deploy': { owner: 'Customer', match: /applications installed|application security|database deployed/ },
  'firewalls and security groups, in every category': { owner: 'Customer', match: /security groups?\b|firewall/ },
  'network ACLs': { owner: 'Customer', match: /network acls?\b/ },
  'Lambda function code and the data it handles': { owner: 'Customer', match: /code in lambda|data functions process/ },
  'how much security to add, and when to apply controls (003)': { owner: 'Customer', match: /how and when to apply|how much additional security/ },
  "training the customer's personnel": { owner: 'Customer', match: /customer's personnel/ },
  // Shared controls (002 § Shared Controls): shared as a whole; each part has one owner (rows above)
  'patch management': { owner: 'Shared', match: /patch management/ },
  'configuration management': { owner: 'Shared', match: /configuration management/ },
  'awareness and training': { owner: 'Shared', match: /awareness and training/ },
};

/**
 * Cards other than owner classify cards and WHO-label choices that say who is responsible. `about` is words of the
 * card (question or answer) naming the item; `owner` is what the card teaches (for a false statement, the owner the
 * statement denies to the wrong party).
 */
const OWNER_CLAIMS: Record<string, { owner: Who; about: string }[]> = {
  'srm-of-in': [{ owner: 'AWS', about: 'security of the cloud' }, { owner: 'Customer', about: 'security in the cloud' }],
  'srm-who-guest-os': [{ owner: 'Customer', about: 'guest operating system of your Amazon EC2 instance' }],
  'srm-who-rds-os': [{ owner: 'AWS', about: 'database on Amazon RDS. A security patch comes out for the operating system' }],
  'srm-aws-backdoor': [{ owner: 'Customer', about: "your EC2 instance's operating system" }],
  'srm-aws-notifies-patches': [{ owner: 'Customer', about: "your EC2 instance's operating system" }],
  'srm-data-always-customer': [{ owner: 'Customer', about: 'your data and who may access it' }],
  'srm-controls-aws-decides': [{ owner: 'Customer', about: 'deciding how and when to apply them' }],
  'srm-how-much': [{ owner: 'Customer', about: 'how much additional security' }],
  'srm-customer-what': [{ owner: 'Customer', about: 'making sure your data is secure' }],
  'srm-apartment': [{ owner: 'Customer', about: 'who gets keys to your apartment' }],
  'srm-apartment-locks': [{ owner: 'AWS', about: 'Infrastructure security' }],
  'srm-apartment-valuables': [{ owner: 'Customer', about: 'how to protect your valuables' }],
  'cat-rds-firewall': [{ owner: 'Customer', about: 'configuring the firewall' }],
  'cat-abstracted-transit': [{ owner: 'AWS', about: 'protects your data in transit across its own network' }],
  'cat-abstracted-permissions': [{ owner: 'Customer', about: 'apply permissions with IAM tools' }],
  'iam-customer-job': [{ owner: 'Customer', about: 'Managing who can access your AWS resources' }],
  'net-encryption-customer': [{ owner: 'Customer', about: 'whether and how your data is encrypted' }],
  'shc-patch-aws-only': [{ owner: 'Shared', about: 'patch management' }],
  'shc-training-own-staff': [{ owner: 'Customer', about: "the customer's personnel" }],
};

/**
 * Choice and multi cards whose correct options all belong to one owner (read in `context`, when the question sets
 * one). Their wrong options must not belong to that owner, or the card would mark a right answer wrong.
 */
const OPTION_OWNER: Record<string, { owner: Who; context?: string }> = {
  'srm-global-infra': { owner: 'AWS' },
  'srm-facilities': { owner: 'AWS' },
  'shc-examples': { owner: 'Shared' },
  'cat-infra-customer': { owner: 'Customer', context: 'infrastructure services' },
  'cat-container-config': { owner: 'AWS', context: 'container services' },
};

/**
 * Wording that asks or states who is responsible ("Who applies it?", "... is AWS's responsibility", "whose job");
 * a card with it in its question must assign an owner the test checks, or be listed here with the reason.
 */
const OWNER_WORDS = /(^|[.?!,:;]\s*)(who|whose)\b|responsible for|'s (responsibility|job|decision)\b/i;
const NOT_AN_OWNER_CLAIM: Record<string, string> = {
  'srm-who-secures-resources': 'the model as a whole: both sides, each for its own parts',
  'srm-house': 'the roles of the two sides in an analogy, no single item',
};

// ---------------------------------------------------------------------------------------------------------------
// OTHER FACT TABLES

type Category = 'Infrastructure' | 'Container' | 'Abstracted';

/** Service category (000, 003, 004). DynamoDB: abstracted per 003 and 004 (002 groups it with RDS as PaaS). */
const SERVICE_CATEGORY: Record<string, Category> = {
  'Amazon EC2': 'Infrastructure',
  'Amazon RDS': 'Container',
  'AWS Elastic Beanstalk': 'Container',
  'Amazon EMR (Elastic MapReduce)': 'Container',
  'Amazon S3': 'Abstracted',
  'Amazon DynamoDB': 'Abstracted',
  'Amazon Glacier': 'Abstracted',
  'Amazon SQS': 'Abstracted',
  // The customer's part in each category (000's second table)
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

/** 000 § Review Supported MFA Devices (004's table gives the same examples). */
const MFA_DEVICE: Record<string, Device> = {
  'Google Authenticator': 'Virtual MFA',
  Authy: 'Virtual MFA',
  'Key fob': 'Hardware MFA',
  'Display card': 'Hardware MFA',
  YubiKey: 'U2F security key',
  'A software app on a phone or other device that provides a one-time passcode': 'Virtual MFA',
  'Can run on unsecured mobile devices': 'Virtual MFA',
  'A dedicated device that generates a one-time six-digit numeric code': 'Hardware MFA',
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

/** 000 § Understand Authentication / § Understand Authorization; 001 § Example: IAM policy. */
const AUTH: Record<string, 'Authentication' | 'Authorization'> = {
  'Checking the email address and password you type when signing in': 'Authentication',
  'Scanning a fingerprint to sign in': 'Authentication',
  'Entering a one-time code from an MFA device at sign-in': 'Authentication',
  'Presenting an access key ID and secret access key with AWS CLI requests': 'Authentication',
  'Checking whether a signed-in user may delete an S3 bucket': 'Authorization',
  'An IAM policy that lets the cashier list the objects in one S3 bucket': 'Authorization',
};

/** 003 § Security Groups and NACLs. */
const NETWORK: Record<string, 'Security group' | 'Network ACL'> = {
  'Operates at the instance level': 'Security group',
  'Operates at the subnet level': 'Network ACL',
  Stateful: 'Security group',
  Stateless: 'Network ACL',
  'Can allow traffic from addresses in another, pre-configured security group': 'Security group',
};

/** 001 § IAM users, groups, roles, policies, in the coffee shop. */
const IAM_CONCEPT: Record<string, 'IAM user' | 'IAM group' | 'IAM role' | 'IAM policy'> = {
  'The identity created for a newly hired cashier': 'IAM user',
  '"Cashiers", which all the cashiers belong to': 'IAM group',
  'What the employee who rotates between workstations assumes': 'IAM role',
  'What lets the cashier view the receipts in AWSDOC-EXAMPLE-BUCKET': 'IAM policy',
};

/** 001 § Example: IAM policy. */
const POLICY_ELEMENT: Record<string, 'Effect' | 'Action' | 'Resource'> = {
  Allow: 'Effect',
  Deny: 'Effect',
  "An AWS API call, such as the S3 call in the cashier's policy": 'Action',
  'The AWS resource the API call is for, such as the AWSDOC-EXAMPLE-BUCKET bucket': 'Resource',
};

/** 001 § AWS Organizations: SCPs apply to root / OU / account; IAM policies to IAM users, groups, or roles. */
const POLICY_KIND: Record<string, 'SCP' | 'IAM policy' | 'Both'> = {
  'Can be applied to an organizational unit': 'SCP',
  'Can be attached directly to an individual IAM user': 'IAM policy',
  'Can be attached to an IAM group': 'IAM policy',
  'Affects IAM roles': 'Both',
  'Affects the AWS account root user': 'SCP',
};

/** A non-owner classify card is checked against the one table whose categories include all of the card's. */
const CLASSIFY_TABLES: { name: string; categories: string[]; table: Record<string, string> }[] = [
  { name: 'service category', categories: ['Infrastructure', 'Container', 'Abstracted'], table: SERVICE_CATEGORY },
  { name: 'service model', categories: ['IaaS', 'PaaS', 'Serverless'], table: SERVICE_MODEL },
  { name: 'MFA device', categories: ['Virtual MFA', 'Hardware MFA', 'U2F security key'], table: MFA_DEVICE },
  { name: 'MFA factor', categories: ['Something you know', 'Something you have', 'Something you are'], table: MFA_FACTOR },
  { name: 'authn/authz', categories: ['Authentication', 'Authorization'], table: AUTH },
  { name: 'network', categories: ['Security group', 'Network ACL'], table: NETWORK },
  { name: 'IAM concept', categories: ['IAM user', 'IAM group', 'IAM role', 'IAM policy'], table: IAM_CONCEPT },
  { name: 'policy element', categories: ['Effect', 'Action', 'Resource'], table: POLICY_ELEMENT },
  { name: 'policy kind', categories: ['SCP', 'IAM policy', 'Both'], table: POLICY_KIND },
];

// Labels used as option texts by choice cards whose answer is computed from the fact tables.
const WHO_LABEL: Record<Who, string> = { AWS: 'AWS', Customer: 'The customer', Shared: 'Both AWS and the customer (shared control)' };
const CATEGORY_LABEL: Record<Category, string> = {
  Infrastructure: 'Infrastructure services',
  Container: 'Container services',
  Abstracted: 'Abstracted services',
};

function fact<T extends string>(table: Record<string, T>, key: string): T {
  const v = table[key];
  if (v === undefined) throw new Error(`reference table has no entry for "${key}"`);
  return v;
}
const owner = (item: string): Who => {
  const row = OWNER_ITEMS[item];
  if (!row) throw new Error(`owner table has no item "${item}"`);
  return row.owner;
};
const who = (item: string): string => WHO_LABEL[owner(item)];
const category = (service: string): string => CATEGORY_LABEL[fact(SERVICE_CATEGORY, service)];
/** The answer of "Which of these is a(n) <category> service?": `service`, if the table agrees it is one. */
const serviceOf = (cat: Category, service: string): string => (fact(SERVICE_CATEGORY, service) === cat ? service : `(not ${service})`);

/** Correct option of every choice card, by card id. */
const CHOICE: Record<string, string> = {
  'mfa-root-categories': 'Something you know and something you have',
  'root-console-cred': 'The email address and password used to create the account',
  'root-cli-cred': 'Access keys (access key ID and secret access key)',
  'root-essential': 'Essential activities such as setting up the account',
  'srm-who-physical': who('physical security and facilities of data centers'),
  'srm-who-region': who('choosing a Region (data sovereignty)'),
  'srm-who-security-groups': who('firewalls and security groups, in every category'),
  'srm-who-guest-os': owner('guest operating system and platform of infrastructure services (EC2)') === 'Customer' ? 'You do' : '(AWS)',
  'srm-who-rds-os': owner('operating system and platform of container services (Amazon RDS)') === 'AWS' ? 'AWS' : '(you)',
  'cat-ec2': serviceOf('Infrastructure', 'Amazon EC2'),
  'cat-rds': serviceOf('Container', 'Amazon RDS'),
  'cat-s3': serviceOf('Abstracted', 'Amazon S3'),
  'cat-dynamodb': category('Amazon DynamoDB'),
  'cat-container-config': 'System and network configuration',
  'cat-lambda-model': 'Serverless / Function as a Service (FaaS)',
  'iam-least-privilege-bucket': 'Name that bucket in the IAM policy',
  'iam-cashier-more': 'Attach additional policies that specify those services and actions',
  'iam-cashier-transfer': 'Remove them from the "Cashiers" group and add them to the "Inventory Specialists" group',
  'iam-rotating-employee': 'IAM roles',
  'org-central-permissions': 'Service control policies (SCPs)',
  'org-scp-affects': 'All IAM users, groups, and roles, and the account\'s root user',
  'org-regulatory': 'Put those accounts in one OU and attach a policy to the OU that blocks all other services',
  'org-hr-legal': 'Place both accounts in one OU and attach policies to it',
};

/** Correct options of every multi card, by card id. */
const MULTI: Record<string, string[]> = {
  'auth-other-forms': ['Token-based authentication', 'Biometric data, such as a fingerprint'],
  'mfa-device-types': ['Virtual MFA devices', 'Hardware MFA devices', 'U2F security keys'],
  'root-best-practices': [
    'Choose a strong password',
    'Never share the root user password or access keys with anyone',
    "Disable or delete the root user's access keys",
  ],
  'root-only-tasks': ['Changing your root user email address', 'Changing your AWS support plan'],
  'srm-global-infra': ['Regions', 'Availability Zones', 'Edge locations'],
  'srm-facilities': ['Generators and uninterruptible power supply (UPS) systems', 'Fire suppression systems'],
  'srm-steps-depend': [
    'The services the customer uses',
    "The complexity of the customer's systems",
    "The company's specific operational and security needs",
  ],
  'shc-examples': ['Patch management', 'Configuration management', 'Awareness and training'],
  'cat-three': ['Infrastructure services', 'Container services', 'Abstracted services'],
  'cat-infra-customer': ['Server-side encryption of your data', 'Network traffic protection', 'Application security'],
  'iam-features': ['IAM users, groups, and roles', 'IAM policies', 'Multi-factor authentication'],
  'org-scp-attach': ['The organization root', 'An individual member account', 'An organizational unit (OU)'],
  'org-billing-facts': ['The primary account of the organization consolidates and pays for all member accounts', 'It brings bulk discounts'],
  'net-sg-sources': ['A single IP address', 'Anywhere in the world', 'Addresses in another, pre-configured security group'],
};

/** Answer of every truefalse card, by card id. */
const TRUEFALSE: Record<string, boolean> = {
  'auth-order': true,
  'auth-mfa-is-authn': false,
  'mfa-first-signin': false,
  'mfa-token-single': true,
  'mfa-layered': true,
  'mfa-in-addition': false,
  'mfa-root-only': false,
  'mfa-virtual-as-secure': false,
  'root-ak-one-part': false,
  'root-ak-same-security': false,
  'root-admin-with-mfa': false,
  'root-limited-tasks': true,
  'root-create-key': false,
  'root-no-iam-policy': fact(POLICY_KIND, 'Affects the AWS account root user') === 'IAM policy',
  'srm-aws-backdoor': false,
  'srm-aws-notifies-patches': false,
  'srm-ami-patched': false,
  'srm-data-always-customer': owner('your data and content') === 'Customer' && owner('access control') === 'Customer',
  'srm-level-same': false,
  'srm-controls-aws-decides': owner('how much security to add, and when to apply controls (003)') === 'AWS',
  'srm-same-standards': false,
  'shc-patch-aws-only': owner('patch management') === 'AWS',
  'shc-training-own-staff': false,
  'cat-rds-firewall': owner('firewalls and security groups, in every category') === 'AWS',
  'cat-abstracted-transit': owner('network traffic protection of abstracted services (003)') === 'AWS',
  'cat-container-docker': false,
  'cat-shift': true,
  'iam-user-default-perms': false,
  'iam-share-user': false,
  'iam-groups-transfer': true,
  'iam-role-password': false,
  'iam-role-keeps-perms': false,
  'iam-customer-job': owner('access control') === 'Customer',
  'org-root-vs-root-user': false,
  'org-scp-root-user': fact(POLICY_KIND, 'Affects the AWS account root user') !== 'IAM policy',
  'org-ou-no-iam': false,
  'net-sg-protocol-port': true,
  'net-encryption-customer': owner('encrypting your data and choosing how') === 'AWS',
};

/** Canonical answer of every typed card, by card id. */
const TYPED: Record<string, string> = {
  'auth-most-common': 'usernames and passwords',
  'mfa-cat-otp': fact(MFA_FACTOR, 'A one-time passcode from a mobile app').toLowerCase(),
  'mfa-hw-digits': 'six',
  'mfa-u2f-port': 'USB',
  'mfa-qr': 'virtual MFA device',
  'root-ak-secret': 'secret access key',
  'root-security-credentials-page': 'My Security Credentials',
  'srm-verify-aws': 'reports from third-party auditors',
  'shc-name-config': 'configuration management',
  'iam-coffee-root': 'owner',
  'org-consolidated-billing': 'consolidated billing',
  'net-cidr-anywhere': '0.0.0.0/0',
  'net-cidr-single': '/32',
  'net-ebs': 'EBS encryption',
  'net-sovereignty': 'data sovereignty regulations',
};

/** Answers of the deletions of every cloze entry, in order, by entry id. */
const CLOZE: Record<string, string[]> = {
  'auth-authn-def': ['authentication'],
  'auth-authz-def': ['permission', 'read, edit, delete, or create'],
  'mfa-def': ['two', 'three'],
  'mfa-root-pieces': ['email and password combination', 'temporary numeric code'],
  'root-two-creds': ['email address and password', 'access keys'],
  'root-billing': ['billing and personal information'],
  'srm-of-in': [owner('security of the cloud') === 'AWS' ? 'of' : 'in', owner('security in the cloud') === 'Customer' ? 'in' : 'of'],
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
  'net-sg-nacl': [fact(NETWORK, 'Operates at the instance level') === 'Security group' ? 'instance' : 'subnet', 'subnet'],
  'net-encryption': ['client- or server-side', 'EBS encryption'],
};

// ---------------------------------------------------------------------------------------------------------------
// Loading

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

/** One card per entry: a reversed pair or a cloze's deletions share one entry and one question. */
function entries(cards: CardSpec[]): CardSpec[] {
  const seen = new Set<string>();
  return cards.filter((c) => !seen.has(c.noteUid) && (seen.add(c.noteUid), true));
}

/** A cloze text with every deletion filled in by its answer. */
const clozeFilled = (text: string): string =>
  parseCloze(text)
    .segments.map((s) => (s.kind === 'deletion' ? s.answer : s.text))
    .join('');

/** The question side of a card, as the learner reads it (options and items excluded). */
function questionText(c: CardContent): string {
  switch (c.type) {
    case 'basic':
    case 'reversed':
      return c.front;
    case 'cloze':
      return clozeFilled(c.text);
    case 'truefalse':
      return c.statement;
    default:
      return c.prompt;
  }
}

/** Every text of a card the learner is shown, except `explain:` (where the sources may be named) and `source:`. */
function shownTexts(c: CardContent): string[] {
  switch (c.type) {
    case 'basic':
    case 'reversed':
      return [c.front, c.back];
    case 'cloze':
      return [clozeFilled(c.text), ...parseCloze(c.text).segments.flatMap((s) => (s.kind === 'deletion' && s.hint ? [s.hint] : []))];
    case 'typed':
      return [c.prompt, ...c.answers];
    case 'choice':
    case 'multi':
      return [c.prompt, ...c.options.map((o) => o.text)];
    case 'truefalse':
      return [c.statement];
    case 'classify':
      return [c.prompt, ...c.categories, ...c.items.map((i) => i.text)];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Check: answers agree with the reference tables

const isOwnerClassify = (c: CardContent): boolean => c.type === 'classify' && c.categories.every((x) => (WHO as readonly string[]).includes(x));

/** Every disagreement between the cards and the reference table, as messages; empty when all agree. */
function checkAgainstReference(cards: CardSpec[]): string[] {
  const errors: string[] = [];
  for (const card of entries(cards)) {
    const c = card.content;
    const id = noteId(card);
    switch (c.type) {
      case 'classify': {
        if (isOwnerClassify(c)) break; // checked against the owner table by checkOwners
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
        const expected = CLOZE[id];
        const answers = parseCloze(c.text).segments.flatMap((s) => (s.kind === 'deletion' ? [s.answer] : []));
        if (expected === undefined) errors.push(`${id}: cloze entry missing from the CLOZE reference`);
        else if (answers.join(' | ') !== expected.join(' | ')) errors.push(`${id}: deletions [${answers.join(' | ')}], reference says [${expected.join(' | ')}]`);
        break;
      }
      default:
        break;
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------------------
// Check: no card names a source document

/**
 * A learner has never seen the source files, so "001's analogy" or "004 gives ..." means nothing to them: the file
 * numbers, file names, and phrases such as "the course" or "the documents" may appear only in `source:`/`explain:`.
 */
const SOURCE_NAME = /\b00[0-4]\b|\b\d{3}_[0-9a-f]{16}\b|\b(the|this|that|these) (course|documents?|articles?|blog|blog posts?|lessons?|sources?|seeds?)\b|\bseed files?\b/i;

function namesOfSources(cards: CardSpec[]): string[] {
  const errors: string[] = [];
  for (const card of entries(cards)) {
    for (const text of shownTexts(card.content)) {
      const m = SOURCE_NAME.exec(text);
      if (m) errors.push(`${noteId(card)}: shows the learner "${m[0]}" in "${text}"`);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------------------
// Check: no two cards ask the same fact in the same form

/**
 * The questions a card asks, each as a question part and an answer part: one per card, except a classify card,
 * which asks one question per item (its text, answered by its category). Multi cards are asked as a whole (their
 * answer is the set of correct options); cloze and truefalse texts carry question and answer in one part.
 */
function askedQuestions(c: CardContent): { q: string; a: string }[] {
  switch (c.type) {
    case 'basic':
    case 'reversed':
      return [{ q: c.front, a: c.back }];
    case 'cloze':
      return [{ q: clozeFilled(c.text), a: '' }];
    case 'typed':
      return [{ q: c.prompt, a: c.answers[0]! }];
    case 'choice':
    case 'multi':
      return [{ q: c.prompt, a: c.options.filter((o) => o.correct).map((o) => o.text).join('\n') }];
    case 'truefalse':
      return [{ q: c.statement, a: '' }];
    case 'classify':
      return c.items.map((i) => ({ q: i.text, a: i.category }));
  }
}

/**
 * Two questions of the same card type ask the same fact in the same form when their question parts are worded
 * alike AND their answer parts are worded alike. "Alike" is the cosine similarity of TF-IDF word vectors of the
 * normalized texts (the answer normalization of typed cards: lowercase, no accents or punctuation), with document
 * frequencies counted over every question and answer part of the decks. Words that many cards share ("which",
 * "service", "AWS", "customer") weigh little, so a series built on one template ("Which of these is an
 * infrastructure service? EC2" / "... an abstracted service? S3") scores low, while a copy or a light rewording of a
 * card (a few words changed, the distinctive ones kept) scores high. Requiring both parts keeps contrasts apart:
 * "Container services: the operating system => AWS" and "Infrastructure services: the operating system =>
 * Customer" have near-identical questions but different answers, and are two facts.
 *
 * When the threshold was set, the highest-scoring pair of the second-edition decks scored 0.50, while the
 * repetitions of the first edition scored 0.62 to 1 (the same classify item in two cards: 1; "Patch management /
 * Configuration management as a whole is which kind of responsibility?": 0.88; "Which service category is Amazon
 * S3 in? / ... Amazon DynamoDB in?": 0.73; "Performing client-side data encryption / Abstracted services:
 * client-side encryption", both Customer: 0.62).
 */
const DUPLICATE_THRESHOLD = 0.6;

interface ScoredPair {
  a: string;
  b: string;
  /** Similarity of the question parts, of the answer parts, and the lower of the two. */
  qScore: number;
  aScore: number;
  score: number;
  text: string;
}

/** Every pair of questions of the same card type from different cards, scored. */
function scorePairs(cards: CardSpec[]): ScoredPair[] {
  const words = (s: string): string[] => normalizeAnswer(s).split(' ').filter(Boolean);
  const asked = entries(cards).flatMap((card) =>
    askedQuestions(card.content).map((x) => ({ id: noteId(card), type: card.content.type, ...x })),
  );
  const docs = asked.flatMap((x) => [x.q, x.a]).filter((s) => s !== '');
  const df = new Map<string, number>();
  for (const d of docs) for (const w of new Set(words(d))) df.set(w, (df.get(w) ?? 0) + 1);
  const idf = (w: string): number => Math.log(docs.length / (df.get(w) ?? 1));
  const vector = (s: string): Map<string, number> => {
    const tf = new Map<string, number>();
    for (const w of words(s)) tf.set(w, (tf.get(w) ?? 0) + 1);
    const v = new Map([...tf].map(([w, n]) => [w, (1 + Math.log(n)) * idf(w)] as const));
    const norm = Math.hypot(...v.values());
    return new Map([...v].map(([w, x]) => [w, norm > 0 ? x / norm : 0] as const));
  };
  const similarity = (a: string, b: string): number => {
    if (normalizeAnswer(a) === normalizeAnswer(b)) return 1;
    const va = vector(a);
    const vb = vector(b);
    let dot = 0;
    for (const [w, x] of va) dot += x * (vb.get(w) ?? 0);
    return dot;
  };
  const pairs: ScoredPair[] = [];
  for (let i = 0; i < asked.length; i++) {
    for (let j = i + 1; j < asked.length; j++) {
      const x = asked[i]!;
      const y = asked[j]!;
      if (x.id === y.id || x.type !== y.type) continue;
      const qScore = similarity(x.q, y.q);
      const aScore = similarity(x.a, y.a);
      pairs.push({ a: x.id, b: y.id, qScore, aScore, score: Math.min(qScore, aScore), text: `"${x.q}" / "${y.q}"` });
    }
  }
  return pairs;
}

function findDuplicates(cards: CardSpec[]): ScoredPair[] {
  return scorePairs(cards).filter((p) => p.score >= DUPLICATE_THRESHOLD);
}

// ---------------------------------------------------------------------------------------------------------------
// Check: one owner per item across all decks

interface Assignment {
  card: string;
  text: string;
  owner: Who;
  /** true: the card says `owner` is responsible; false: a wrong option, which must not be `owner`'s. */
  holds: boolean;
}

const ownerForm = (s: string): string => s.replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"').replace(/\s+/g, ' ').trim().toLowerCase();
const itemsMatching = (text: string): string[] => Object.keys(OWNER_ITEMS).filter((k) => OWNER_ITEMS[k]!.match.test(ownerForm(text)));

/** Every owner that a card assigns, and the cards that talk about owners without being registered. */
function ownerAssignments(cards: CardSpec[], claims = OWNER_CLAIMS): { assignments: Assignment[]; errors: string[] } {
  const assignments: Assignment[] = [];
  const errors: string[] = [];
  const labelToWho = new Map(WHO.map((w) => [WHO_LABEL[w], w] as const));
  for (const card of entries(cards)) {
    const c = card.content;
    const id = noteId(card);
    const before = assignments.length;
    if (isOwnerClassify(c) && c.type === 'classify') {
      for (const item of c.items) assignments.push({ card: id, text: item.text, owner: item.category as Who, holds: true });
    }
    if (c.type === 'choice' && c.options.every((o) => labelToWho.has(o.text))) {
      const right = c.options.find((o) => o.correct)!;
      assignments.push({ card: id, text: c.prompt, owner: labelToWho.get(right.text)!, holds: true });
    }
    const byOption = OPTION_OWNER[id];
    if (byOption && (c.type === 'choice' || c.type === 'multi')) {
      for (const o of c.options) {
        const text = byOption.context ? `${byOption.context}: ${o.text}` : o.text;
        assignments.push({ card: id, text, owner: byOption.owner, holds: o.correct });
      }
    }
    for (const claim of claims[id] ?? []) {
      const shown = ownerForm(shownTexts(c).join('\n'));
      if (!shown.includes(ownerForm(claim.about))) errors.push(`${id}: OWNER_CLAIMS names "${claim.about}", which is not on the card`);
      else assignments.push({ card: id, text: claim.about, owner: claim.owner, holds: true });
    }
    if (assignments.length === before && OWNER_WORDS.test(questionText(c)) && !(id in NOT_AN_OWNER_CLAIM)) {
      errors.push(`${id}: asks who is responsible ("${questionText(c)}") but assigns no owner the test can check: add it to OWNER_CLAIMS`);
    }
  }
  return { assignments, errors };
}

/** Every owner assignment that disagrees with the owner table or with another card's; empty when all agree. */
function checkOwners(cards: CardSpec[], claims = OWNER_CLAIMS): string[] {
  const { assignments, errors } = ownerAssignments(cards, claims);
  const given = new Map<string, Map<Who, Set<string>>>();
  for (const a of assignments) {
    const items = itemsMatching(a.text);
    if (a.holds && items.length === 0) errors.push(`${a.card}: "${a.text}" => ${a.owner} matches no item of the owner table (OWNER_ITEMS)`);
    for (const item of items) {
      const expected = OWNER_ITEMS[item]!.owner;
      if (a.holds && expected !== a.owner) errors.push(`${a.card}: "${a.text}" => ${a.owner}, but the owner table gives "${item}" to ${expected}`);
      if (!a.holds && expected === a.owner) errors.push(`${a.card}: wrong option "${a.text}" is in fact ${a.owner}'s ("${item}")`);
      if (a.holds) {
        const byOwner = given.get(item) ?? new Map<Who, Set<string>>();
        byOwner.set(a.owner, (byOwner.get(a.owner) ?? new Set()).add(a.card));
        given.set(item, byOwner);
      }
    }
  }
  for (const [item, byOwner] of given) {
    if (byOwner.size > 1) {
      const parts = [...byOwner].map(([w, ids]) => `${w} (${[...ids].join(', ')})`);
      errors.push(`"${item}" has different owners on different cards: ${parts.join(' vs ')}`);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------------------
// Source citations

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

  /** The cards of all decks, with `file` edited (the edit must change the text and still parse cleanly). */
  const withEdit = (file: string, edit: (text: string) => string): CardSpec[] => {
    const d = decks.find((x) => x.file === file)!;
    const edited = edit(d.text);
    expect(edited).not.toBe(d.text);
    const parsed = parseDeck(edited, file);
    expect(parsed.diagnostics).toEqual([]);
    return decks.flatMap((x) => (x.file === file ? parsed.cards : x.parsed.cards));
  };
  /** The cards of all decks plus one more entry appended to `file`. */
  const withCard = (file: string, entry: string): CardSpec[] => withEdit(file, (t) => `${t.trimEnd()}\n\n${entry.trim()}\n`);

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

  it('has at least 200 cards and uses every question type', () => {
    expect(allCards.length).toBeGreaterThanOrEqual(200);
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
    for (const [name, table] of Object.entries({ CHOICE, MULTI, TRUEFALSE, TYPED, CLOZE, OWNER_CLAIMS, OPTION_OWNER, NOT_AN_OWNER_CLAIM })) {
      for (const id of Object.keys(table)) expect(ids.has(id), `${name} reference entry ${id} has a card`).toBe(true);
    }
  });

  it('never shows the learner the name of a source document', () => {
    expect(namesOfSources(allCards)).toEqual([]);
  });

  it('never asks the same fact twice in the same form', () => {
    expect(findDuplicates(allCards)).toEqual([]);
  });

  it('gives every item the owner of the owner table, on every card of every deck', () => {
    expect(checkOwners(allCards)).toEqual([]);
    // The check is not vacuous: every kind of owner-assigning card is seen.
    const { assignments } = ownerAssignments(allCards);
    expect(new Set(assignments.map((a) => a.card)).size).toBeGreaterThan(30);
    for (const w of WHO) expect(assignments.some((a) => a.holds && a.owner === w), `some card gives an item to ${w}`).toBe(true);
  });

  describe('the reference check can fail', () => {
    it('when a classify item is put in the wrong category', () => {
      const cards = withEdit('02-mfa.deck', (t) => t.replace('- YubiKey => U2F security key', '- YubiKey => Hardware MFA'));
      expect(checkAgainstReference(cards).some((e) => e.includes('"YubiKey" is Hardware MFA'))).toBe(true);
    });

    it('when the wrong choice option is marked correct', () => {
      const cards = withEdit('06-service-categories.deck', (t) =>
        t.replace(/(--- choice cat-dynamodb\n[^\n]*\n)- \[x\] Abstracted services\n- \[ \] Infrastructure services/, '$1- [ ] Abstracted services\n- [x] Infrastructure services'),
      );
      expect(checkAgainstReference(cards).some((e) => e.startsWith('cat-dynamodb:'))).toBe(true);
    });

    it('when a true/false answer is flipped', () => {
      const cards = withEdit('07-iam.deck', (t) => t.replace(/(--- truefalse iam-role-keeps-perms\nQ: [^\n]*\n)A: false/, '$1A: true'));
      expect(checkAgainstReference(cards).some((e) => e.startsWith('iam-role-keeps-perms:'))).toBe(true);
    });

    it('when a multi card gains a wrong answer, a typed answer or a cloze deletion changes', () => {
      const multi = withEdit('08-organizations.deck', (t) => t.replace('- [ ] A security group', '- [x] A security group'));
      expect(checkAgainstReference(multi).some((e) => e.startsWith('org-scp-attach:'))).toBe(true);
      const typed = withEdit('02-mfa.deck', (t) => t.replace(/(--- typed mfa-hw-digits\nQ: [^\n]*\n)A: six/, '$1A: four'));
      expect(checkAgainstReference(typed).some((e) => e.startsWith('mfa-hw-digits:'))).toBe(true);
      const cloze = withEdit('04-shared-responsibility.deck', (t) => t.replace('security {{of::of or in?}} the cloud', 'security {{in::of or in?}} the cloud'));
      expect(checkAgainstReference(cloze).some((e) => e.startsWith('srm-of-in:'))).toBe(true);
    });
  });

  describe('the source-name check can fail', () => {
    it('on a question that names a document by its number', () => {
      const cards = withEdit('02-mfa.deck', (t) => t.replace('Q: What kind of port do you plug a U2F security key into?', "Q: In 004's table, what kind of port do you plug a U2F security key into?"));
      expect(namesOfSources(cards)).toEqual([expect.stringMatching(/^mfa-u2f-port: shows the learner "004"/)]);
    });

    it('on an option, an item or an answer that names one, or on "the course"', () => {
      const cards = withCard(
        '04-shared-responsibility.deck',
        `--- classify srm-planted
Q: Who is responsible?
categories: AWS | Customer
- Maintaining VPC components (002's second list) => AWS
- Managing user accounts => Customer`,
      );
      expect(namesOfSources(cards).some((e) => e.startsWith('srm-planted: shows the learner "002"'))).toBe(true);
      const basic = withCard('01-authn-authz.deck', '--- basic auth-planted\nQ: Which forms of authentication does the course mention?\nA: Tokens and biometrics, see 000_a45be12a6a2ac9ed.txt.');
      const errors = namesOfSources(basic);
      expect(errors.some((e) => e.includes('"the course"'))).toBe(true);
      expect(errors.some((e) => e.includes('"000_a45be12a6a2ac9ed"'))).toBe(true);
    });

    it('but not on a number that only looks like one, nor on an explanation that cites a document', () => {
      const cards = withCard('09-network-data-protection.deck', '--- typed net-planted\nQ: Which range means anywhere?\nA: 0.0.0.0/0\nexplain: 003 § Security Groups and NACLs gives 0.0.0.0/0.');
      expect(namesOfSources(cards)).toEqual([]);
    });
  });

  describe('the duplicate check can fail', () => {
    it('on a light rewording of a card of another deck', () => {
      const cards = withCard(
        '09-network-data-protection.deck',
        `--- choice net-planted
Q: Who selects the Region for your AWS resources in line with data sovereignty regulations?
- [x] The customer
- [ ] AWS`,
      );
      const found = findDuplicates(cards);
      expect(found.map((d) => [d.a, d.b].sort().join(' ~ '))).toEqual(['net-planted ~ srm-who-region']);
    });

    it('on a classify item asked again by another classify card with the same answer', () => {
      const cards = withEdit('09-network-data-protection.deck', (t) => t.replace('- Configuring the network ACLs of your subnets => Customer', '- Managing the backups of your data => Customer'));
      expect(findDuplicates(cards).map((d) => [d.a, d.b].sort().join(' ~ '))).toEqual(['net-who-data ~ srm-who-core']);
    });

    it('but not on the same item with a different answer, nor on a new fact in a familiar template', () => {
      // In the decks as they are: the operating system is the customer's in one category and AWS's in the next.
      const contrast = scorePairs(allCards).find((p) => p.text === '"Infrastructure services: the operating system" / "Container services: the operating system"')!;
      expect(contrast.qScore).toBeGreaterThan(DUPLICATE_THRESHOLD);
      expect(contrast.score).toBeLessThan(DUPLICATE_THRESHOLD);
      const template = withCard('06-service-categories.deck', '--- choice cat-planted\nQ: Which of these is an abstracted service?\n- [x] Amazon SQS\n- [ ] Amazon EC2\n- [ ] Amazon RDS');
      expect(findDuplicates(template)).toEqual([]);
    });
  });

  describe('the owner check can fail', () => {
    it('when an item is moved to another owner on one card', () => {
      const cards = withEdit('05-shared-controls.deck', (t) => t.replace('- Patching the hypervisor layer underneath EC2 instances => AWS', '- Patching the hypervisor layer underneath EC2 instances => Customer'));
      expect(checkOwners(cards).some((e) => e.startsWith('shc-who-patch: "Patching the hypervisor layer underneath EC2 instances" => Customer'))).toBe(true);
    });

    it('when two cards of different decks give one item different owners', () => {
      const cards = withCard(
        '09-network-data-protection.deck',
        `--- classify net-planted
Q: Who is responsible?
categories: AWS | Customer
- Applying updates to the hypervisor => Customer
- Managing the host operating system => AWS`,
      );
      const errors = checkOwners(cards);
      expect(errors.some((e) => e.startsWith('net-planted: "Applying updates to the hypervisor" => Customer'))).toBe(true);
      expect(errors).toContainEqual(expect.stringMatching(/^"virtualization layer and hypervisor" has different owners on different cards: AWS \(shc-who-patch\) vs Customer \(net-planted\)$/));
    });

    it("on the first edition's item that gave data protection to AWS", () => {
      const cards = withEdit('06-service-categories.deck', (t) =>
        t.replace('- Abstracted services: operating the server-side encryption => AWS', '- Abstracted services: server-side encryption and data protection => AWS'),
      );
      expect(checkOwners(cards)).toContainEqual(
        'cat-who-abstracted: "Abstracted services: server-side encryption and data protection" => AWS, but the owner table gives "data protection mechanisms (000)" to Customer',
      );
    });

    it('when a "who" choice, a registered claim or a wrong option contradicts the table', () => {
      const choice = withEdit('04-shared-responsibility.deck', (t) =>
        t.replace(/(--- choice srm-who-region\n[^\n]*\n)- \[x\] The customer\n- \[ \] AWS/, '$1- [ ] The customer\n- [x] AWS'),
      );
      expect(checkOwners(choice).some((e) => e.startsWith('srm-who-region: "Who chooses the Region'))).toBe(true);
      const claims = { ...OWNER_CLAIMS, 'cat-rds-firewall': [{ owner: 'AWS' as const, about: 'configuring the firewall' }] };
      expect(checkOwners(allCards, claims)).toContain('cat-rds-firewall: "configuring the firewall" => AWS, but the owner table gives "firewalls and security groups, in every category" to Customer');
      const reworded = withEdit('06-service-categories.deck', (t) => t.replace('configuring the firewall becomes AWS', 'the firewall rules become AWS'));
      expect(checkOwners(reworded)).toContain('cat-rds-firewall: OWNER_CLAIMS names "configuring the firewall", which is not on the card');
      const wrongOption = withEdit('04-shared-responsibility.deck', (t) => t.replace('- [ ] Security groups\n- [ ] Subnets', '- [ ] The hypervisor\n- [ ] Subnets'));
      expect(checkOwners(wrongOption)).toContain('srm-global-infra: wrong option "The hypervisor" is in fact AWS\'s ("virtualization layer and hypervisor")');
    });

    it('when a true/false statement about an owner is answered against the owner table', () => {
      const cards = withEdit('06-service-categories.deck', (t) => t.replace(/(--- truefalse cat-rds-firewall\nQ: [^\n]*\n)A: false/, '$1A: true'));
      expect(checkAgainstReference(cards).some((e) => e.startsWith('cat-rds-firewall: answer true'))).toBe(true);
    });

    it('when a card asks who is responsible without saying so in a way the test can check', () => {
      const cards = withCard('05-shared-controls.deck', '--- truefalse shc-planted\nQ: Applying updates to the hypervisor is the customer\'s responsibility.\nA: false');
      expect(checkOwners(cards)).toContainEqual(expect.stringMatching(/^shc-planted: asks who is responsible/));
    });
  });
});
