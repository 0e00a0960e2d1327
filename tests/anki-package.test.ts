import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { RecallError } from '../src/core/errors.js';
import type { ImportPlan, PlannedCard } from '../src/core/import-plan.js';
import { CardState } from '../src/core/types.js';
import {
  classifyRevlog,
  etcZoneForOffset,
  planReviews,
  readAnkiPackage,
  readAnkiPackageWithStats,
} from '../src/importers/anki-package.js';
import { parseAnkiText } from '../src/importers/anki-text.js';
import { detectFormat } from '../src/importers/detect.js';
import type { RevlogRow as AnkiRevlogRow } from '../src/importers/anki-package.js';

const KANJI = 'tests/fixtures/anki-kanjiplot/collection.anki2';
const SPANISH = 'tests/fixtures/anki-spanish/SpanishAnkiExportReal.apkg';
const EXAMPLE_APKG = 'tests/fixtures/anki-spanish/Example-Deck.apkg';
const EXAMPLE_TXT = 'tests/fixtures/anki-spanish/Example-Deck.txt';

const work = mkdtempSync(join(tmpdir(), 'recall-anki-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cardsOf = (plan: ImportPlan): PlannedCard[] => plan.decks.flatMap((d) => d.cards);
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function rejects(path: string): RecallError {
  try {
    readAnkiPackage(path, { tmpDir: mkdirTmp() });
  } catch (e) {
    expect(e).toBeInstanceOf(RecallError);
    const err = e as RecallError;
    // Printed as `file: message` with a hint; never a stack trace.
    expect(err.file).toBe(path);
    expect(err.format().startsWith(`${path}: `)).toBe(true);
    expect(err.hint).toBeTruthy();
    return err;
  }
  throw new Error(`expected ${path} to be rejected`);
}

describe('kanjiplot collection.anki2 (schema 11, v1 scheduler)', () => {
  const before = sha(KANJI);
  const { plan, stats } = readAnkiPackageWithStats(KANJI, { tmpDir: mkdirTmp() });
  const cards = cardsOf(plan);

  it('reads 1,005 cards of 530 notes in their decks', () => {
    expect(cards).toHaveLength(1005);
    expect(stats.cards).toBe(1005);
    expect(stats.notes).toBe(530);
    expect(new Set(cards.map((c) => c.noteUid)).size).toBe(530);
    expect(new Set(cards.map((c) => c.uid)).size).toBe(1005);
    expect(plan.decks.map((d) => [d.name, d.cards.length])).toEqual([
      ['kanji', 876],
      ['grammar', 100],
      ["tae kim's grammar guide", 29],
    ]);
    expect(plan.format).toBe('anki-package');
    // The collection records no UTC offset (v1); Anki's default day start applies.
    expect(plan.timeZone).toBeNull();
    expect(plan.dayStartHour).toBe(4);
  });

  it('renders the two-template Japanese note type per template, with a warning', () => {
    const monday = cards.filter((c) => c.noteUid === 'anki:L}:FK?9h2q');
    expect(monday.map((c) => [c.uid, c.content])).toEqual([
      ['anki:L}:FK?9h2q', { type: 'basic', front: '月曜日', back: 'げつようび\nMontag' }],
      ['anki:L}:FK?9h2q::t2', { type: 'basic', front: 'Montag', back: '月曜日\nげつようび' }],
    ]);
    expect(plan.warnings.some((w) => w.message.includes('"Japanese"'))).toBe(true);
    // Basic (and reversed card) notes become reversed pairs.
    const reversed = cards.filter((c) => c.content.type === 'reversed');
    expect(reversed.length).toBe(74);
    for (const c of reversed) {
      const dir = c.content.type === 'reversed' ? c.content.direction : '';
      expect(c.uid.endsWith('::r')).toBe(dir === 'backward');
    }
  });

  it('accounts for all 6,158 revlog rows', () => {
    expect(stats.revlogRows).toBe(6158);
    expect(stats.rated + stats.manual + stats.cram + stats.superseded + stats.orphaned).toBe(6158);
    expect(stats).toMatchObject({ rated: 6062, manual: 0, cram: 12, superseded: 28, orphaned: 56 });
    const planned = cards.flatMap((c) => c.reviews);
    expect(planned).toHaveLength(6158 - stats.orphaned);
    expect(planned.filter((r) => r.scheduled && r.rating >= 1)).toHaveLength(stats.rated);
    expect(new Set(planned.map((r) => r.sourceKey)).size).toBe(planned.length);
    expect(plan.warnings.some((w) => w.message === 'In the collection: 56 review-log rows belong to cards deleted in Anki and are not imported')).toBe(true);
  });

  it('matches the FSRS optimizer CSV row for row after the v1 remap', () => {
    const csv = readFileSync('tests/fixtures/anki-kanjiplot/revlog.fsrs.v2-remapped.csv', 'utf8').trim().split(/\r?\n/);
    expect(csv[0]).toBe('card_id,review_time,review_rating,review_state,review_duration');
    const expected = csv.slice(1).map((line) => {
      const [cid, time, rating, , duration] = line.split(',');
      return `${cid},${time},${rating},${duration}`;
    });
    const ours = [...cards]
      .sort((a, b) => a.ankiCardId! - b.ankiCardId!)
      .flatMap((c) =>
        c.reviews.filter((r) => r.scheduled && r.rating >= 1).map((r) => `${c.ankiCardId},${r.reviewedAt},${r.rating},${r.durationMs}`),
      );
    expect(ours.length).toBe(expected.length);
    expect(ours).toEqual(expected);
    expect(stats.remappedV1).toBeGreaterThan(2000);
  });

  it('keys reviews by guid, ord and revlog id, in chronological order', () => {
    const c = cards.find((x) => x.ankiCardId === 1369134833182)!;
    expect(c.reviews.map((r) => r.sourceKey)[0]).toBe('anki:L}:FK?9h2q:0:1369142951405');
    for (const card of cards) {
      const times = card.reviews.map((r) => r.reviewedAt);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it('leaves the file unchanged', () => {
    expect(sha(KANJI)).toBe(before);
    expect(existsSync(`${KANJI}-wal`)).toBe(false);
    expect(existsSync(`${KANJI}-journal`)).toBe(false);
  });
});

describe('SpanishAnkiExportReal.apkg (schema 18, zstd, WAL header)', () => {
  const before = sha(SPANISH);
  const tmp = mkdirTmp();
  const { plan, stats } = readAnkiPackageWithStats(SPANISH, { tmpDir: tmp });
  const cards = cardsOf(plan);

  it('reads 2,887 cards with Anki deck hierarchy', () => {
    expect(cards).toHaveLength(2887);
    expect(stats.notes).toBe(2887);
    expect(plan.decks.map((d) => [d.name, d.cards.length])).toEqual([
      ['Old Decks::Board Review 2023', 2576],
      ['Spanish', 307],
      ['Example Deck', 4],
    ]);
    expect(new Set(cards.map((c) => c.uid)).size).toBe(2887);
  });

  it('accounts for all 31,363 revlog rows, counting manual and cram rows apart', () => {
    expect(stats.revlogRows).toBe(31363);
    expect(stats.manual).toBe(0);
    expect(stats.cram).toBe(2);
    expect(stats.orphaned).toBe(0);
    expect(stats.rated + stats.manual + stats.cram + stats.superseded + stats.orphaned).toBe(31363);
    const planned = cards.flatMap((c) => c.reviews);
    expect(planned).toHaveLength(31363);
    expect(planned.filter((r) => r.rating === 0)).toHaveLength(stats.manual);
    expect(planned.filter((r) => !r.scheduled && r.rating > 0)).toHaveLength(stats.cram + stats.superseded);
    for (const r of planned) expect(r.durationMs).toBeGreaterThanOrEqual(0), expect(r.durationMs).toBeLessThanOrEqual(3_600_000);
  });

  it('maps cloze and type-in note types', () => {
    const cloze = cards.filter((c) => c.content.type === 'cloze');
    const typed = cards.filter((c) => c.content.type === 'typed');
    expect(cloze).toHaveLength(4);
    expect(typed).toHaveLength(29);
    for (const c of cloze) {
      expect(c.content.type === 'cloze' && c.uid === `${c.noteUid}::c${c.content.index}`).toBe(true);
      expect(c.content.type === 'cloze' && /\{\{c\d+::/.test(c.content.text)).toBe(true);
    }
    for (const c of typed) expect(c.content.type === 'typed' && c.content.answers.length === 1 && c.content.prompt !== '').toBe(true);
  });

  it('takes the UTC offset and day start from the collection', () => {
    expect(plan.timeZone).toBe('Etc/GMT+5');
    expect(plan.dayStartHour).toBe(4);
  });

  it('leaves the file unchanged and the temporary directory empty', () => {
    expect(sha(SPANISH)).toBe(before);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('Example-Deck', () => {
  it('the .apkg gives the same 4 notes as the .txt export', () => {
      const pkg = readAnkiPackage(EXAMPLE_APKG, { tmpDir: mkdirTmp() });
    const txt = parseAnkiText(readFileSync(EXAMPLE_TXT, 'utf8'), EXAMPLE_TXT, {});
    const sides = (p: ImportPlan) => cardsOf(p).map((c) => (c.content.type === 'basic' ? [c.content.front, c.content.back] : []));
    expect(sides(pkg)).toHaveLength(4);
    expect(sides(pkg)).toEqual(sides(txt));
    expect(pkg.decks.map((d) => d.name)).toEqual(['Example Deck']);
    expect(readAnkiPackage(EXAMPLE_APKG, { tmpDir: mkdirTmp(), deck: 'Mine' }).decks.map((d) => d.name)).toEqual(['Mine']);
  });
});

describe('unreadable input gives a RecallError naming the file', () => {
  function scratchFile(name: string, bytes: Uint8Array | string): string {
      const path = join(mkdirTmp(), name);
    writeFileSync(path, bytes);
    return path;
  }

  it('a corrupt zip', () => {
    const bytes = Buffer.from(readFileSync(EXAMPLE_APKG));
    // Overwrite the middle of the deflated data and the central directory signature.
    bytes.fill(0x55, 200, 4000);
    const e = rejects(scratchFile('corrupt.apkg', bytes));
    expect(e.format()).toContain('corrupt.apkg');
    expect(['anki-bad-zip', 'anki-bad-zstd']).toContain(e.code);
    expect(e.hint).toBeTruthy();
  });

  it('a truncated package', () => {
    const bytes = readFileSync(SPANISH).subarray(0, 700_000);
    const e = rejects(scratchFile('truncated.apkg', bytes));
    expect(e.format()).toContain('truncated.apkg');
    expect(e.code).toBe('anki-bad-zip');
  });

  it('a truncated bare collection', () => {
    const e = rejects(scratchFile('cut.anki2', readFileSync(KANJI).subarray(0, 300_000)));
    expect(e.format()).toContain('cut.anki2');
    expect(e.code).toBe('anki-truncated');
  });

  it('a file that is neither zip nor SQLite', () => {
    const e = rejects(scratchFile('notes.apkg', 'just some text, not a package\n'));
    expect(e.format()).toContain('notes.apkg');
    expect(e.code).toBe('anki-not-collection');
  });

  it('a zip without a collection', () => {
    const e = rejects(scratchFile('empty.apkg', zipSync({ 'media': new Uint8Array([123, 125]), 'readme.txt': new TextEncoder().encode('hi') })));
    expect(e.format()).toContain('empty.apkg');
    expect(e.code).toBe('anki-no-collection');
  });

  it('a zip that declares more than 2 GiB', () => {
    const zip = Buffer.from(zipSync({ 'collection.anki2': new Uint8Array(1000) }, { level: 0 }));
    // Central directory entry: signature PK\x01\x02, uncompressed size at offset 24.
    const cd = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(0xfffffff0, cd + 24);
    const e = rejects(scratchFile('bomb.apkg', zip));
    expect(e.format()).toContain('bomb.apkg');
    expect(e.code).toBe('anki-too-large');
  });

  it('a bare collection whose pages are damaged', () => {
    const bytes = Buffer.from(readFileSync(KANJI));
    bytes.fill(0x41, 20_000, 200_000);
    const e = rejects(scratchFile('garbled.anki2', bytes));
    expect(e.code).toBe('anki-corrupt');
  });

  it('a missing file', () => {
    const e = rejects(join(work, 'does-not-exist.apkg'));
    expect(e.format()).toContain('does-not-exist.apkg');
    expect(e.message).toMatch(/no such file/i);
  });
});

describe('classifyRevlog', () => {
  let id = 1_000;
  const row = (type: number, ease: number, extra: Partial<AnkiRevlogRow> = {}): AnkiRevlogRow => ({
    id: (id += 1000), cid: 1, ease, ivl: 1, lastIvl: 0, factor: 2500, time: 1000, type, ...extra,
  });

  it('keeps the last run of learning rows and what follows', () => {
    const rows = [row(0, 3), row(1, 3), row(0, 1), row(0, 3), row(1, 3)];
    expect(classifyRevlog(rows)).toEqual({ classes: ['superseded', 'superseded', 'rated', 'rated', 'rated'], windowStart: 2 });
  });

  it('treats filtered rows with factor 0 as cram, and skips them when finding the window', () => {
    const rows = [row(0, 3), row(3, 3, { factor: 0 }), row(0, 3), row(3, 3), row(1, 2)];
    expect(classifyRevlog(rows).classes).toEqual(['rated', 'cram', 'rated', 'rated', 'rated']);
  });

  it('starts the window at a reset with no learning after it', () => {
    const rows = [row(0, 3), row(1, 3), row(4, 0, { ivl: 0, factor: 0 }), row(1, 3)];
    expect(classifyRevlog(rows)).toEqual({ classes: ['superseded', 'superseded', 'manual', 'rated'], windowStart: 2 });
  });

  it('turns rows into reviews: manual state, cram, v1 remap, clamped duration', () => {
    const t0 = 1_700_000_000_000;
    const rows: AnkiRevlogRow[] = [
      { id: t0, cid: 1, ease: 2, ivl: -600, lastIvl: 0, factor: 0, time: 5000, type: 0 },
      { id: t0 + 1, cid: 1, ease: 3, ivl: 3, lastIvl: -600, factor: 2500, time: 9_999_999, type: 0 },
      { id: t0 + 2, cid: 1, ease: 2, ivl: 3, lastIvl: 3, factor: 0, time: -5, type: 3 },
      { id: t0 + 3, cid: 1, ease: 0, ivl: 7, lastIvl: 3, factor: 2500, time: 0, type: 4 },
      { id: t0 + 4, cid: 1, ease: 0, ivl: 10, lastIvl: 7, factor: 2500, time: 0, type: 5 },
    ];
    const v1 = planReviews(rows, 'g', 1, true);
    expect(v1.reviews).toEqual([
      // Anki's own state is kept as the optimizer's CSV gives it: New for the first answer, then revlog type + 1.
      { sourceKey: `anki:g:1:${t0}`, reviewedAt: t0, durationMs: 5000, rating: 3, scheduled: true, sourceState: 0 },
      { sourceKey: `anki:g:1:${t0 + 1}`, reviewedAt: t0 + 1, durationMs: 3_600_000, rating: 4, scheduled: true, sourceState: 1 },
      // A filtered-deck answer keeps that fact for the optimizer's CSV (review_state 4).
      { sourceKey: `anki:g:1:${t0 + 2}`, reviewedAt: t0 + 2, durationMs: 0, rating: 2, scheduled: false, sourceState: 4 },
      { sourceKey: `anki:g:1:${t0 + 3}`, reviewedAt: t0 + 3, durationMs: 0, rating: 0, scheduled: true, manual: { state: CardState.Review, due: t0 + 3 + 7 * 86_400_000 } },
      { sourceKey: `anki:g:1:${t0 + 4}`, reviewedAt: t0 + 4, durationMs: 0, rating: 0, scheduled: true, manual: { state: CardState.Review, due: t0 + 4 + 10 * 86_400_000 } },
    ]);
    expect(v1.counts).toEqual({ rated: 2, manual: 2, cram: 1, superseded: 0 });
    expect(v1.remapped).toBe(2);
    // Without the v1 flag (v2/v3 collections) eases are taken as they are.
    expect(planReviews(rows, 'g', 1, false).reviews.map((r) => r.rating)).toEqual([2, 3, 2, 0, 0]);
    // A final reset (forget: manual, ivl 0) makes everything before it history; replay starts from New.
    const reset: AnkiRevlogRow = { id: t0 + 5, cid: 1, ease: 0, ivl: 0, lastIvl: 10, factor: 0, time: 0, type: 4 };
    const afterReset = planReviews([...rows, reset], 'g', 1, true);
    expect(afterReset.reviews.map((r) => r.scheduled)).toEqual([false, false, false, false, false, true]);
    expect(afterReset.reviews[5]!.manual).toEqual({ state: CardState.New, due: t0 + 5 });
    expect(afterReset.counts).toEqual({ rated: 0, manual: 3, cram: 1, superseded: 2 });
  });
});

describe('etcZoneForOffset', () => {
  it('uses the Etc sign convention (UTC-5 is Etc/GMT+5)', () => {
    expect(etcZoneForOffset(300)).toBe('Etc/GMT+5');
    expect(etcZoneForOffset(-60)).toBe('Etc/GMT-1');
    expect(etcZoneForOffset(0)).toBe('Etc/GMT');
    expect(etcZoneForOffset(-330)).toBeNull();
    expect(etcZoneForOffset(-15 * 60)).toBeNull();
  });
});

describe('detectFormat', () => {
  const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]);
  const sqlite = Buffer.from('SQLite format 3\0rest', 'latin1');
  it('decides by content first, then by name', () => {
    expect(detectFormat('x.txt', zip)).toBe('anki-package');
    expect(detectFormat('collection', sqlite)).toBe('anki-package');
    expect(detectFormat('aws.deck', Buffer.from('deck: AWS\n'))).toBe('recall');
    expect(detectFormat('export.tsv', Buffer.from('a\tb\n'))).toBe('anki-text');
    expect(detectFormat('export.csv', Buffer.from('a,b\n'))).toBe('anki-text');
    expect(detectFormat('broken.apkg', Buffer.from('garbage'))).toBe('anki-package');
    expect(detectFormat('notes', Buffer.from('#separator:tab\na\tb\n'))).toBe('anki-text');
    expect(detectFormat('noext', Buffer.from('# comment\ndeck: X\n'))).toBe('recall');
  });

  it('throws a RecallError with a hint for anything else', () => {
    try {
      detectFormat('photo.jpg', Buffer.from([0xff, 0xd8, 0xff]));
      throw new Error('not rejected');
    } catch (e) {
      expect(e).toBeInstanceOf(RecallError);
      expect((e as RecallError).format()).toContain('photo.jpg');
      expect((e as RecallError).hint).toBeTruthy();
    }
  });
});

function mkdirTmp(): string {
  return mkdtempSync(join(work, 't-'));
}
