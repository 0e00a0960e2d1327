// Reproducible benchmark collections, built through the project's own code paths: the store opens and migrates the
// database, cards go in with `store.insertCard`, every log row and schedule is what `createScheduler(...).answer`
// (the real scheduler) returns, and the `daily` rollup is rebuilt by `store.rebuildDaily()`. Only the bulk inserts of
// review rows and final schedules use bench-local prepared statements, inside a few large transactions.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { unzipSync, zipSync } from 'fflate';
import { nanoid } from 'nanoid';
import { syncBuiltinDecks } from '../src/app/sync.js';
import { DEFAULT_SETTINGS, type CardContent, type Grade, type Schedule } from '../src/core/types.js';
import { createScheduler, studyDay } from '../src/scheduler/index.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/store/migrations.js';
import { openStore } from '../src/store/store.js';
import { mulberry32 } from '../src/quiz/present.js';

/** Bump when the generator changes what it writes, so cached databases are regenerated. */
export const GENERATOR_VERSION = 2;

/** The fixed clock of every benchmark run. */
export const BENCH_NOW = Date.parse('2026-06-01T09:00:00Z');
export const BENCH_TZ = 'UTC';
const DAY_START_HOUR = DEFAULT_SETTINGS.dayStartHour;
const DAY = 86_400_000;

export interface CollectionSpec {
  name: string;
  cards: number;
  decks: number;
  /** Review-log rows to write (the generator stops at exactly this many). */
  reviews: number;
  /** How far back the oldest card was first studied. */
  spanDays: number;
}

export const COLLECTIONS: Record<string, CollectionSpec> = {
  large: { name: 'large', cards: 100_000, decks: 20, reviews: 1_000_000, spanDays: 6 * 365 },
  small: { name: 'small', cards: 2_000, decks: 20, reviews: 20_000, spanDays: 6 * 365 },
  // What `recall optimize` is measured on: 100k reviews.
  opt: { name: 'opt', cards: 10_000, decks: 2, reviews: 100_000, spanDays: 6 * 365 },
  // The small run's optimize set: 20k reviews.
  'opt-small': { name: 'opt-small', cards: 2_000, decks: 2, reviews: 20_000, spanDays: 6 * 365 },
};

/** mulberry32, the seeded generator the quiz shuffles with. */
export const rng = mulberry32;

/**
 * The cache key: size, seed, schema version, and a hash of the migrations' text too, so a migration edited in place
 * during development (same version, other indexes) cannot leave a stale collection behind. The built-in decks are
 * hashed as well: a collection synced with other decks would make the first measured start sync them again.
 */
export function dbFileName(spec: CollectionSpec, seed: number, deckDir: string): string {
  const schema = createHash('sha256').update(MIGRATIONS.join('\n')).digest('hex').slice(0, 8);
  const decks = createHash('sha256');
  for (const f of readdirSync(deckDir).filter((x) => x.endsWith('.deck')).sort()) decks.update(`${f}\n`).update(readFileSync(join(deckDir, f)));
  return `${spec.name}-seed${seed}-schema${SCHEMA_VERSION}.${schema}-decks${decks.digest('hex').slice(0, 8)}-gen${GENERATOR_VERSION}.db`;
}

export interface GenerateResult {
  path: string;
  cached: boolean;
  seconds: number;
  cards: number;
  reviews: number;
}

/** Returns the cached collection, generating it first if needed. */
export function ensureCollection(dataDir: string, spec: CollectionSpec, seed: number, deckDir: string, log: (s: string) => void): GenerateResult {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, dbFileName(spec, seed, deckDir));
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as { cards: number; reviews: number; seconds: number };
    return { path, cached: true, seconds: m.seconds, cards: m.cards, reviews: m.reviews };
  }
  const tmp = `${path}.tmp`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  const t0 = performance.now();
  log(`generating the ${spec.name} collection (${spec.cards} cards, ${spec.reviews} reviews, seed ${seed}) ...`);
  const counts = generate(tmp, spec, seed, deckDir);
  renameSync(tmp, path);
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(meta, `${JSON.stringify({ ...counts, seconds, spec, seed })}\n`);
  log(`  done in ${seconds.toFixed(1)} s`);
  return { path, cached: false, seconds, cards: counts.cards, reviews: counts.reviews };
}

/** A working copy of a cached collection (the cached file itself is never written by a measurement). */
/**
 * A working copy of a generated collection, without the planner statistics generation left in it: recall never runs
 * ANALYZE, so a user's database has none, and with them SQLite re-plans every statement that compares a bound value
 * with an indexed column (25-100 us each), a cost users do not pay.
 */
