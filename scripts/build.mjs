// Bundles the CLI into dist/ with esbuild: dist/cli.js (the whole CLI, CommonJS), dist/recall.js (the entry, which
// runs it with V8's code cache) and the optimizer's worker. Native addons and the image libraries stay external.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

// commander loads node:child_process when it loads (3-5 ms of every start), for executable subcommands, which recall
// has none of. It gets the module on first use instead.
const lazyChildProcessForCommander = {
  name: 'commander-lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'lazy-child-process', namespace: 'recall-lazy' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'recall-lazy' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

// yazl checksums each zip entry with buffer-crc32, in JavaScript: ~0.5 s for the 145 MB collection of a large
// export. Node has zlib.crc32 (native, ~30x faster) from 20.15; on older Nodes yazl keeps buffer-crc32.
const nativeCrc32ForYazl = {
  name: 'yazl-native-crc32',
  setup(b) {
    b.onResolve({ filter: /^buffer-crc32$/ }, (args) =>
      /[\\/]node_modules[\\/]yazl[\\/]/.test(args.importer) ? { path: 'native-crc32', namespace: 'recall-crc32' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'recall-crc32' }, () => ({
      contents: `const zlib = require('node:zlib');
        module.exports = typeof zlib.crc32 === 'function'
          ? { unsigned: (buf, previous) => zlib.crc32(buf, previous || 0) >>> 0 }
          : require('buffer-crc32');`,
      loader: 'js',
      resolveDir: new URL('..', import.meta.url).pathname,
    }));
  },
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
// One CommonJS bundle, run by dist/recall.js (scripts/launcher.cjs) with V8's code cache. Measured on `recall decks
// --json`: ES module chunks loaded on demand cost as much as one bundle compiled whole (~150 ms of CPU against 74 for
// bare node); the bundle with a code cache costs ~117. Lazy imports stay lazy: esbuild wraps each module imported
// with import() in an initializer that runs on first use.
const cjs = {
  ...sharedOptions,
  format: 'cjs',
  splitting: false,
  // better-sqlite3's JavaScript goes into the bundle (and so into the code cache); its addon is found by path.
  external: sharedOptions.external.filter((name) => name !== 'better-sqlite3'),
  // Half the bytes to read and hash at every start; stack traces map back through the source map.
  minify: true,
  define: { __RECALL_VERSION__: JSON.stringify(pkg.version), 'import.meta.url': '__recallModuleUrl' },
  banner: { js: "var __recallModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [...sharedOptions.plugins, nodeStreamsForPg, lazyChildProcessForCommander, nativeCrc32ForYazl],
};
await build({ ...cjs, entryPoints: ['src/cli/recall.ts'], outfile: 'dist/cli.js' });
// The optimizer runs on a worker thread of its own (src/optimizer/run.ts finds it next to the bundle).
await build({ ...cjs, entryPoints: ['src/optimizer/worker.ts'], outfile: 'dist/optimize-worker.js' });
// An Anki collection's review log is read on a worker thread while the import plans the cards (src/importers/revlog-read.ts).
await build({ ...cjs, entryPoints: ['src/importers/revlog-worker.ts'], outfile: 'dist/revlog-worker.js' });
// dist/ is CommonJS whatever the package's "type" says.
writeFileSync(new URL('../dist/package.json', import.meta.url), '{ "type": "commonjs" }\n');
// The launcher names its code cache after the bundle it runs (scripts/launcher.cjs says why).
const bundleId = createHash('sha256').update(readFileSync(new URL('../dist/cli.js', import.meta.url))).digest('hex').slice(0, 16);
const launcher = readFileSync(new URL('./launcher.cjs', import.meta.url), 'utf8');
if (!launcher.includes("'__RECALL_BUNDLE_ID__'")) throw new Error('scripts/launcher.cjs has lost its bundle id placeholder');
writeFileSync(new URL('../dist/recall.js', import.meta.url), launcher.replace("'__RECALL_BUNDLE_ID__'", `'${bundleId}'`));
chmodSync(new URL('../dist/recall.js', import.meta.url), 0o755);
