import { sanitize } from '../core/text.js';
import { main } from './main.js';

// `recall export reviews | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`recall: ${sanitize(String((e as Error)?.message ?? e))}\n`);
    process.exitCode = 1;
  },
);
