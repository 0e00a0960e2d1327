// Round trips through the built CLI: a deck out and back in gives identical cards.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, runJson, tempDir } from './helpers/cli.js';

const NOW = '2026-03-10T09:00:00Z';
let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  ensureBuilt();
  t = tempDir();
});
afterAll(() => t.cleanup());

const strip = (cards: any[]) => cards.map(({ note: _note, ...rest }) => rest);

describe('deck round trips', () => {
  for (const deck of ['AWS Organizations', 'Multi-factor authentication (MFA)', 'The AWS shared responsibility model']) {
    it(`${deck}: export as a recall deck file, import elsewhere, identical cards`, () => {
      const a = join(t.dir, `${deck.length}-a.db`);
      const b = join(t.dir, `${deck.length}-b.db`);
      const file = join(t.dir, `${deck.length}.deck`);
      const original = runJson<any[]>(['export', 'deck', deck, '--format', 'json'], { RECALL_DB: a, RECALL_NOW: NOW });
      expect(original.length).toBeGreaterThan(10);
      expect(runCli(['export', 'deck', deck, '--format', 'recall', '--out', file], { RECALL_DB: a, RECALL_NOW: NOW }).code).toBe(0);
      expect(runCli(['check', file]).code).toBe(0);
      // Into a database whose built-in copy of the deck is renamed away, so the import creates it afresh.
      const imported = runJson<any>(['import', file, '--deck', 'Copy'], { RECALL_DB: b, RECALL_NOW: NOW });
      expect(imported.cardsAdded).toBe(original.length);
      const copy = runJson<any[]>(['export', 'deck', 'Copy', '--format', 'json'], { RECALL_DB: b, RECALL_NOW: NOW });
      expect(strip(copy)).toEqual(strip(original));
    });
  }
});
