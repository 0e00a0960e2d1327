// "Did you mean ...?": the nearest names to a mistyped one.
import { editDistance } from './normalize.js';

/**
 * The candidates closest to `name`, best first: those within a distance that scales with the length (a third of it,
 * at least 2), and any that contain it or start with it. At most `limit`.
 */
export function nearest(name: string, candidates: readonly string[], limit = 3): string[] {
  const lower = name.toLowerCase();
  const scored = candidates
    .map((c) => {
      const cl = c.toLowerCase();
      const contained = lower.length >= 3 && (cl.includes(lower) || lower.includes(cl));
      const d = editDistance(lower.slice(0, 64), cl.slice(0, 64));
      return { c, score: contained ? Math.min(d, 1) : d, ok: contained || d <= Math.max(2, Math.floor(name.length / 3)) };
    })
    .filter((s) => s.ok)
    .sort((a, b) => a.score - b.score || a.c.localeCompare(b.c));
  return scored.slice(0, limit).map((s) => s.c);
}
