/** "1 review", "2 reviews", "1 box", "3 boxes": a count with its noun agreeing, for every message that counts. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
