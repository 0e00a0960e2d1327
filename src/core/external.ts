// Packages kept outside the bundle and loaded only when needed (the image libraries, which are ES modules).
//
// The built CLI runs as one script compiled with V8's code cache (scripts/launcher.cjs), and import() from code read
// back out of that cache fails on Node 20 ("A dynamic import callback was not specified"). The launcher, an ordinary
// module, lends its own import() for these few loads; run from source (the tests), plain import() does the work.
const viaLauncher = Symbol.for('recall.import');

export function importExternal<T>(specifier: string): Promise<T> {
  const lent = (globalThis as Record<symbol, unknown>)[viaLauncher] as ((s: string) => Promise<unknown>) | undefined;
  return (lent ? lent(specifier) : import(specifier)) as Promise<T>;
}
