// Bundles the CLI into dist/ with esbuild: one small entry that starts fast, with each command in its own chunk
// loaded on demand. Native addons stay external.
import { build } from 'esbuild';
import { readFileSync, rmSync, chmodSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  // The optimizer runs on a worker thread of its own (src/optimizer/run.ts finds it next to the chunks).
  entryPoints: { recall: 'src/cli/recall.ts', 'optimize-worker': 'src/optimizer/worker.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // The image libraries load only when a card shows a picture; sixel's bundled PNG code does not survive bundling.
  external: ['better-sqlite3', '@open-spaced-repetition/binding', 'sixel', 'jimp', 'terminal-image'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __recallCreateRequire } from 'node:module';\nconst require = __recallCreateRequire(import.meta.url);",
  },
  define: { __RECALL_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});
chmodSync(new URL('../dist/recall.js', import.meta.url), 0o755);
