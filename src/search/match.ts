// Matching the values of a query against text: wildcard patterns, deck names, tags and a card's fields. Each match
// is linear in the text (one left-to-right scan per literal piece, no backtracking), whatever the pattern: a
// search can never be made slow by its input. Pure; the store calls these from SQL functions.
import type { Pattern } from './query.js';

/**
 * Whether `text` matches `pattern`: anchored at both ends unless `contains` (then anywhere). `*` stands for any
 * run of characters; case is ignored (`pattern.parts` are lowercase already). With `*` as the only wildcard the
 * leftmost placement of each piece is always a right one, so one pass decides.
 */
export function matchPattern(pattern: Pattern, text: string, contains = false): boolean {
  const t = text.toLowerCase();
  const parts = pattern.parts;
  if (contains || parts.length > 1) {
    const first = parts[0]!;
    const last = parts.length > 1 ? parts[parts.length - 1]! : '';
    let from = 0;
    let to = t.length;
    if (contains) {
      if (parts.length === 1) return t.includes(first);
      const i = t.indexOf(first);
      if (i === -1) return false;
      from = i + first.length;
    } else {
      if (!t.startsWith(first)) return false;
      from = first.length;
    }
    if (contains) {
      const j = t.lastIndexOf(last);
      if (j === -1 || j < from) return false;
      to = j;
    } else {
      if (!t.endsWith(last) || t.length - last.length < from) return false;
      to = t.length - last.length;
    }
    for (let k = 1; k < parts.length - 1; k++) {
      const p = parts[k]!;
      const i = t.indexOf(p, from);
      if (i === -1 || i + p.length > to) return false;
      from = i + p.length;
    }
    return true;
  }
  return t === parts[0];
}

/** A name with `::` levels matches its own pattern, and every sublevel of a name that does (`a` takes in `a::b`). */
export function matchHierarchical(pattern: Pattern, name: string): boolean {
  if (matchPattern(pattern, name)) return true;
  // Each `::` prefix of the name is a parent; the name is inside a matching parent.
  for (let i = name.indexOf('::'); i !== -1; i = name.indexOf('::', i + 2)) {
    if (matchPattern(pattern, name.slice(0, i))) return true;
  }
  return false;
}

/** The names of `names` a deck pattern matches (subdecks of a match included). */
export function matchDeckNames<T extends { name: string }>(pattern: Pattern, decks: readonly T[]): T[] {
  return decks.filter((d) => matchHierarchical(pattern, d.name));
}

/** The text a bare word searches: every field a learner reads (question, answers, options, items, explanation, source). */
export function fieldsText(contentJson: string): string {
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(contentJson) as Record<string, unknown>;
  } catch {
    return '';
  }
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
  };
  for (const key of ['front', 'back', 'text', 'prompt', 'statement', 'explanation', 'source']) add(c[key]);
  if (Array.isArray(c.answers)) c.answers.forEach(add);
  if (Array.isArray(c.categories)) c.categories.forEach(add);
  for (const list of [c.options, c.items]) {
    if (!Array.isArray(list)) continue;
    for (const o of list) {
      if (o && typeof o === 'object') {
        add((o as Record<string, unknown>).text);
        add((o as Record<string, unknown>).category);
      }
    }
  }
  return out.join('\n');
}
