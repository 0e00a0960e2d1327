// The PostgreSQL hub: the one module that talks to PostgreSQL (through `pg`, loaded only by `recall sync`). The hub
// keeps every row of every device of a user, keyed by (owner, global id), each with the number of the push that last
// changed it: a device pulls what is above the number it has seen. Pushes of one user are serialised on that user's
// row of `recall.users`, so the numbers become visible in order and a cursor never skips a push still in flight.
import type { Writable } from 'node:stream';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { CopyPager, WIRE_NUMBERS } from '../core/copy-text.js';
import { RecallError } from '../core/errors.js';
import { redactTarget, zeroCounts, SYNC_KINDS, WIRE_FIELDS, type SyncCounts, type SyncKind, type SyncPage } from '../core/sync.js';

/**
 * Ordered migrations of the hub's schema (`recall`), recorded in `recall.migrations`; append, never edit. Every table
 * carries `owner` (the PostgreSQL role that pushed it, `current_user`) and row-level security limits each role to
 * its own rows, so several people can share one database: each connects as their own role.
 */
export const HUB_MIGRATIONS: readonly string[] = [
  `
  CREATE SCHEMA IF NOT EXISTS recall;
  CREATE TABLE recall.migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE recall.hub (id text PRIMARY KEY);
  INSERT INTO recall.hub(id) VALUES (gen_random_uuid()::text);
  CREATE TABLE recall.users (owner text PRIMARY KEY DEFAULT current_user, seq bigint NOT NULL DEFAULT 0);
  CREATE TABLE recall.decks (
    owner text NOT NULL DEFAULT current_user, uid text NOT NULL, name text NOT NULL, description text NOT NULL, source text NOT NULL,
    origin text NOT NULL, path text, created_at bigint NOT NULL, meta_at bigint NOT NULL, meta_device text NOT NULL, seq bigint NOT NULL,
    PRIMARY KEY (owner, uid)
  );
  CREATE TABLE recall.cards (
    owner text NOT NULL DEFAULT current_user, guid text NOT NULL, deck_uid text NOT NULL, uid text NOT NULL, note_uid text NOT NULL,
    content text NOT NULL, position integer NOT NULL, created_at bigint NOT NULL, seq bigint NOT NULL,
    PRIMARY KEY (owner, guid)
  );
  CREATE TABLE recall.card_events (
    owner text NOT NULL DEFAULT current_user, uid text NOT NULL, card_guid text NOT NULL, kind text NOT NULL, at bigint NOT NULL,
    day integer NOT NULL, device text NOT NULL, action_uid text, data text, undone_at bigint, seq bigint NOT NULL,
    PRIMARY KEY (owner, uid)
  );
  CREATE INDEX card_events_card ON recall.card_events (owner, card_guid, kind);
  CREATE TABLE recall.reviews (
    owner text NOT NULL DEFAULT current_user, uid text NOT NULL, card_guid text NOT NULL, rating smallint NOT NULL,
    state_before smallint NOT NULL, state_after smallint NOT NULL, due bigint NOT NULL, stability double precision NOT NULL,
    difficulty double precision NOT NULL, elapsed_days integer NOT NULL, scheduled_days integer NOT NULL, reviewed_at bigint NOT NULL,
    duration_ms bigint NOT NULL, kind text NOT NULL, scheduled smallint NOT NULL, answer text, source_key text, day integer NOT NULL,
    device text, action_uid text, source_state smallint, undone_at bigint, seq bigint NOT NULL,
    PRIMARY KEY (owner, uid)
  );
  CREATE TABLE recall.settings (
    owner text NOT NULL DEFAULT current_user, key text NOT NULL, value text, at bigint NOT NULL, device text NOT NULL, seq bigint NOT NULL,
    PRIMARY KEY (owner, key)
  );
  CREATE INDEX decks_seq ON recall.decks (owner, seq, uid);
  CREATE INDEX cards_seq ON recall.cards (owner, seq, guid);
  CREATE INDEX card_events_seq ON recall.card_events (owner, seq, uid);
  CREATE INDEX reviews_seq ON recall.reviews (owner, seq, uid);
  CREATE INDEX settings_seq ON recall.settings (owner, seq, key);
  DO $$
  DECLARE t text;
  BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'decks', 'cards', 'card_events', 'reviews', 'settings'] LOOP
      EXECUTE format('ALTER TABLE recall.%I ENABLE ROW LEVEL SECURITY', t);
      EXECUTE format('ALTER TABLE recall.%I FORCE ROW LEVEL SECURITY', t);
      EXECUTE format('CREATE POLICY own_rows ON recall.%I USING (owner = current_user) WITH CHECK (owner = current_user)', t);
      EXECUTE format('GRANT SELECT, INSERT, UPDATE ON recall.%I TO PUBLIC', t);
    END LOOP;
  END $$;
  GRANT USAGE ON SCHEMA recall TO PUBLIC;
  GRANT SELECT ON recall.migrations, recall.hub TO PUBLIC;
  `,
];

