// Text normalization for comparing typed answers and for matching deck entries by similarity.

/**
 * Canonical form of an answer: NFKD, diacritics stripped, lowercase, punctuation removed, whitespace collapsed.
 * Apostrophes vanish ("don't" = "dont") while other punctuation becomes a space ("access-key" = "access key"),
 * because people type both forms. Symbols (`+`, `$`, `°`) stay: "C++" and "C" are different answers.
 */
export function normalizeAnswer(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['\u2018\u2019\u02bc`]/g, '')
    .replace(/\p{P}/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** Damerau-Levenshtein distance, optimal string alignment variant (a transposition counts as one edit). */
export function editDistance(a: string, b: string): number {
  // Code points, not UTF-16 units, so an astral character counts as one edit.
  const x = Array.from(a);
  const y = Array.from(b);
  const n = x.length;
  const m = y.length;
  if (n === 0) return m;
  if (m === 0) return n;
  // Three rolling rows are enough for OSA.
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m]!;
}

/** Multiset of adjacent character pairs of the normalized text (spaces included, so word boundaries count). */
function bigrams(s: string): Map<string, number> {
  const chars = Array.from(s);
  const out = new Map<string, number>();
  for (let i = 0; i + 1 < chars.length; i++) {
    const g = chars[i]! + chars[i + 1]!;
    out.set(g, (out.get(g) ?? 0) + 1);
  }
  return out;
}

/**
 * Sørensen-Dice coefficient on character bigrams of the normalized texts, 0..1. Equal normalized texts score 1
 * even when shorter than two characters.
 */
export function textSimilarity(a: string, b: string): number {
  const na = normalizeAnswer(a);
  const nb = normalizeAnswer(b);
  if (na === nb) return 1;
  const ga = bigrams(na);
  const gb = bigrams(nb);
  let total = 0;
  for (const c of ga.values()) total += c;
  for (const c of gb.values()) total += c;
  if (total === 0) return 0;
  let shared = 0;
  for (const [g, c] of ga) shared += Math.min(c, gb.get(g) ?? 0);
  return (2 * shared) / total;
}
