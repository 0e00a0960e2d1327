export async function run() { return 0 } export const runStats = run, runReviews = run, runDeck = run, runGet = run, runSet = run;
