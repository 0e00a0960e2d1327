import { build } from 'esbuild';
import { sharedOptions } from '../../scripts/esbuild-options.mjs';
await build({ ...sharedOptions, entryPoints: { 'profile-answer': new URL('./profile-answer.ts', import.meta.url).pathname }, outdir: new URL('./.build', import.meta.url).pathname,
  banner: { js: "import { createRequire as __cr } from 'node:module';\nconst require = __cr(import.meta.url);" }, define: { __RECALL_VERSION__: '"bench"' } });
