// Bundles the CLI into dist/ with esbuild: one small entry that starts fast, with each command in its own chunk
// loaded on demand. Native addons stay external.
import { build } from 'esbuild';
import { readFileSync, rmSync, chmodSync } from 'node:fs';
import { sharedOptions } from './esbuild-options.mjs';

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
  ...sharedOptions,
  // The optimizer runs on a worker thread of its own (src/optimizer/run.ts finds it next to the chunks).
  entryPoints: { recall: 'src/cli/recall.ts', 'optimize-worker': 'src/optimizer/worker.ts' },
  outdir: 'dist',
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __recallCreateRequire } from 'node:module';\nconst require = __recallCreateRequire(import.meta.url);",
  },
  define: { __RECALL_VERSION__: JSON.stringify(pkg.version) },
  plugins: [...sharedOptions.plugins, nodeStreamsForPg],
});
chmodSync(new URL('../dist/recall.js', import.meta.url), 0o755);