interface Column {
  wire: string;
  col: string;
  type: string;
}

interface TableSpec {
  table: string;
  key: string;
  columns: Column[];
  /** What a push does to a row the hub already has (grow-only marks, last writer wins). */
  conflict: string;
}

const c = (wire: string, col: string, type: string): Column => ({ wire, col, type });

const TABLES: Record<SyncKind, TableSpec> = {
  decks: {
    table: 'decks',
    key: 'uid',
    columns: [
      c('uid', 'uid', 'text'), c('name', 'name', 'text'), c('description', 'description', 'text'), c('source', 'source', 'text'),
      c('origin', 'origin', 'text'), c('path', 'path', 'text'), c('createdAt', 'created_at', 'bigint'), c('metaAt', 'meta_at', 'bigint'),
      c('metaDevice', 'meta_device', 'text'),
    ],
    conflict: `DO UPDATE SET name = excluded.name, description = excluded.description, meta_at = excluded.meta_at,
      meta_device = excluded.meta_device, seq = excluded.seq
      WHERE excluded.meta_at > recall.decks.meta_at
        OR (excluded.meta_at = recall.decks.meta_at AND excluded.meta_device COLLATE "C" > recall.decks.meta_device COLLATE "C")`,
  },
  cards: {
    table: 'cards',
    key: 'guid',
    columns: [
      c('guid', 'guid', 'text'), c('deckUid', 'deck_uid', 'text'), c('uid', 'uid', 'text'), c('noteUid', 'note_uid', 'text'),
      c('content', 'content', 'text'), c('position', 'position', 'integer'), c('createdAt', 'created_at', 'bigint'),
    ],
    // One card created on two machines with two contents, never edited: the smaller content, as every device keeps.
    conflict: `DO UPDATE SET content = excluded.content, seq = excluded.seq
      WHERE excluded.content COLLATE "C" < recall.cards.content COLLATE "C"
        AND NOT EXISTS (SELECT 1 FROM recall.card_events e WHERE e.owner = recall.cards.owner AND e.card_guid = recall.cards.guid AND e.kind = 'edit')`,
  },
  events: {
    table: 'card_events',
    key: 'uid',
    columns: [
      c('uid', 'uid', 'text'), c('cardGuid', 'card_guid', 'text'), c('kind', 'kind', 'text'), c('at', 'at', 'bigint'), c('day', 'day', 'integer'),
      c('device', 'device', 'text'), c('actionUid', 'action_uid', 'text'), c('data', 'data', 'text'), c('undoneAt', 'undone_at', 'bigint'),
    ],
    conflict: `DO UPDATE SET undone_at = excluded.undone_at, seq = excluded.seq
      WHERE recall.card_events.undone_at IS NULL AND excluded.undone_at IS NOT NULL`,
  },
  reviews: {
    table: 'reviews',
    key: 'uid',
    columns: [
      c('uid', 'uid', 'text'), c('cardGuid', 'card_guid', 'text'), c('rating', 'rating', 'smallint'), c('stateBefore', 'state_before', 'smallint'),
      c('stateAfter', 'state_after', 'smallint'), c('due', 'due', 'bigint'), c('stability', 'stability', 'double precision'),
      c('difficulty', 'difficulty', 'double precision'), c('elapsedDays', 'elapsed_days', 'integer'), c('scheduledDays', 'scheduled_days', 'integer'),
      c('reviewedAt', 'reviewed_at', 'bigint'), c('durationMs', 'duration_ms', 'bigint'), c('kind', 'kind', 'text'), c('scheduled', 'scheduled', 'smallint'),
      c('answer', 'answer', 'text'), c('sourceKey', 'source_key', 'text'), c('day', 'day', 'integer'), c('device', 'device', 'text'),
      c('actionUid', 'action_uid', 'text'), c('sourceState', 'source_state', 'smallint'), c('undoneAt', 'undone_at', 'bigint'),
    ],
    conflict: `DO UPDATE SET undone_at = excluded.undone_at, seq = excluded.seq
      WHERE recall.reviews.undone_at IS NULL AND excluded.undone_at IS NOT NULL`,
  },
  settings: {
    table: 'settings',
    key: 'key',
    columns: [c('key', 'key', 'text'), c('value', 'value', 'text'), c('at', 'at', 'bigint'), c('device', 'device', 'text')],
    conflict: `DO UPDATE SET value = excluded.value, at = excluded.at, device = excluded.device, seq = excluded.seq
      WHERE excluded.at > recall.settings.at
        OR (excluded.at = recall.settings.at AND excluded.device COLLATE "C" > recall.settings.device COLLATE "C")`,
  },
};

