import { describe, expect, it } from 'vitest';
import { cardContentJson, planDeckSync } from '../src/decks/match.js';
import type { ExistingCard } from '../src/decks/match.js';
import { parseDeck } from '../src/decks/parse.js';
import type { CardSpec } from '../src/core/types.js';

function cards(body: string): CardSpec[] {
  const d = parseDeck(`deck: D\n${body}`, 'd.deck');
  expect(d.diagnostics).toEqual([]);
  return d.cards;
}

/** The database rows a previous sync of `specs` would have left, ids from 1. */
function rows(specs: CardSpec[], removed: string[] = []): ExistingCard[] {
  return specs.map((s, i) => ({ id: i + 1, uid: s.uid, noteUid: s.noteUid, contentJson: cardContentJson(s), removed: removed.includes(s.uid) }));
}

const V1 = `
--- basic root-what
Q: What is the AWS account root user?
A: The identity created with the account.

--- basic
Q: Which credentials does the root user sign in with?
A: The email address and password of the account.

--- reversed
Q: MFA
A: Multi-factor authentication

--- cloze
T: Security groups operate at the {{instance}} level and are {{stateful}}.
`;

describe('planDeckSync', () => {
  const old = cards(V1);
  const existing = rows(old);

  it('an unchanged file changes nothing', () => {
    const plan = planDeckSync(existing, cards(V1));
    expect(plan.add).toEqual([]);
    expect(plan.update).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(plan.unchanged.map((u) => u.id)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reordering entries changes nothing', () => {
    const entries = V1.split(/\n(?=---)/).filter((e) => e.trim());
    const plan = planDeckSync(existing, cards(`\n${[...entries].reverse().join('\n')}\n`));
    expect(plan.add).toEqual([]);
    expect(plan.update).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(plan.unchanged.map((u) => u.id).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('an entry with id keeps its card whatever its text becomes', () => {
    const plan = planDeckSync(existing, cards(V1.replace('The identity created with the account.', 'Something completely different.')));
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0]!.id).toBe(1);
    expect(plan.update[0]!.spec.uid).toBe('root-what');
    expect(plan.update[0]!.spec.content).toMatchObject({ back: 'Something completely different.' });
    expect(plan.add).toEqual([]);
    expect(plan.remove).toEqual([]);
  });

  it('a typo fix in an entry without id keeps the existing uid (and history); punctuation-only edits match exactly', () => {
    const fixed = cards(V1.replace('Which credentials does the root user sign in with?', 'Which credentials does the root user sign-in with ?'));
    const plan = planDeckSync(existing, cards(V1.replace('Which credentials', 'Wich credentials')));
    const plan2 = planDeckSync(existing, fixed);
    for (const p of [plan, plan2]) {
      expect(p.add).toEqual([]);
      expect(p.remove).toEqual([]);
      expect(p.update).toHaveLength(1);
      expect(p.update[0]!.id).toBe(2);
      expect(p.update[0]!.spec.uid).toBe(old[1]!.uid);
      expect(p.update[0]!.spec.noteUid).toBe(old[1]!.noteUid);
    }
    expect(plan.update[0]!.spec.content).toMatchObject({ front: 'Wich credentials does the root user sign in with?' });
  });

  it('an answer-only change in an entry without id matches by uid (same question)', () => {
    const plan = planDeckSync(existing, cards(V1.replace('The email address and password of the account.', 'Its email and password.')));
    expect(plan.update.map((u) => [u.id, u.spec.uid])).toEqual([[2, old[1]!.uid]]);
  });

  it('a reversed pair without id moves together on a typo fix', () => {
    const plan = planDeckSync(existing, cards(V1.replace('Multi-factor authentication', 'Multi-factor authentification')));
    expect(plan.add).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(plan.update.map((u) => [u.id, u.spec.uid, u.spec.noteUid])).toEqual([
      [3, old[2]!.uid, old[2]!.noteUid],
      [4, `${old[2]!.noteUid}::r`, old[2]!.noteUid],
    ]);
  });

  it('a cloze without id that gains a deletion: old cards updated, the new one added as their sibling', () => {
    const plan = planDeckSync(existing, cards(V1.replace('are {{stateful}}.', 'are {{stateful}} by {{default}}.')));
    const noteUid = old[4]!.noteUid;
    expect(plan.update.map((u) => [u.id, u.spec.uid])).toEqual([
      [5, `${noteUid}::c1`],
      [6, `${noteUid}::c2`],
    ]);
    expect(plan.add.map((a) => [a.uid, a.noteUid])).toEqual([[`${noteUid}::c3`, noteUid]]);
    expect(plan.remove).toEqual([]);
  });

  it('removal: cards no longer in the file are removed, never renamed onto others', () => {
    const plan = planDeckSync(existing, cards(V1.split('--- reversed')[0]!));
    expect(plan.remove).toEqual([3, 4, 5, 6]);
    expect(plan.unchanged.map((u) => u.id)).toEqual([1, 2]);
    expect(plan.add).toEqual([]);
  });

  it('addition: new entries are added with their own uid', () => {
    const plan = planDeckSync(existing, cards(`${V1}\n--- truefalse nacl\nQ: Network ACLs are stateful.\nA: false\n--- basic\nQ: What is IAM?\nA: Identity and Access Management\n`));
    expect(plan.add.map((a) => a.uid)).toEqual(['nacl', expect.stringMatching(/^~/)]);
    expect(plan.remove).toEqual([]);
    expect(plan.unchanged).toHaveLength(6);
  });

  it('a rewritten entry without id is a new card, the old one removed', () => {
    const plan = planDeckSync(existing, cards(V1.replace(/Q: Which credentials[^\n]*\nA: [^\n]*/, 'Q: How many AWS regions are there?\nA: Over thirty.')));
    expect(plan.add).toHaveLength(1);
    expect(plan.remove).toEqual([2]);
  });

  it('similar text of another type does not match', () => {
    const changed = V1.replace('--- basic\nQ: Which credentials does', '--- typed\nQ: Which credential does');
    const plan = planDeckSync(existing, cards(changed));
    expect(plan.add.map((a) => a.content.type)).toEqual(['typed']);
    expect(plan.remove).toEqual([2]);
  });

  it('un-remove: a card that comes back is an update of its old row', () => {
    const plan = planDeckSync(rows(old, ['root-what']), cards(V1));
    expect(plan.update.map((u) => [u.id, u.spec.uid])).toEqual([[1, 'root-what']]);
    expect(plan.unchanged).toHaveLength(5);
    expect(plan.add).toEqual([]);
  });

  it('un-remove by similarity: a removed card without id comes back with a typo fixed', () => {
    const plan = planDeckSync(rows(old, [old[1]!.uid]), cards(V1.replace('sign in with', 'sign in wiht')));
    expect(plan.update.map((u) => [u.id, u.spec.uid])).toEqual([[2, old[1]!.uid]]);
  });

  it('picks the most similar candidate when several qualify', () => {
    const a = cards('--- basic\nQ: What does S3 stand for in AWS?\nA: Simple Storage Service\n--- basic\nQ: What does SQS stand for in AWS?\nA: Simple Queue Service\n');
    const ex = rows(a);
    // Dice similarity of the rewritten SQS entry: 0.76 to the S3 entry, 0.89 to the SQS one; both over the threshold.
    const plan = planDeckSync(ex, cards('--- basic\nQ: What does the SQS service stand for in AWS?\nA: Simple Queue Service\n'));
    expect(plan.update.map((u) => [u.id, u.spec.uid])).toEqual([[2, a[1]!.uid]]);
    expect(plan.remove).toEqual([1]);
    // Both rewritten: each goes to its own best match, whatever the order in the file.
    const both = cards(
      '--- basic\nQ: What does the SQS service stand for in AWS?\nA: Simple Queue Service\n--- basic\nQ: What does the S3 service stand for in AWS?\nA: Simple Storage Service\n',
    );
    const plan2 = planDeckSync(ex, both);
    expect(plan2.update.map((u) => [u.id, u.spec.uid])).toEqual([
      [2, a[1]!.uid],
      [1, a[0]!.uid],
    ]);
    expect(plan2.add).toEqual([]);
  });

  it('questions alike but answers different stay distinct cards', () => {
    const ex = rows(cards('--- basic\nQ: What is IAM?\nA: Identity and Access Management\n'));
    const plan = planDeckSync(ex, cards('--- basic\nQ: What is EC2?\nA: Elastic Compute Cloud\n'));
    expect(plan.add).toHaveLength(1);
    expect(plan.remove).toEqual([1]);
  });

  it('extras and noteUid changes are updates; cardContentJson omits unset extras', () => {
    const plan = planDeckSync(existing, cards(V1.replace('A: The identity created with the account.', 'A: The identity created with the account.\ntags: iam')));
    expect(plan.update.map((u) => u.id)).toEqual([1]);
    expect(cardContentJson(old[0]!)).toBe(JSON.stringify({ type: 'basic', front: old[0]!.content.type === 'basic' ? old[0]!.content.front : '', back: 'The identity created with the account.' }));
  });

  it('cardContentJson of a card with its Anki origin is exactly JSON.stringify of it, the note type shared or not', () => {
    const noteType = { id: 17, name: 'Basic "quoted"', kind: 0 as const, fields: ['Front', 'Back'], templates: [{ name: 'Card 1', qfmt: '{{Front}}', afmt: '{{FrontSide}}<hr id=answer>{{Back}}' }], css: '.card {\n color: black; }\u2028', sortField: 0 };
    const origin = (id: number) => ({ guid: `g\u0000${id}`, noteId: id, cardId: id + 1, ord: 0, mod: 1591088400, noteType, fields: [`front ${id}`, 'back'] });
    for (const spec of [
      { uid: 'a', noteUid: 'a', content: { type: 'basic' as const, front: 'f', back: 'b' }, tags: ['t'], anki: origin(1) },
      { uid: 'b', noteUid: 'b', content: { type: 'basic' as const, front: 'f2', back: 'b2' }, explanation: 'e', anki: origin(2) },
      { uid: 'c', noteUid: 'c', content: { type: 'basic' as const, front: 'f3', back: 'b3' }, anki: { ...origin(3), noteType: { ...noteType, css: 'other' }, extra: undefined } },
    ]) {
      const obj: Record<string, unknown> = { ...spec.content };
      if (spec.explanation) obj.explanation = spec.explanation;
      if (spec.tags) obj.tags = spec.tags;
      obj.anki = spec.anki;
      expect(cardContentJson(spec)).toBe(JSON.stringify(obj));
    }
  });

  it('never adds a uid that already exists in the deck', () => {
    const ex: ExistingCard[] = [
      { id: 7, uid: '~x::c2', noteUid: 'other', contentJson: '{"type":"basic","front":"zzz","back":"yyy"}', removed: true },
      { id: 8, uid: '~x::c1', noteUid: '~x', contentJson: JSON.stringify({ type: 'cloze', text: 'The {{sky}} is blue', index: 1 }), removed: false },
    ];
    const incoming = cards('--- cloze\nT: The {{sky}} is {{blue}}!\n');
    const plan = planDeckSync(ex, incoming);
    const all = [...plan.add.map((a) => a.uid), ...plan.update.map((u) => u.spec.uid), ...plan.unchanged.map((u) => u.spec.uid)];
    expect(new Set(all).size).toBe(all.length);
    expect(plan.update.map((u) => u.id)).toEqual([8]);
    expect(plan.add.map((a) => a.uid)).toEqual(['~x::c2.2']);
    // Card 7 was removed already: it stays removed, and is not removed (or counted) a second time.
    expect(plan.remove).toEqual([]);
  });

  it('a corrupt content row can still match by uid and is then updated', () => {
    const ex: ExistingCard[] = [{ id: 1, uid: 'root-what', noteUid: 'root-what', contentJson: 'not json', removed: false }];
    const plan = planDeckSync(ex, cards(V1));
    expect(plan.update.map((u) => u.id)).toEqual([1]);
  });
});
