// `npm run bench [-- --size small|large] [--runs N] [--only a,b] [--no-build]`
// Bundles the TypeScript bench sources (bench/*.ts, which import src/ modules) into bench/.build/ with esbuild, makes
// sure dist/ (the CLI being measured) is current, then runs the suite. Always exits 0 unless the bench itself breaks.
import { build } from 'esbuild';
import { sharedOptions } from '../scripts/esbuild-options.mjs';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

function newestMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = statSync(full);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(full) : st.mtimeMs);
  }
  return newest;
}

// The CLI under test is the real bundle, dist/recall.js. Rebuild it when a source file is newer (or it is missing).
const distEntry = join(root, 'dist/recall.js');
const stale = !existsSync(distEntry) || newestMtime(join(root, 'src')) > statSync(distEntry).mtimeMs;
if (!args.includes('--no-build') && stale) {
  process.stderr.write('bench: dist/ is missing or older than src/; running `npm run build`\n');
  const r = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write('bench: the build failed\n');
    process.exit(1);
  }
}

await build({
  ...sharedOptions,
  entryPoints: {
    main: join(root, 'bench/main.ts'),
    'fit-baseline': join(root, 'bench/fit-baseline.ts'),
    'rss-hook': join(root, 'bench/rss-hook.ts'),
  },
  outdir: join(root, 'bench/.build'),
  banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module';\nconst require = __benchCreateRequire(import.meta.url);" },
  define: { __RECALL_VERSION__: '"bench"' },
});

const { main } = await import(pathToFileURL(join(root, 'bench/.build/main.js')).href);
await main(args, root);
