// Preloaded with `node --import` when GNU time is missing: writes this process's peak RSS (KB) on exit.
import { writeFileSync } from 'node:fs';

const out = process.env.BENCH_RSS_OUT;
if (out) process.on('exit', () => writeFileSync(out, `${process.resourceUsage().maxRSS}\n`));