for (const kind of SYNC_KINDS) {
  if (TABLES[kind].columns.map((x) => x.wire).join(',') !== WIRE_FIELDS[kind].join(',')) throw new Error(`hub: the ${kind} columns differ from WIRE_FIELDS`);
  // A pull as COPY text reads these as numbers: they must be the numeric columns.
  const numeric = TABLES[kind].columns.filter((x) => x.type !== 'text').map((x) => x.wire).join(',');
  if (numeric !== WIRE_FIELDS[kind].filter((f) => WIRE_NUMBERS[kind].has(f)).join(',')) throw new Error(`hub: the ${kind} numeric columns differ from WIRE_NUMBERS`);
}

/** The conflict clause of a merge from a staging table (its column names are the hub's). */
function mergeSql(t: TableSpec): string {
  const cols = t.columns.map((x) => x.col).join(', ');
  // In key order: the b-trees then grow at their right edge instead of at random pages (half the time for 1M rows).
  return `INSERT INTO recall.${t.table} (owner, seq, ${cols}) SELECT current_user, $1::bigint, ${cols} FROM push_${t.table}
    ORDER BY ${t.key} ON CONFLICT (owner, ${t.key}) ${t.conflict}`;
}

function stagingSql(t: TableSpec): string {
  return `CREATE TEMP TABLE push_${t.table} (${t.columns.map((x) => `${x.col} ${x.type}`).join(', ')}) ON COMMIT DROP`;
}

// Rows go up as one JSON array per page (json_to_recordset): serialising and parsing JSON is native on both sides,
// much cheaper than binding one array parameter per column.
function insertSql(t: TableSpec): string {
  const recordType = t.columns.map((x) => `"${x.wire}" ${x.type}`).join(', ');
  return `INSERT INTO recall.${t.table} (owner, seq, ${t.columns.map((x) => x.col).join(', ')})
    SELECT current_user, $1::bigint, ${t.columns.map((x) => `x."${x.wire}"`).join(', ')} FROM json_to_recordset($2::json) AS x(${recordType})
    ON CONFLICT (owner, ${t.key}) ${t.conflict}`;
}

// Rows come down as one JSON array per page, in (seq, key) order, keyset-paged inside one snapshot. The owner is
// passed as a value (it is current_user; row-level security checks it too): compared with current_user, a function,
// PostgreSQL misjudged how many rows match and sorted all of the user's rows again for every page (a million-row
// pull took two minutes); with the value it walks the (owner, seq, key) index.
function pageSql(t: TableSpec): string {
  const fields = t.columns.map((x) => `'${x.wire}', ${x.col}`).join(', ');
  return `SELECT json_agg(json_build_object(${fields}) ORDER BY seq, ${t.key})::text AS rows, count(*)::integer AS n,
      max(seq) AS last_seq, (array_agg(${t.key} ORDER BY seq DESC, ${t.key} DESC))[1] AS last_key
    FROM (
      SELECT * FROM recall.${t.table}
      WHERE owner = $7 AND seq > $1 AND seq <= $2 AND seq <> $3 AND (seq, ${t.key}) > ($4::bigint, $5::text)
      ORDER BY seq, ${t.key} LIMIT $6
    ) page`;
}

