// Smoke test of the benchmark suite: the small size runs end to end and writes a results file with every row.
// How fast anything is, is not checked here; `npm run bench` reports that.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'recall-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench (smoke)', () => {
  it('runs the small size once and writes every row to results.json', () => {
    const out = join(dir, 'results.json');
    // --no-build: rebuilding dist/ here could pull it from under CLI tests running in parallel.
    const r = spawnSync(process.execPath, ['bench/run.mjs', '--size', 'small', '--runs', '1', '--no-build', '--out', out], {
      cwd: root,
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    expect(result.size).toBe('small');
    const ids = result.rows.map((row: { id: string }) => row.id);
    expect(ids).toEqual(['decks', 'search', 'review', 'answer', 'stats', 'import-text', 'decks-text', 'import-apkg', 'import-anki-large', 'decks-anki', 'export-colpkg', 'export-apkg', 'optimize', 'sync-first', 'sync-new-device', 'sync-incremental']);
    for (const row of result.rows) {
      expect(['PASS', 'FAIL', 'N/A']).toContain(row.status);
      expect(typeof row.target).toBe('string');
      if (row.status !== 'N/A') {
        expect(row.median).toBeGreaterThan(0);
        expect(row.min).toBeLessThanOrEqual(row.max);
      }
    }
    // The table is printed too.
    expect(r.stdout).toContain('| what');
  }, 120_000);
});
