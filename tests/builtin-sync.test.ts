// Built-in decks are synced on start: a changed file updates cards in place and they keep their history.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/app/context.js';
import { commitAnswer, drawCard } from '../src/app/answer.js';
import { syncBuiltinDecks } from '../src/app/sync.js';
import { tempDir } from './helpers/cli.js';

const t = tempDir();
afterAll(() => t.cleanup());
const NOW = '2026-05-01T10:00:00Z';

describe('built-in deck sync', () => {
  it('seeds, skips unchanged files, updates edited cards in place with their history, removes the ones gone from the file', () => {
    const dir = join(t.dir, 'decks');
    mkdirSync(dir);
    const file = join(dir, 'a.deck');
    writeFileSync(file, 'deck: A\n\n--- basic one\nQ: Frist question\nA: 1\n\n--- basic two\nQ: Second\nA: 2\n');
    const ctx = openContext({ db: join(t.dir, 'r.db'), env: { RECALL_NOW: NOW, TZ: 'UTC' } });
    const first = syncBuiltinDecks(ctx, dir);
    expect(first.results).toEqual([{ deck: 'A', added: 2, updated: 0, unchanged: 0, removed: 0, skipped: false }]);
    expect(syncBuiltinDecks(ctx, dir).results[0]!.skipped).toBe(true);

    const cards = ctx.store.studyCards({ deckIds: null, now: ctx.clock(), dayEnd: ctx.dayEnd(ctx.clock()), newLimit: 10, reviewLimit: 10 });
    const one = cards.find((c) => c.uid === 'one')!;
    const res = commitAnswer(ctx, drawCard(ctx, one), 3, { durationMs: 1500 });
    expect(res.ok).toBe(true);

    writeFileSync(file, 'deck: A\n\n--- basic one\nQ: First question\nA: 1\n');
    const second = syncBuiltinDecks(ctx, dir);
    expect(second.results[0]).toMatchObject({ updated: 1, removed: 1, added: 0 });
    const after = ctx.store.getCard(one.id)!;
    expect(after.content).toMatchObject({ front: 'First question' });
    expect(after.schedule?.reps).toBe(1);
    expect(ctx.store.cardLog(one.id)).toHaveLength(1);
    // A card gone from its file is removed (kept with its history, never shown), not suspended.
    const two = cards.find((c) => c.uid === 'two')!;
    expect(ctx.store.getCard(two.id)).toMatchObject({ removed: true, suspended: false });
    expect(ctx.store.cardEvents(two.id).map((e) => e.data.kind)).toEqual(['remove']);
    expect(ctx.store.cardEvents(one.id).map((e) => e.data)).toMatchObject([{ kind: 'edit', before: { uid: 'one' }, after: { uid: 'one' } }]);
    ctx.store.close();
  });

  it('a broken built-in file is reported, other decks still sync', () => {
    const dir = join(t.dir, 'decks2');
    mkdirSync(dir);
    writeFileSync(join(dir, 'bad.deck'), 'deck: Bad\n\n--- choice x\nQ: q\n- [ ] a\n- [ ] b\n');
    writeFileSync(join(dir, 'good.deck'), 'deck: Good\n\n--- basic g\nQ: q\nA: a\n');
    const ctx = openContext({ db: join(t.dir, 'r2.db'), env: { RECALL_NOW: NOW, TZ: 'UTC' } });
    const r = syncBuiltinDecks(ctx, dir);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain('bad.deck:');
    expect(r.results.map((x) => x.deck)).toEqual(['Good']);
    ctx.store.close();
  });
});