/**
 * A kind's rows of a pull as one COPY stream, push by push. COPY takes no parameters: the bounds are integers, the
 * owner a quoted literal.
 */
function copyPullSql(t: TableSpec, bounds: { after: number; seq: number; skip: number }, owner: string): string {
  const int = (n: number) => String(Math.trunc(n));
  // Within a push, answers come card by card, in time order, not in key order (random): the device stores them in
  // the order they arrive, and replay and the per-day rebuild then read its log card by card from neighbouring pages.
  // The hub sorts them first (~2 s for a million), and a new device's first sync takes ~8 s less.
  const order = t.table === 'reviews' ? 'seq, card_guid, reviewed_at, uid' : `seq, ${t.key}`;
  return `COPY (SELECT ${t.columns.map((x) => x.col).join(', ')} FROM recall.${t.table}
      WHERE owner = ${owner} AND seq > ${int(bounds.after)} AND seq <= ${int(bounds.seq)} AND seq <> ${int(bounds.skip)}
      ORDER BY ${order}) TO STDOUT`;
}

function countSql(t: TableSpec): string {
  return `SELECT count(*)::integer AS n FROM recall.${t.table} WHERE owner = $4 AND seq > $1 AND seq <= $2 AND seq <> $3`;
}

export interface HubEnv {
  [key: string]: string | undefined;
}

export interface Hub {
  /** The hub database's own id (made with its schema): cursors belong to one hub, however its address is spelled. */
  readonly id: string;
  /** The PostgreSQL role: the user namespace. */
  readonly owner: string;
  /** The number of this user's latest push. */
  readonly seq: number;
  /**
   * Sends pages of rows in one transaction; returns the number this push got (null when it changed nothing) and the
   * user's latest number before it (everything up to there was pushed by others or earlier).
   */
  push(pages: Iterable<SyncPage>, onRows?: (n: number) => void, trace?: (step: string) => void): Promise<{ seq: number | null; before: number; counts: SyncCounts }>;
  /**
   * Rows of pushes after `after` (up to the latest, except push `exclude`), from one snapshot, handed to `onPage` a
   * page at a time (the caller decides where they wait: a first pull is the whole log).
   */
  pull(
    after: number, exclude: number | null, onPage: (page: SyncPage) => void, onRows?: (n: number, total: number) => void,
    opts?: { copyAbove?: number },
  ): Promise<{ seq: number }>;
  close(): Promise<void>;
}

const PAGE = 5000;
/** Rows of one kind from which a pull reads them as COPY text rather than as JSON pages. */
const COPY_PULL_ROWS = 5000;

/** The password, as libpq finds it: in the URL, else PGPASSWORD, else ~/.pgpass (PGPASSFILE). Never stored. */
function passwordSource(urlPassword: string, info: { host?: string | null; port?: string | number | null; database?: string | null; user?: string | null }, env: HubEnv) {
  return async (): Promise<string | undefined> => {
    if (urlPassword) return urlPassword;
    if (env.PGPASSWORD) return env.PGPASSWORD;
    // libpq takes an empty PGPASSWORD as none; the pgpass reader skips ~/.pgpass whenever the variable exists at all.
    if (process.env.PGPASSWORD === '') delete process.env.PGPASSWORD;
    // Loaded only when the server asks for a password that neither the URL nor PGPASSWORD gave.
    const { default: pgpass } = await import('pgpass');
    const lookup = (host: string) =>
      new Promise<string | undefined>((resolve) =>
        pgpass({ host, port: String(info.port || env.PGPORT || 5432), database: info.database ?? '', user: info.user ?? '' }, (pass: string | undefined) => resolve(pass)),
      );
    const host = info.host || env.PGHOST || 'localhost';
    // libpq matches a Unix-socket connection as "localhost" too.
    return (await lookup(host)) ?? (host.startsWith('/') ? await lookup('localhost') : undefined);
  };
}

