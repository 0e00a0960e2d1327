// Replaced at build time by esbuild's `define`; falls back for tests that import the sources.
declare const __RECALL_VERSION__: string | undefined;
export const VERSION: string = typeof __RECALL_VERSION__ === 'string' ? __RECALL_VERSION__ : '0.0.0-dev';
