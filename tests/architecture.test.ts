// The layering rules of the developers' guide, checked by scanning the sources. Each rule is a function over a set of
// files, run on the real tree (no violations) and on a tree with one planted violation (found), so no rule can pass
// by being unable to fail.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

interface SourceFile {
  file: string;
  text: string;
}

const SRC = join(__dirname, '../src');
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const tree: SourceFile[] = files(SRC).map((f) => ({ file: relative(SRC, f).split('\\').join('/'), text: readFileSync(f, 'utf8') }));

/** Comments blanked out, so prose about `Date.now()` or an example import is not code. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Every module specifier: `import x from`, `import 'x'` (side effects), `export ... from`, `import('x')`, `require('x')`. */
export function importsOf(text: string): string[] {
  const src = code(text);
  const out: string[] = [];
  for (const m of src.matchAll(/\b(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of src.matchAll(/\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

/** Resolves a relative specifier against the importing file: `../cli/x.js` from `app/a.ts` is `cli/x.js`. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const parts = file.split('/').slice(0, -1);
  for (const p of spec.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.') parts.push(p);
  }
  return parts.join('/');
}

const PURE = ['core/', 'decks/', 'quiz/', 'session/', 'stats/', 'scheduler/', 'exporters/', 'search/'];
const inside = (file: string, dirs: string[]) => dirs.some((d) => file.startsWith(d));

type Rule = (files: SourceFile[]) => string[];

const importRule = (pred: (file: string, resolved: string, spec: string) => boolean): Rule => (fs) =>
  fs.flatMap(({ file, text }) => importsOf(text).filter((spec) => pred(file, target(file, spec), spec)).map((spec) => `${file} imports ${spec}`));

const codeRule = (where: (file: string) => boolean, pattern: RegExp, what: string): Rule => (fs) =>
  fs.filter(({ file, text }) => where(file) && pattern.test(code(text))).map(({ file }) => `${file} ${what}`);

export const RULES: Record<string, Rule> = {
  'only src/store imports better-sqlite3': importRule((f, t) => t === 'better-sqlite3' && !f.startsWith('store/')),
  'only src/scheduler imports ts-fsrs': importRule((f, t) => t === 'ts-fsrs' && !f.startsWith('scheduler/')),
  'only src/optimizer imports the FSRS optimizer binding': importRule((f, t) => t.startsWith('@open-spaced-repetition/binding') && !f.startsWith('optimizer/')),
  'only src/store/pg-hub.ts imports the PostgreSQL client': importRule(
    (f, t) => /^(pg|pg-[a-z-]+|pgpass)(\/|$)/.test(t) && f !== 'store/pg-hub.ts',
  ),
  'only src/cli imports @inquirer': importRule((f, t) => t.startsWith('@inquirer/') && !f.startsWith('cli/')),
  'nothing outside src/cli imports cli/': importRule((f, t) => !f.startsWith('cli/') && t.startsWith('cli/')),
  'the pure core imports no adapters or use cases': importRule(
    (f, t) => inside(f, PURE) && (inside(t, ['store/', 'app/', 'cli/', 'optimizer/']) || t === 'better-sqlite3' || /^node:(fs|child_process|net|http)/.test(t)),
  ),
  'core imports nothing of ours': importRule((f, t, spec) => f.startsWith('core/') && spec.startsWith('.') && !t.startsWith('core/')),
  'decks never import quiz (quiz builds on decks)': importRule((f, t) => f.startsWith('decks/') && t.startsWith('quiz/')),
  'date-fns is imported by subpath, never from the root (130 ms at start-up)': importRule((_f, t) => t === 'date-fns' || t === '@date-fns/tz'),
  'the pure core never reads the clock or global randomness': codeRule(
    (f) => inside(f, [...PURE, 'optimizer/items']),
    /Date\.now\s*\(|new\s+Date\s*\(\s*\)|Math\.random\s*\(|performance\.now\s*\(/,
    'reads the clock or Math.random',
  ),
  'no database handle outside src/store': codeRule(
    (f) => !f.startsWith('store/'),
    /\.prepare\s*\(\s*['"`]|\.pragma\s*\(|\bstore\.db\b|\.exec\s*\(\s*['"`](?:\s*(?:SELECT|INSERT|UPDATE|DELETE|CREATE|BEGIN|COMMIT|PRAGMA))/i,
    'uses a database handle',
  ),
  'SQL text only under src/store': codeRule(
    (f) => !f.startsWith('store/'),
    /['"`]\s*(?:SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TABLE|INDEX))/,
    'holds SQL',
  ),
};

describe('architecture', () => {
  for (const [name, rule] of Object.entries(RULES)) {
    it(`${name}: holds on src/`, () => {
      expect(rule(tree)).toEqual([]);
    });
  }

  // One planted violation per rule, in the files the issue named (session.ts, exam.ts) and elsewhere.
  const planted: Record<string, SourceFile> = {
    'only src/store imports better-sqlite3': { file: 'session/session.ts', text: "import Database from 'better-sqlite3';" },
    'only src/scheduler imports ts-fsrs': { file: 'quiz/exam.ts', text: "import { fsrs } from 'ts-fsrs';" },
    'only src/optimizer imports the FSRS optimizer binding': { file: 'app/study.ts', text: "const b = await import('@open-spaced-repetition/binding');" },
    'only src/store/pg-hub.ts imports the PostgreSQL client': { file: 'app/log-sync.ts', text: "import pg from 'pg';" },
    'only src/cli imports @inquirer': { file: 'app/study.ts', text: "import { createPrompt } from '@inquirer/core';" },
    'nothing outside src/cli imports cli/': { file: 'session/session.ts', text: "import '../cli/x.js';" },
    'the pure core imports no adapters or use cases': { file: 'quiz/exam.ts', text: "export { openStudy } from '../app/study.js';" },
    'core imports nothing of ours': { file: 'core/types.ts', text: "import type { Drawn } from '../app/answer.js';" },
    'decks never import quiz (quiz builds on decks)': { file: 'decks/parse.ts', text: "import { gradeAnswer } from '../quiz/grade.js';" },
    'date-fns is imported by subpath, never from the root (130 ms at start-up)': { file: 'cli/format.ts', text: "import { format } from 'date-fns';" },
    'the pure core never reads the clock or global randomness': { file: 'session/session.ts', text: 'export const t = () => new Date();' },
    'no database handle outside src/store': { file: 'app/import.ts', text: "const n = ctx.store.db.prepare('SELECT 1').get();" },
    'SQL text only under src/store': { file: 'cli/commands/quiz.ts', text: "const q = `SELECT c.id FROM cards c WHERE c.type IN ('basic')`;" },
  };
  for (const [name, rule] of Object.entries(RULES)) {
    it(`${name}: fails on a planted violation`, () => {
      const bad = planted[name];
      expect(bad, `no planted violation for "${name}"`).toBeDefined();
      expect(rule([...tree, bad!]).length).toBeGreaterThan(0);
    });
  }

  it('the clock rule also catches Date.now() and Math.random(), and ignores comments', () => {
    const rule = RULES['the pure core never reads the clock or global randomness']!;
    expect(rule([{ file: 'session/a.ts', text: 'const t = Date.now();' }])).toHaveLength(1);
    expect(rule([{ file: 'stats/a.ts', text: 'const r = Math.random();' }])).toHaveLength(1);
    expect(rule([{ file: 'stats/a.ts', text: '// never Date.now() here\nconst d = new Date(ms);' }])).toEqual([]);
  });

  it('side-effect, type-only, re-export, dynamic and require imports are all seen', () => {
    expect(importsOf("import '../cli/x.js';\nimport type { A } from './a.js';\nexport * from './b.js';\nconst c = await import('./c.js');\nconst d = require('./d.js');")).toEqual([
      '../cli/x.js',
      './a.js',
      './b.js',
      './c.js',
      './d.js',
    ]);
  });
});
