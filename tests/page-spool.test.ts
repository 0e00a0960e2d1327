// The pages a sync pulls wait in memory, then past a limit in a temporary file: they come back whole and in order,
// and nothing is left in the folder, closed or not.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openPageSpool } from '../src/app/page-spool.js';
import { RecallError } from '../src/core/errors.js';
import type { SyncPage } from '../src/core/sync.js';

const dir = mkdtempSync(join(tmpdir(), 'recall-spool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kind = fc.constantFrom('decks', 'cards', 'events', 'reviews', 'settings') as fc.Arbitrary<SyncPage['kind']>;
// Any text, beyond ASCII too: the file holds UTF-8 bytes, the limit counts characters.
const text = fc.string({ unit: 'binary', maxLength: 300 });
// JSON pages, and the COPY text pages of a large pull from the hub: each comes back as the kind it went in.
const page: fc.Arbitrary<SyncPage> = fc.oneof(
  fc.record({ kind, count: fc.nat(5000), json: text }),
  fc.record({ kind, count: fc.nat(5000), json: fc.constant(''), copy: text }),
);

describe('page spool', () => {
  it('gives back every page as added, in memory, on disk, or both, and leaves no file', () => {
    fc.assert(
      fc.property(fc.array(page, { maxLength: 40 }), fc.integer({ min: 0, max: 2000 }), (pages, limit) => {
        const spool = openPageSpool({ dir, inMemoryBytes: limit });
        for (const p of pages) spool.add(p);
        expect(readdirSync(dir)).toEqual([]);
        expect([...spool.pages()]).toEqual(pages);
        // Read twice: the apply could be asked again after a retry.
        expect([...spool.pages()]).toEqual(pages);
        expect(spool.rows).toBe(pages.reduce((n, p) => n + p.count, 0));
        expect(spool.reviews).toBe(pages.reduce((n, p) => n + (p.kind === 'reviews' ? p.count : 0), 0));
        spool.close();
        expect(readdirSync(dir)).toEqual([]);
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('a folder it cannot write to is a local error that names the folder, not a hub error; pages are gone after close', () => {
    const missing = join(dir, 'no', 'such', 'folder');
    const spool = openPageSpool({ dir: missing, inMemoryBytes: 10 });
    spool.add({ kind: 'cards', count: 1, json: '[1]' });
    let err: unknown;
    try {
      spool.add({ kind: 'reviews', count: 1, json: `[${'1,'.repeat(20)}1]` });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RecallError);
    expect((err as RecallError).code).toBe('sync-spool');
    expect((err as RecallError).message).toContain(missing);
    spool.close();
    // An apply of no pages would still move the cursor past them: reading after close throws instead.
    expect(() => [...spool.pages()]).toThrow(/after close/);
  });
});
