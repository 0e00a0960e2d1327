// Baseline for `recall optimize`: a cold process that loads the binding and runs only `computeParameters` on the
// same training items recall builds (written by bench/main.ts as [[rating, deltaT], ...] per item), with the options
// recall passes (short-term on, 20 ms progress poll). Prints the wall time of the computeParameters call itself.
import { readFileSync } from 'node:fs';
import { FSRSBindingItem, FSRSBindingReview, computeParameters } from '@open-spaced-repetition/binding';

const file = process.argv[2];
if (!file) throw new Error('usage: fit-baseline ITEMS.json');
const items = JSON.parse(readFileSync(file, 'utf8')) as [number, number][][];
const bindingItems = items.map((item) => new FSRSBindingItem(item.map(([rating, deltaT]) => new FSRSBindingReview(rating, deltaT))));
const t0 = performance.now();
const parameters = await computeParameters(bindingItems, { enableShortTerm: true, timeout: 20 });
process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0, parameters })}\n`);
