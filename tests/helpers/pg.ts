// A real PostgreSQL server for tests and the benchmark, started from the machine's own binaries (the folder that
// `pg_config --bindir` names) in a temp dir, listening only on a Unix socket there. PostgreSQL refuses to run as
// root, so when we are root the server runs as the `postgres` user (runuser) in a folder it owns.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgServer {
  /** The folder of the Unix socket. */
  readonly socketDir: string;
  /** A connection string for a database (and role). */
  url(database: string, user?: string): string;
  createDatabase(name: string, owner?: string): void;
  /** Runs SQL through psql (as the superuser unless `user` is given); returns what psql printed (unaligned, tuples only). */
  psql(sql: string, database?: string, user?: string): string;
  /** Puts a line first in pg_hba.conf (e.g. a role that must give a password) and reloads the server. */
  hbaFirst(line: string): void;
  /** Stops the server at once (like a crash: no checkpoint), or cleanly. */
  stop(mode?: 'fast' | 'immediate'): void;
  start(): void;
  /** Stops the server and removes its folder. */
  destroy(): void;
}

/** The folder of initdb/pg_ctl/postgres, or null when PostgreSQL is not installed. */
export function pgBinDir(): string | null {
  const r = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const dir = r.stdout.trim();
  return existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')) ? dir : null;
}

export const PG_MISSING_MESSAGE = 'PostgreSQL server binaries not found (pg_config --bindir has no initdb/pg_ctl): the PostgreSQL sync tests are skipped';

const live = new Set<PgServer>();
process.on('exit', () => {
  for (const s of live) {
    try {
      s.stop('immediate');
    } catch {
      // already stopped
    }
  }
});

export function startPg(opts: { fsync?: boolean } = {}): PgServer {
  const bin = pgBinDir();
  if (!bin) throw new Error(PG_MISSING_MESSAGE);
  const root = mkdtempSync(join(tmpdir(), 'recall-pg-'));
  const data = join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const full = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] as const : [join(bin, cmd), args] as const;
    const r = spawnSync(full[0], full[1] as string[], { encoding: 'utf8', cwd: root });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  if (asRoot) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (pw.status !== 0) throw new Error('running as root, and there is no postgres user to run the server as');
    chownSync(root, Number(pw.stdout.trim()), Number(gid.stdout.trim()));
  }
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  const options = `-k ${root} -c listen_addresses='' ${opts.fsync ? '' : '-c fsync=off'} -c max_connections=40`;
  let running = false;
  const server: PgServer = {
    socketDir: root,
    url: (database, user = 'postgres') => `postgresql://${user}@/${database}?host=${encodeURIComponent(root)}`,
    createDatabase(name, owner = 'postgres') {
      server.psql(`CREATE DATABASE "${name}" OWNER "${owner}"`);
    },
    psql(sql, database = 'postgres', user = 'postgres') {
      return execFileSync(join(bin, 'psql'), ['-h', root, '-U', user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    },
    hbaFirst(line) {
      const f = join(data, 'pg_hba.conf');
      writeFileSync(f, `${line}\n${readFileSync(f, 'utf8')}`);
      run('pg_ctl', ['-D', data, 'reload']);
    },
    stop(mode = 'fast') {
      if (!running) return;
      run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
      running = false;
    },
    start() {
      if (running) return;
      run('pg_ctl', ['-D', data, '-o', options, '-l', join(root, 'log'), '-w', 'start']);
      running = true;
    },
    destroy() {
      try {
        server.stop('immediate');
      } finally {
        live.delete(server);
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
  live.add(server);
  server.start();
  return server;
}

export function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}