export function hubError(e: unknown, where: string): RecallError {
  if (e instanceof RecallError) return e;
  const err = e as { code?: string; message?: string };
  const msg = redactTarget(err?.message ?? String(e));
  const code = err?.code ?? '';
  if (['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code) || /timeout expired/i.test(msg)) {
    return new RecallError('sync-hub-unreachable', `Cannot reach the hub ${where}: ${msg}`, { hint: 'check that the server runs and the host, port or socket folder; nothing was changed' });
  }
  if (code === '28P01' || code === '28000' || /password/i.test(msg)) {
    return new RecallError('sync-hub-auth', `The hub ${where} refused the login: ${msg}`, {
      hint: 'give the password in PGPASSWORD or ~/.pgpass (mode 0600), never in a stored sync target',
    });
  }
  if (code === '3D000') return new RecallError('sync-hub-no-db', `The hub ${where} has no such database: ${msg}`, { hint: 'create it first (createdb), or name another one' });
  if (code === '42501') {
    return new RecallError('sync-hub-privilege', `The hub ${where} does not let this role do that: ${msg}`, {
      hint: "the first sync creates recall's schema: run it once as the database's owner, or grant CREATE on the database",
    });
  }
  if (code.startsWith('57P') || code.startsWith('08') || /terminat|Connection ended|ECONNRESET|EPIPE/i.test(`${msg} ${code}`)) {
    return new RecallError('sync-hub-lost', `The connection to the hub ${where} was lost: ${msg}`, {
      hint: 'each side is as it was or fully merged; run recall sync again to finish',
    });
  }
  return new RecallError('sync-hub-error', `The hub ${where} failed: ${msg}`, { hint: 'run recall sync again; if it persists, report it with RECALL_DEBUG=1' });
}

export async function openHub(url: string, env: HubEnv): Promise<Hub> {
  const where = redactTarget(url);
  const parsed = parseConnectionString(url) as Record<string, unknown> & { password?: string; host?: string | null; port?: string | null; database?: string | null; user?: string | null };
  const { password: urlPassword = '', ...rest } = parsed;
  const config: pg.ClientConfig = {
    ...(rest as pg.ClientConfig),
    port: rest.port ? Number(rest.port) : undefined,
    user: rest.user || env.PGUSER || undefined,
    database: rest.database || env.PGDATABASE || undefined,
    host: rest.host || env.PGHOST || undefined,
    // pg accepts undefined from the function (no password) although its types say otherwise.
    password: passwordSource(urlPassword, rest, env) as () => Promise<string>,
    connectionTimeoutMillis: 15_000,
    application_name: 'recall sync',
    // bigint columns hold epoch ms and sequence numbers, all well inside a double's exact range.
    types: { getTypeParser: ((oid: number, format?: string) => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser },
  };
  const client = new pg.Client(config);
  // A server that goes away while idle emits 'error' on the client; the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
    const head = await migrate(client);
    return hubOver(client, head, where);
  } catch (e) {
    await client.end().catch(() => {});
    throw hubError(e, where);
  }
}

interface Head {
  id: string;
  owner: string;
  seq: number;
}

async function readHead(client: pg.Client): Promise<{ version: number; head: Head | null }> {
  try {
    const r = await client.query(
      `SELECT (SELECT max(version) FROM recall.migrations) AS version, (SELECT id FROM recall.hub LIMIT 1) AS id, current_user AS owner,
         coalesce((SELECT seq FROM recall.users WHERE owner = current_user), 0) AS seq`,
    );
    const row = r.rows[0] as { version: number | null; id: string; owner: string; seq: number };
    return { version: row.version ?? 0, head: { id: row.id, owner: row.owner, seq: row.seq } };
  } catch (e) {
    const code = (e as { code?: string }).code;
    // No schema yet (3F000) or no tables (42P01): a new hub.
    if (code === '3F000' || code === '42P01') return { version: 0, head: null };
    throw e;
  }
}

async function migrate(client: pg.Client): Promise<Head> {
  let { version, head } = await readHead(client);
  if (version > HUB_MIGRATIONS.length) {
    throw new RecallError('sync-hub-too-new', `The hub's schema is version ${version}; this recall knows ${HUB_MIGRATIONS.length}`, {
      hint: 'upgrade recall on this machine; the hub was not changed',
    });
  }
  if (version === HUB_MIGRATIONS.length && head) return head;
  await client.query('BEGIN');
  try {
    // Two devices upgrading one hub at once: one migrates, the other waits and finds it done.
    await client.query('SELECT pg_advisory_xact_lock(7714270501)');
    const exists = (await client.query("SELECT to_regclass('recall.migrations') IS NOT NULL AS ok")).rows[0].ok as boolean;
    const current = exists ? ((await client.query('SELECT coalesce(max(version), 0) AS v FROM recall.migrations')).rows[0].v as number) : 0;
    for (let v = current; v < HUB_MIGRATIONS.length; v++) {
      await client.query(HUB_MIGRATIONS[v]!);
      await client.query('INSERT INTO recall.migrations(version) VALUES ($1)', [v + 1]);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
  ({ version, head } = await readHead(client));
  return head!;
}

function hubOver(client: pg.Client, head: Head, where: string): Hub {
  const inserts = Object.fromEntries(SYNC_KINDS.map((k) => [k, insertSql(TABLES[k])])) as Record<SyncKind, string>;
  const merges = Object.fromEntries(SYNC_KINDS.map((k) => [k, mergeSql(TABLES[k])])) as Record<SyncKind, string>;
  const staging = Object.fromEntries(SYNC_KINDS.map((k) => [k, stagingSql(TABLES[k])])) as Record<SyncKind, string>;
  const pages = Object.fromEntries(SYNC_KINDS.map((k) => [k, pageSql(TABLES[k])])) as Record<SyncKind, string>;
  const counts = Object.fromEntries(SYNC_KINDS.map((k) => [k, countSql(TABLES[k])])) as Record<SyncKind, string>;
  return {
    id: head.id,
    owner: head.owner,
    seq: head.seq,
    async push(source, onRows, trace) {
      const out = zeroCounts();
      let mine: number | null = null;
      let prev = head.seq;
      let pending: Promise<void> | null = null;
      // A large push streams new rows through COPY into a staging table per kind (PostgreSQL parses COPY text
      // several times faster than JSON): the server parses each page while the loop renders the next one from
      // SQLite. Then one INSERT ... SELECT merges them with the same conflict rules, in key order, so the b-trees
      // grow at their right edge instead of at random pages (half the time for a million rows; merging in chunks,
      // tried, loses that and is slower overall).
      const sg = { kind: null as SyncKind | null, stream: null as Writable | null, done: null as Promise<void> | null };
      const finishCopy = async () => {
        if (!sg.stream) return;
        const kind = sg.kind!;
        sg.stream.end();
        sg.stream = null;
        await sg.done;
        trace?.(`copied-${kind}`);
        const r = await client.query(merges[kind], [mine]);
        out[kind] += r.rowCount ?? 0;
        trace?.(`merged-${kind}`);
      };
      const stageCopy = async (page: SyncPage) => {
        if (sg.stream && sg.kind !== page.kind) await finishCopy();
        if (!sg.stream) {
          await client.query(staging[page.kind]);
          const stream: Writable = client.query(copyFrom(`COPY push_${TABLES[page.kind].table} FROM STDIN`));
          const done = new Promise<void>((resolve, reject) => {
            stream.on('finish', resolve);
            stream.on('error', reject);
          });
          done.catch(() => {}); // awaited in finishCopy, or raced below
          Object.assign(sg, { kind: page.kind, stream, done });
        }
        const stream = sg.stream!;
        if (!stream.write(page.copy)) await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), sg.done]);
        onRows?.(page.count);
      };
      try {
        for (const page of source) {
          if (mine === null) {
            // One round trip: the user's row lock orders this user's pushes, so numbers become visible in order.
            const res = (await client.query(
              `BEGIN; INSERT INTO recall.users(owner) VALUES (current_user) ON CONFLICT DO NOTHING;
               SELECT seq FROM recall.users WHERE owner = current_user FOR UPDATE`,
            )) as unknown as pg.QueryResult[];
            prev = res[2]!.rows[0].seq as number;
            mine = prev + 1;
          }
          if (page.copy !== undefined) {
            if (pending) await pending;
            pending = null;
            await stageCopy(page);
            continue;
          }
          await finishCopy();
          // While the hub inserts this page, the loop reads the next one from SQLite (the generator's next step):
          // pg sends a queued query the moment the previous one is answered, so the two sides work at once.
          const q = client.query(inserts[page.kind], [mine, page.json]).then((r) => {
            out[page.kind] += r.rowCount ?? 0;
            onRows?.(page.count);
          });
          q.catch(() => {}); // handled below, when awaited; not an unhandled rejection meanwhile
          if (pending) await pending;
          pending = q;
        }
        await finishCopy();
        if (pending) await pending;
        if (mine === null) return { seq: null, before: head.seq, counts: out };
        if (SYNC_KINDS.every((k) => out[k] === 0)) {
          // Nothing new for the hub: no number is used up, so other devices have nothing to fetch.
          await client.query('ROLLBACK');
          return { seq: null, before: prev, counts: out };
        }
        // `mine` is a number we computed: inlined, so the update and the commit go in one round trip.
        await client.query(`UPDATE recall.users SET seq = ${Math.trunc(mine)} WHERE owner = current_user; COMMIT`);
        return { seq: mine, before: prev, counts: out };
      } catch (e) {
        sg.stream?.destroy();
        if (mine !== null) await client.query('ROLLBACK').catch(() => {});
        throw hubError(e, where);
      }
    },
    async pull(after, exclude, onPage, onRows, opts = {}) {
      let broken = false;
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const seq = (await client.query('SELECT coalesce((SELECT seq FROM recall.users WHERE owner = current_user), 0) AS seq')).rows[0].seq as number;
        if (seq < after) {
          await client.query('COMMIT');
          return { seq };
        }
        const skip = exclude ?? -1;
        // Nothing numbered above the cursor but our own push: the usual case, answered without touching a table.
        if (seq === after || (seq === exclude && after === seq - 1)) {
          await client.query('COMMIT');
          return { seq };
        }
        const n = {} as Record<SyncKind, number>;
        for (const kind of SYNC_KINDS) n[kind] = (await client.query(counts[kind], [after, seq, skip, head.owner])).rows[0].n as number;
        const total = SYNC_KINDS.reduce((sum, kind) => sum + n[kind], 0);
        let done = 0;
        if (total > 0) {
          for (const kind of SYNC_KINDS) {
            if (n[kind] === 0) continue;
            if (n[kind] >= (opts.copyAbove ?? COPY_PULL_ROWS)) {
              // Many rows stream as COPY text: PostgreSQL writes it about ten times faster than it builds the JSON
              // pages below, which left a new device waiting on the hub for a quarter of its first sync.
              const pager = new CopyPager(PAGE);
              const take = (page: { text: string; count: number } | null) => {
                if (!page) return;
                onPage({ kind, count: page.count, json: '', copy: page.text });
                done += page.count;
                onRows?.(done, total);
              };
              const stream = client.query(copyTo(copyPullSql(TABLES[kind], { after, seq, skip }, client.escapeLiteral(head.owner))));
              try {
                for await (const chunk of stream as AsyncIterable<Uint8Array>) for (const page of pager.add(chunk)) take(page);
                take(pager.end());
              } catch (e) {
                // Rows recall cannot read, or the stream broke: the connection may be mid-COPY, where a ROLLBACK
                // would wait behind it. Closing it ends the snapshot on the server as well.
                stream.destroy();
                broken = true;
                throw e;
              }
              continue;
            }
            let lastSeq = -1;
            let lastKey = '';
            for (;;) {
              const r = await client.query(pages[kind], [after, seq, skip, lastSeq, lastKey, PAGE, head.owner]);
              const row = r.rows[0] as { rows: string | null; n: number; last_seq: number; last_key: string };
              if (!row.rows || row.n === 0) break;
              lastSeq = row.last_seq;
              lastKey = row.last_key;
              onPage({ kind, count: row.n, json: row.rows });
              done += row.n;
              onRows?.(done, total);
              if (row.n < PAGE) break;
            }
          }
        }
        await client.query('COMMIT');
        return { seq };
      } catch (e) {
        if (broken) await client.end().catch(() => {});
        else await client.query('ROLLBACK').catch(() => {});
        throw hubError(e, where);
      }
    },
    async close() {
      await client.end().catch(() => {});
    },
  };
}
