import { sanitize } from '../core/text.js';
import { main } from './main.js';

// Output goes through io.ts, which writes to the descriptors directly and handles a reader closing the pipe early.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`recall: ${sanitize(String((e as Error)?.message ?? e))}\n`);
    process.exitCode = 1;
  },
);
