// Bundles the CLI into dist/ with esbuild: one small entry that starts fast, with each command in its own chunk
// loaded on demand. Native addons stay external.
import { build } from 'esbuild';
import { readFileSync, rmSync, chmodSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// node-postgres picks its socket functions at load time by asking whether it runs on Cloudflare Workers, which on
// Node 20 constructs a `Response` and so loads Node's whole fetch implementation (undici): ~15 ms of every
// `recall sync`. recall runs on Node only, so the bundle gets pg's own Node functions directly.
const nodeStreamsForPg = {
  name: 'pg-node-streams',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, () => ({
      contents: `module.exports = {
        getStream: () => new (require('net').Socket)(),
        getSecureStream: (options) => require('tls').connect(options),
      };`,
      loader: 'js',
    }));
  },
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { recall: 'src/cli/recall.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['better-sqlite3', '@open-spaced-repetition/binding'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __recallCreateRequire } from 'node:module';\nconst require = __recallCreateRequire(import.meta.url);",
  },
  define: { __RECALL_VERSION__: JSON.stringify(pkg.version) },
  plugins: [nodeStreamsForPg],
  logLevel: 'warning',
});
chmodSync(new URL('../dist/recall.js', import.meta.url), 0o755);
