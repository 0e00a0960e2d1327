// The layering rules of docs and DEVELOPERS: checked by scanning imports, so a violation fails the build.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '../src');
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const all = files(SRC).map((f) => ({ file: relative(SRC, f), text: readFileSync(f, 'utf8') }));
const importsOf = (text: string) => [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
const offenders = (pred: (file: string, spec: string) => boolean) =>
  all.flatMap(({ file, text }) => importsOf(text).filter((spec) => pred(file, spec)).map((spec) => `${file} imports ${spec}`));

describe('architecture', () => {
  it('only src/store imports better-sqlite3', () => {
    expect(offenders((f, s) => s === 'better-sqlite3' && !f.startsWith('store/'))).toEqual([]);
  });
  it('only src/scheduler imports ts-fsrs', () => {
    expect(offenders((f, s) => s === 'ts-fsrs' && !f.startsWith('scheduler/'))).toEqual([]);
  });
  it('only src/cli imports @inquirer', () => {
    expect(offenders((f, s) => s.startsWith('@inquirer/') && !f.startsWith('cli/'))).toEqual([]);
  });
  it('nothing outside src/cli imports cli/', () => {
    expect(offenders((f, s) => !f.startsWith('cli/') && /(^|\/)cli\//.test(s))).toEqual([]);
  });
  it('the pure core imports no adapters', () => {
    const pure = ['core/', 'decks/', 'quiz/', 'session/', 'stats/', 'exporters/'];
    expect(offenders((f, s) => pure.some((p) => f.startsWith(p)) && (/\/(store|app|cli)\//.test(s) || s === 'better-sqlite3' || s.startsWith('node:fs')))).toEqual([]);
  });
  it('the pure core never reads the clock or global randomness', () => {
    const pure = ['core/', 'decks/', 'quiz/', 'session/', 'stats/', 'optimizer/items', 'exporters/'];
    const bad = all.filter(({ file, text }) => pure.some((p) => file.startsWith(p)) && /Date\.now\(\)|Math\.random\(\)/.test(text)).map((f) => f.file);
    expect(bad).toEqual([]);
  });
  it('date-fns is imported by subpath, never from the root (130 ms at start-up)', () => {
    expect(offenders((_f, s) => s === 'date-fns' || s === '@date-fns/tz')).toEqual([]);
  });
});
