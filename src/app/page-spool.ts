// Where the pages a sync pulls wait for their apply. The hub is read in one snapshot before the local transaction
// begins (the local database is never locked while the network is talked to), so every page is held until then: a
// new device's first sync is the whole log, ~170 MB of COPY text for a million answers (~400 MB as JSON). Past 16 MB they wait in a
// temporary file instead of memory (in the database's folder, which has room for what they become: /tmp may be
// memory itself), read back one page at a time.
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nanoid } from 'nanoid';
import { RecallError } from '../core/errors.js';
import type { SyncKind, SyncPage } from '../core/sync.js';

/** JSON held in memory before the pages go to a file: an ordinary sync never touches the disk for them. */
const IN_MEMORY_BYTES = 16 * 2 ** 20;

export interface PageSpool {
  add(page: SyncPage): void;
  /** The pages in the order they were added, each read back when asked for. */
  pages(): Generator<SyncPage>;
  /** Rows of all pages, and of the review pages alone. */
  readonly rows: number;
  readonly reviews: number;
  /** Frees the memory and the file. */
  close(): void;
}

/** A page's rows as text: COPY text from the hub's large pulls, else JSON. */
const textOf = (page: SyncPage) => page.copy ?? page.json;

export function openPageSpool(opts: { dir?: string; inMemoryBytes?: number } = {}): PageSpool {
  const dir = opts.dir ?? tmpdir();
  const inMemory = opts.inMemoryBytes ?? IN_MEMORY_BYTES;
  const held: SyncPage[] = [];
  let heldBytes = 0;
  let file: { fd: number; path: string; size: number; index: { kind: SyncKind; count: number; copy: boolean; at: number; bytes: number }[] } | null = null;
  let rows = 0;
  let reviews = 0;
  let closed = false;
  const toFile = (page: SyncPage) => {
    try {
      writePage(page);
    } catch (e) {
      // Not the hub's fault: said as what it is (the pull's caller would otherwise report a hub error).
      throw new RecallError('sync-spool', `Cannot keep the pulled rows in a temporary file in ${dir}: ${(e as Error).message}`, {
        hint: 'free some space in that folder (the pull needs about as much as it adds to the database) and run recall sync again; nothing was changed',
      });
    }
  };
  const writePage = (page: SyncPage) => {
    if (!file) {
      const path = join(dir, `recall-pull-${nanoid(10)}`);
      const fd = openSync(path, 'wx+', 0o600);
      file = { fd, path, size: 0, index: [] };
      // Unlinked at once where the system allows it: nothing is left behind, even by a process killed mid-sync.
      try {
        unlinkSync(path);
        file.path = '';
      } catch {
        // removed by close() instead
      }
    }
    const bytes = Buffer.from(textOf(page), 'utf8');
    let done = 0;
    while (done < bytes.length) done += writeSync(file.fd, bytes, done, bytes.length - done, file.size + done);
    file.index.push({ kind: page.kind, count: page.count, copy: page.copy !== undefined, at: file.size, bytes: bytes.length });
    file.size += bytes.length;
  };
  return {
    add(page) {
      if (closed) throw new Error('sync: page spool used after close');
      rows += page.count;
      if (page.kind === 'reviews') reviews += page.count;
      const bytes = Buffer.byteLength(textOf(page), 'utf8');
      if (file || heldBytes + bytes > inMemory) toFile(page);
      else {
        held.push(page);
        heldBytes += bytes;
      }
    },
    *pages() {
      // After close the pages are gone: an apply of none would still move the cursor past them.
      if (closed) throw new Error('sync: page spool read after close');
      yield* held;
      if (!file) return;
      const { fd, index } = file;
      for (const { kind, count, copy, at, bytes } of index) {
        const buf = Buffer.allocUnsafe(bytes);
        let done = 0;
        while (done < bytes) {
          const n = readSync(fd, buf, done, bytes - done, at + done);
          if (n === 0) throw new Error('sync: the pulled pages were cut short on disk');
          done += n;
        }
        yield copy ? { kind, count, json: '', copy: buf.toString('utf8') } : { kind, count, json: buf.toString('utf8') };
      }
    },
    get rows() {
      return rows;
    },
    get reviews() {
      return reviews;
    },
    close() {
      closed = true;
      held.length = 0;
      if (!file) return;
      closeSync(file.fd);
      if (file.path) {
        try {
          unlinkSync(file.path);
        } catch {
          // already gone
        }
      }
      file = null;
    },
  };
}
