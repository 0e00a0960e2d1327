// Issue 16, item 12: every Anki file in tests/fixtures (copies of shared/data, plus Anki's own text test file) is
// imported; each of its decks is exported in each format and imported into a fresh database: the same cards.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, runJson, tempDir } from './helpers/cli.js';

const NOW = '2026-03-10T09:00:00Z';
const FIX = join(__dirname, 'fixtures');
const ANKI_FILES = [
  'anki-kanjiplot/collection.anki2',
  'anki-spanish/SpanishAnkiExportReal.apkg',
  'anki-spanish/Example-Deck.apkg',
  'anki-spanish/Example-Deck.txt',
  'anki-text/text-2fields.txt',
];
const FORMATS = ['recall', 'anki-txt', 'json'] as const;

let t: ReturnType<typeof tempDir>;
let n = 0;
const env = (db: string) => ({ RECALL_DB: db, RECALL_NOW: NOW, TZ: 'UTC' });
beforeAll(() => {
  ensureBuilt();
  t = tempDir('recall-roundtrip-');
});
afterAll(() => t.cleanup());

/**
 * A card as the learner sees it: its type, content, explanation, source and tags (ids are the exporter's to
 * choose: an Anki text file carries recall's ids inside a guid of its own). Sorted, so order does not matter.
 */
function contents(cards: Record<string, unknown>[]): string[] {
  return cards.map(({ id: _id, note: _note, ...rest }) => JSON.stringify(rest, Object.keys(rest).sort())).sort();
}

describe('every deck of every Anki fixture, exported in every format, imports back unchanged', () => {
  it('the fixtures list is complete', () => {
    const found = ['anki-kanjiplot', 'anki-spanish', 'anki-text'].flatMap((d) =>
      readdirSync(join(FIX, d)).filter((f) => /\.(apkg|colpkg|anki2|txt)$/.test(f) && !/LICENSE|COPYING/i.test(f)).map((f) => `${d}/${f}`),
    );
    expect(found.sort()).toEqual([...ANKI_FILES].sort());
  });

  for (const source of ANKI_FILES) {
    it(source, () => {
      const a = join(t.dir, `a${n++}.db`);
      const imported = runJson<{ decks: string[] }>(['import', join(FIX, source)], env(a));
      expect(imported.decks.length).toBeGreaterThan(0);
      for (const deck of imported.decks) {
        const original = runJson<Record<string, unknown>[]>(['export', 'deck', deck, '--format', 'json'], env(a));
        expect(original.length, deck).toBeGreaterThan(0);
        for (const format of FORMATS) {
          const out = join(t.dir, `out${n++}.${format === 'recall' ? 'deck' : format === 'json' ? 'json' : 'txt'}`);
          const w = runCli(['export', 'deck', deck, '--format', format, '--out', out], env(a));
          expect(w.code, `${deck} ${format}: ${w.stderr}`).toBe(0);
          const b = join(t.dir, `b${n++}.db`);
          const back = runCli(['import', out, '--deck', 'Round trip', '--json'], env(b));
          expect(back.code, `${deck} as ${format}: ${back.stderr}`).toBe(0);
          expect(JSON.parse(back.stdout).rowsSkipped, `${deck} as ${format}`).toBe(0);
          const copy = runJson<Record<string, unknown>[]>(['export', 'deck', 'Round trip', '--format', 'json'], env(b));
          expect(contents(copy), `${deck} as ${format}`).toEqual(contents(original));
        }
      }
    }, 300_000);
  }
});
