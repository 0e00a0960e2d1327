// The esbuild options recall is bundled with, shared by the CLI build (scripts/build.mjs) and the benchmark's build
// of its own sources (bench/run.mjs), so both measure the same code.

/**
 * nanoid's Node build imports node:crypto up front (about 7 ms of every start, measured here, for a command that may
 * write nothing); its browser build asks the global `crypto` (Web Crypto, in Node since 19) for random bytes only
 * when an id is made. Same algorithm, same secure source.
 */
const nanoidOnDemand = {
  name: 'nanoid-on-demand',
  setup(build) {
    build.onResolve({ filter: /^nanoid$/ }, async (args) => {
      const resolved = await build.resolve('nanoid/package.json', { kind: args.kind, resolveDir: args.resolveDir });
      return { path: resolved.path.replace(/package\.json$/, 'index.browser.js') };
    });
  },
};

export const sharedOptions = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Native addons stay outside; so do the image libraries, which load only when a card shows a picture (sixel's
  // bundled PNG code does not survive bundling).
  external: ['better-sqlite3', '@open-spaced-repetition/binding', 'sixel', 'jimp', 'terminal-image'],
  plugins: [nanoidOnDemand],
  logLevel: 'warning',
};
