// Sync plan between the cards of a deck file and the cards already in the database. Pure: the store applies it.
import type { CardContent, CardSpec } from '../core/types.js';
import { textSimilarity } from '../core/normalize.js';
import { LEECH_TAG, withoutTag } from '../core/leech.js';

export interface ExistingCard {
  id: number;
  uid: string;
  noteUid: string;
  /** JSON of `{...CardContent, explanation?, source?, tags?}`, as written by `cardContentJson`. */
  contentJson: string;
  removed: boolean;
}

export interface SyncPlan {
  add: CardSpec[];
  /** Matched cards whose content, note or removed flag changed; `spec.uid` is the uid to keep (the existing one). */
  update: { id: number; spec: CardSpec }[];
  unchanged: { id: number; spec: CardSpec }[];
  /** Existing cards no longer in the file (and not removed already): marked removed, never deleted. */
  remove: number[];
}

/** Minimum Dice similarity for an entry without id to inherit a vanished card's identity. */
export const SIMILARITY_THRESHOLD = 0.6;

/**
 * The JSON stored in `cards.content`: the content plus the extras that are set (empty ones omitted, as the store's
 * `cardJson` does), so an empty tag list and no tags compare equal.
 */
export function cardContentJson(spec: CardSpec): string {
  // Most cards have no extras: their JSON is the content's own (the copy below would hold the same keys in order).
  if (!spec.explanation && !spec.source && !spec.tags?.length && !spec.anki) return JSON.stringify(spec.content);
  const obj: Record<string, unknown> = { ...spec.content };
  if (spec.explanation) obj.explanation = spec.explanation;
  if (spec.source) obj.source = spec.source;
  if (spec.tags?.length) obj.tags = spec.tags;
  if (!spec.anki) return JSON.stringify(obj);
  // `anki` comes last: the same text JSON.stringify gives, with the note type (shared by every card of an import
  // that has it, and most of the text) written once per note type.
  const head = JSON.stringify(obj);
  return `${head.slice(0, -1)},"anki":${originJson(spec.anki as unknown as Record<string, unknown>)}}`;
}

const noteTypeJson = new WeakMap<object, string>();

/** JSON.stringify(origin) for plain data, the note type's text kept per note type object. */
function originJson(origin: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of Object.keys(origin)) {
    const value = origin[key];
    let text: string | undefined;
    if (key === 'noteType' && typeof value === 'object' && value !== null) {
      text = noteTypeJson.get(value);
      if (text === undefined) noteTypeJson.set(value, (text = JSON.stringify(value)));
    } else text = JSON.stringify(value);
    // As JSON.stringify does: a key whose value has no JSON form (undefined) is left out.
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

function isProvisional(uid: string): boolean {
  return uid.startsWith('~');
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual(ra[k], rb[k]));
}

