// Global ids for log rows: nanoid's 21 url-safe characters, from random bytes drawn in batches. nanoid's browser
// build (the one the bundle uses, see scripts/esbuild-options.mjs) asks Web Crypto for every id; a million imported
// review rows made that a million calls (about 10 s here). One call per 4 KiB fills 190 ids.
import { customRandom, urlAlphabet } from 'nanoid';

const pool = new Uint8Array(4096);
let offset = pool.length;

function randomBytes(size: number): Uint8Array {
  if (offset + size > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + size);
  offset += size;
  return out;
}

export const newId: () => string = customRandom(urlAlphabet, 21, randomBytes);