export function copyCollection(src: string, dest: string): string {
  for (const f of [dest, `${dest}-wal`, `${dest}-shm`]) rmSync(f, { force: true });
  copyFileSync(src, dest);
  const db = new Database(dest);
  try {
    const stats = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'sqlite_stat%'").pluck().all() as string[];
    for (const t of stats) db.exec(`DROP TABLE ${t}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return dest;
}

const WORDS = (
  'apple river stone cloud quiet bright window garden silver number yellow market winter letter summer ' +
  'mountain forest engine planet kitchen doctor teacher island bottle pencil rabbit orange castle button ' +
  'candle dragon finger hammer jacket ladder mirror needle pocket saddle tunnel velvet wallet zebra anchor'
).split(' ');

function phrase(r: () => number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(r() * WORDS.length)]!);
  return out.join(' ');
}

function generate(path: string, spec: CollectionSpec, seed: number, deckDir: string): { cards: number; reviews: number } {
  const r = rng(seed);
  const store = openStore(path, { now: BENCH_NOW });
  // Fixed settings: the UTC zone makes study days (and so every schedule) independent of the machine's zone.
  store.setSetting('timeZone', BENCH_TZ);
  const settings = { ...DEFAULT_SETTINGS, timeZone: BENCH_TZ };
  const scheduler = createScheduler(settings);
  const dayOf = (ms: number) => studyDay(ms, BENCH_TZ, DAY_START_HOUR);

  // The built-in decks are synced as `recall` would on its first start, so measured runs find nothing to do.
  syncBuiltinDecks({ store, clock: () => BENCH_NOW, day: dayOf }, deckDir);

  // Cards: 10% of the cards are never studied (new), the rest were first studied between spanDays ago and now,
  // oldest first, so older cards have longer histories.
  const deckIds: number[] = [];
  const cardIds: number[] = [];
  store.transaction(() => {
    for (let d = 0; d < spec.decks; d++) {
      deckIds.push(
        store.upsertDeck(
          { name: `Bench::Deck ${String(d + 1).padStart(2, '0')}`, description: 'generated by bench/generate.ts', source: 'bench', origin: 'file', path: null, fileHash: null },
          BENCH_NOW - spec.spanDays * DAY,
        ),
      );
    }
    for (let i = 0; i < spec.cards; i++) {
      const deck = deckIds[i % spec.decks]!;
      const uid = `bench-${i}`;
      const content: CardContent = r() < 0.2
        ? { type: 'typed', prompt: `Spell: ${phrase(r, 3)}?`, answers: [phrase(r, 1)] }
        : { type: 'basic', front: `${phrase(r, 4)}?`, back: phrase(r, 3) };
      cardIds.push(store.insertCard(deck, { uid, noteUid: uid, content, tags: i % 7 === 0 ? ['bench', 'tagged'] : undefined }, Math.floor(i / spec.decks), BENCH_NOW - spec.spanDays * DAY));
    }
  });

  // A million rows go in through a bench-local connection and statement, in 100k-row transactions: the generator is
  // a tool beside recall, not a path of it.
  store.close();
  const db = new Database(path);
  db.pragma('synchronous = OFF');
  const device = db.prepare("SELECT value FROM local WHERE key = 'deviceId'").pluck().get() as string;
  const setSchedule = db.prepare(
    `INSERT INTO schedules(card_id, state, due, stability, difficulty, elapsed_days, scheduled_days, learning_steps, reps, lapses, last_review)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertReview = db.prepare(
    `INSERT INTO reviews(uid, card_id, rating, state_before, state_after, due, stability, difficulty, elapsed_days,
       scheduled_days, reviewed_at, duration_ms, kind, scheduled, answer, source_key, attempt_id, day, device)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'review', 1, NULL, NULL, NULL, ?, ?)`,
  );
  const studied = Math.floor(spec.cards * 0.9);
  const avg = spec.reviews / studied;
  let written = 0;
  let pending = 0;
  db.exec('BEGIN IMMEDIATE');
  try {
    for (let i = 0; i < studied && written < spec.reviews; i++) {
      const cardId = cardIds[i]!;
      // First study: spread over the span, oldest cards first, at a random time of a (UTC) morning-evening session.
      const introDay = Math.floor(((studied - i) / studied) * spec.spanDays);
      let t = BENCH_NOW - introDay * DAY - Math.floor(r() * 12 * 3_600_000);
      // Cards are reviewed until now, at most ~3x the average count, so the budget spreads over most cards.
      const cap = Math.max(1, Math.round(avg * (0.4 + 2.6 * r())));
      let schedule: Schedule | null = null;
      let lastDay: number | undefined;
      // A history never stops in the middle of (re)learning steps: those answers come minutes apart, in one sitting.
      for (let k = 0; (k < cap || (schedule !== null && schedule.state !== 2)) && written < spec.reviews && t < BENCH_NOW; k++) {
        const grade = drawGrade(r, schedule, scheduler.retrievability(schedule, t));
        const day = dayOf(t);
        const o = scheduler.answer(schedule, t, grade, { day, lastReviewDay: lastDay });
        const s = o.schedule;
        const durationMs = Math.round(2_000 + 18_000 * r() * r());
        insertReview.run(nanoid(), cardId, grade, o.stateBefore, s.state, s.due, s.stability, s.difficulty, o.elapsedDays, s.scheduledDays, t, durationMs, Math.max(day, lastDay ?? day), device);
        written++;
        schedule = s;
        lastDay = Math.max(day, lastDay ?? day);
        t = nextReviewTime(r, s.due, s.scheduledDays, t);
        if (++pending >= 100_000) {
          db.exec('COMMIT');
          db.exec('BEGIN IMMEDIATE');
          pending = 0;
        }
      }
      if (schedule) {
        const x: Schedule = schedule;
        setSchedule.run(cardId, x.state, x.due, x.stability, x.difficulty, x.elapsedDays, x.scheduledDays, x.learningSteps, x.reps, x.lapses, x.lastReview);
      }
    }
    db.exec('COMMIT');
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
  db.close();
  const reopened = openStore(path, { now: BENCH_NOW });
  reopened.rebuildDaily();
  reopened.close();
  const final = new Database(path);
  final.pragma('wal_checkpoint(TRUNCATE)');
  final.exec('ANALYZE');
  final.close();
  return { cards: spec.cards, reviews: written };
}

/** A rating as a learner would give it: recalled with the card's probability of recall, then Hard/Good/Easy. */
function drawGrade(r: () => number, schedule: Schedule | null, retrievability: number): Grade {
  const u = r();
  if (!schedule || schedule.state === 0) return u < 0.2 ? 1 : u < 0.3 ? 2 : u < 0.9 ? 3 : 4;
  // Learning and relearning steps are minutes apart: recall is high but not certain.
  const p = schedule.state === 2 ? retrievability : 0.85;
  if (u >= p) return 1;
  const v = r();
  return v < 0.12 ? 2 : v < 0.92 ? 3 : 4;
}

/** When the card is next answered: on time for short steps, else some hours into its due day, sometimes days late. */
function nextReviewTime(r: () => number, due: number, scheduledDays: number, last: number): number {
  if (scheduledDays === 0) return Math.max(last + 1_000, due + Math.floor(r() * 120_000));
  let t = due + Math.floor(r() * 10 * 3_600_000);
  if (r() < 0.15) t += Math.floor(1 + r() * 6) * DAY;
  return t;
}

/** Bump when ensureAnkiPackage changes what it writes. */
const PACKAGE_VERSION = 1;

export interface AnkiPackageResult {
  path: string;
  cached: boolean;
  seconds: number;
  cards: number;
  reviews: number;
}

/**
 * The collection as a plain Anki collection package (.colpkg) with its whole history, for the big-import row:
 * exported by recall itself (`recall export collection`), then made to read as a collection Anki wrote, not one
 * recall wrote: recall's own note record (`notes.data`) is emptied and the built-in decks are left out, so the
 * import takes the path of an Anki user's collection (cards built from the note types, every answer replayed).
 * Cached beside the collection, under its name.
 */
export function ensureAnkiPackage(dataDir: string, collection: string, exportWith: (db: string, out: string) => void, log: (s: string) => void): AnkiPackageResult {
  const path = `${collection.replace(/\.db$/, '')}-anki-v${PACKAGE_VERSION}.colpkg`;
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as { cards: number; reviews: number; seconds: number };
    return { path, cached: true, ...m };
  }
  const t0 = performance.now();
  log(`exporting ${collection} as an Anki package (once; cached) ...`);
  const work = join(dataDir, `package-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const db = copyCollection(collection, join(work, 'collection.db'));
    const exported = join(work, 'export.colpkg');
    exportWith(db, exported);
    const files = unzipSync(readFileSync(exported));
    const inner = join(work, 'collection.anki21');
    const name = 'collection.anki21';
    if (!files[name]) throw new Error(`the export holds no ${name}`);
    writeFileSync(inner, files[name]!);
    const anki = new Database(inner);
    let counts: { cards: number; reviews: number };
    try {
      anki.exec("UPDATE notes SET data = ''");
      const decks = JSON.parse(anki.prepare('SELECT decks FROM col').pluck().get() as string) as Record<string, { id: number; name: string }>;
      const keep = Object.values(decks).filter((d) => d.name.startsWith('Bench')).map((d) => Number(d.id));
      if (keep.length === 0) throw new Error('the export has no Bench decks');
      anki.exec(`DELETE FROM revlog WHERE cid IN (SELECT id FROM cards WHERE did NOT IN (${keep.join(',')}))`);
      anki.exec(`DELETE FROM cards WHERE did NOT IN (${keep.join(',')})`);
      anki.exec('DELETE FROM notes WHERE id NOT IN (SELECT nid FROM cards)');
      anki.exec('VACUUM');
      counts = {
        cards: anki.prepare('SELECT count(*) FROM cards').pluck().get() as number,
        reviews: anki.prepare('SELECT count(*) FROM revlog').pluck().get() as number,
      };
    } finally {
      anki.close();
    }
    files[name] = readFileSync(inner);
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, zipSync(files, { level: 6 }));
    renameSync(tmp, path);
    const seconds = (performance.now() - t0) / 1000;
    writeFileSync(meta, `${JSON.stringify({ ...counts, seconds })}\n`);
    log(`  done in ${seconds.toFixed(1)} s (${counts.cards} cards, ${counts.reviews} review-log rows)`);
    return { path, cached: false, seconds, ...counts };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