function parseContent(json: string): CardContent | null {
  try {
    const v = JSON.parse(json) as unknown;
    if (typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string') return v as CardContent;
  } catch {
    // A corrupt row cannot be matched by text; it can still match by uid or be removed.
  }
  return null;
}

/** All the text of a card, so a changed question with the same answer (or the reverse) still matches. */
function fullText(c: CardContent): string {
  switch (c.type) {
    case 'basic':
    case 'reversed':
      return `${c.front}\n${c.back}`;
    case 'cloze':
      return c.text;
    case 'typed':
      return `${c.prompt}\n${c.answers.join('\n')}`;
    case 'choice':
    case 'multi':
      return `${c.prompt}\n${c.options.map((o) => o.text).join('\n')}`;
    case 'truefalse':
      return c.statement;
    case 'classify':
      return `${c.prompt}\n${c.categories.join('\n')}\n${c.items.map((i) => `${i.text} ${i.category}`).join('\n')}`;
  }
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return m;
}

/**
 * Match incoming cards to existing ones. First by uid. Then entries without an id (provisional `~` uids) whose
 * cards all failed to match are paired, entry by entry, with entries whose cards all vanished, when both have
 * the same type and their texts have a Dice similarity of at least SIMILARITY_THRESHOLD (best pairs first).
 * A paired card takes the existing uid and noteUid, so its history stays attached.
 */
export function planDeckSync(existing: ExistingCard[], incoming: CardSpec[]): SyncPlan {
  const byUid = new Map(existing.map((e) => [e.uid, e]));
  const matchedExisting = new Set<number>();
  const resolved: ({ existing: ExistingCard; spec: CardSpec } | null)[] = incoming.map(() => null);

  incoming.forEach((spec, i) => {
    const e = byUid.get(spec.uid);
    if (e && !matchedExisting.has(e.id)) {
      matchedExisting.add(e.id);
      resolved[i] = { existing: e, spec };
    }
  });

  // Entries, not cards, are paired, so a reversed pair or a cloze's deletions move together.
  const incomingGroups = [...groupBy(incoming.map((spec, i) => ({ spec, i })), (x) => x.spec.noteUid)].filter(
    ([noteUid, g]) => isProvisional(noteUid) && g.every((x) => resolved[x.i] === null),
  );
  const existingGroups = [...groupBy(existing, (e) => e.noteUid)]
    .filter(([, g]) => g.every((e) => !matchedExisting.has(e.id)))
    .map(([noteUid, cards]) => {
      const content = parseContent(cards[0]!.contentJson);
      return { noteUid, cards, content, text: content ? fullText(content) : '' };
    })
    .filter((g) => g.content !== null);

  const pairs: { ig: number; eg: number; sim: number }[] = [];
  incomingGroups.forEach(([, g], ig) => {
    const content = g[0]!.spec.content;
    const text = fullText(content);
    existingGroups.forEach((eg, egi) => {
      if (eg.content!.type !== content.type) return;
      const sim = textSimilarity(text, eg.text);
      if (sim >= SIMILARITY_THRESHOLD) pairs.push({ ig, eg: egi, sim });
    });
  });
  pairs.sort((a, b) => b.sim - a.sim || a.ig - b.ig || a.eg - b.eg);

  const taken = new Set(existing.map((e) => e.uid));
  for (const r of resolved) if (r) taken.add(r.spec.uid);
  const fresh = (base: string): string => {
    let uid = base;
    for (let n = 2; taken.has(uid); n++) uid = `${base}.${n}`;
    taken.add(uid);
    return uid;
  };

  const usedIg = new Set<number>();
  const usedEg = new Set<number>();
  const renamed = new Map<number, CardSpec>();
  for (const p of pairs) {
    if (usedIg.has(p.ig) || usedEg.has(p.eg)) continue;
    usedIg.add(p.ig);
    usedEg.add(p.eg);
    const [inNoteUid, group] = incomingGroups[p.ig]!;
    const target = existingGroups[p.eg]!;
    const targetByUid = new Map(target.cards.map((e) => [e.uid, e]));
    for (const { spec, i } of group) {
      // The card's role inside its entry: '' for the card itself, '::r', '::c2'.
      const role = spec.uid.startsWith(inNoteUid) ? spec.uid.slice(inNoteUid.length) : '';
      const wanted = target.noteUid + role;
      const e = targetByUid.get(wanted);
      if (e && !matchedExisting.has(e.id)) {
        matchedExisting.add(e.id);
        resolved[i] = { existing: e, spec: { ...spec, uid: wanted, noteUid: target.noteUid } };
      } else {
        // A deletion the old entry did not have: a new card, but a sibling of the matched ones.
        renamed.set(i, { ...spec, uid: fresh(wanted), noteUid: target.noteUid });
      }
    }
  }

  const plan: SyncPlan = { add: [], update: [], unchanged: [], remove: [] };
  incoming.forEach((spec, i) => {
    const r = resolved[i];
    if (!r) {
      plan.add.push(renamed.get(i) ?? (taken.has(spec.uid) ? { ...spec, uid: fresh(spec.uid) } : (taken.add(spec.uid), spec)));
      return;
    }
    const { existing: e, spec: s } = r;
    const old = parseContent(e.contentJson);
    const incoming = JSON.parse(cardContentJson(s)) as Record<string, unknown>;
    // The leech tag is recall's own, not the file's: a card whose entry is otherwise the same keeps it (and stays
    // unchanged); an entry that changed replaces the card's content, and the leech tag with it.
    const same =
      !e.removed && e.noteUid === s.noteUid && old !== null &&
      (deepEqual(old, incoming) || deepEqual(withoutTag(old as unknown as Record<string, unknown>, LEECH_TAG), incoming));
    (same ? plan.unchanged : plan.update).push({ id: e.id, spec: s });
  });
  // Cards already removed stay removed: nothing to do, nothing to report.
  for (const e of existing) if (!matchedExisting.has(e.id) && !e.removed) plan.remove.push(e.id);
  plan.remove.sort((a, b) => a - b);
  return plan;
}
