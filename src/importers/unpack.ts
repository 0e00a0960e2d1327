// Gets the SQLite collection out of an Anki file (.apkg/.colpkg zip, zstd-compressed collection.anki21b, or a bare
// collection.anki2) into a private file, streaming: memory stays a few MB whatever the input. This is the one
// place that bounds decompressed size. Every byte produced, by inflate or zstd alike, passes the same counter,
// which stops at the limit; sizes declared in headers (zip entries, zstd frames, the SQLite header) only allow an
// earlier refusal, never a later one, because a frame need not declare its size at all.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Inflate } from 'fflate';
import { Decompress as ZstdDecompress } from 'fzstd';
import { RecallError } from '../core/errors.js';

/** Largest collection recall unpacks. Real collections without media are tens of MB; the biggest a few hundred. */
export const MAX_COLLECTION_BYTES = 1024 * 2 ** 20;
/**
 * Past this much output, a collection may not be more than MAX_RATIO times the size of the file it came in. Real
 * collections shrink 3-20 times under zip or zstd; a bomb of runs (zstd RLE blocks, deflate) expands by tens of
 * thousands, and stopping it at 64 MiB instead of at the limit spares a second of unpacking for every 100 MiB.
 */
const RATIO_FLOOR = 64 * 2 ** 20;
const MAX_RATIO = 1000;
/** zstd frames with a larger window are refused: fzstd allocates the window, and Anki writes 2 MiB ones. */
const MAX_ZSTD_WINDOW = 8 * 2 ** 20;
/** zstd's own limit for one block. */
const MAX_ZSTD_BLOCK = 128 * 1024;
const READ_CHUNK = 64 * 1024;
/** zlib is loaded when a package is unpacked, not at every start. */
const requireHere = createRequire(import.meta.url);

export const COLLECTION_NAMES = ['collection.anki21b', 'collection.anki21', 'collection.anki2'] as const;

const REEXPORT_HINT = "re-export it from Anki (File > Export, 'Anki Deck Package'), ticking 'Support older Anki versions' if the import still fails";
const NOT_PLAUSIBLE = 'this is not a plausible Anki package; check where the file came from';

function fail(file: string, code: string, message: string, hint: string = REEXPORT_HINT): RecallError {
  return new RecallError(code, message, { file, hint });
}

const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;

type Push = (chunk: Uint8Array, final: boolean) => void;

// ---------------------------------------------------------------------------------------------------------
// The sink: counts, checks the SQLite header, patches the private copy, writes it.

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const UNICASE = [Buffer.from('COLLATE unicase', 'latin1'), Buffer.from('collate unicase', 'latin1')];
const NOCASE = Buffer.from('COLLATE nocase ', 'latin1');
const CARRY = UNICASE[0]!.length - 1;
const BATCH = 4 * 2 ** 20;

/**
 * Receives the collection's bytes in order. Refuses, as soon as it can tell: bytes that do not start with an
 * SQLite header, more bytes than the limit, more bytes than the SQLite header declares. In the copy it rewrites
 * the WAL marker to a rollback journal (no -wal/-shm files next to it) and Anki's `COLLATE unicase` (a collation
 * only Anki registers; SQLite refuses even plain scans without it) to the built-in NOCASE, padded to the same
 * length so no page changes size. We never depend on the order those indexes keep.
 */
class CollectionSink {
  total = 0;
  private head = Buffer.alloc(0);
  private declared: number | undefined;
  private staged: Buffer[] = [];
  private stagedBytes = 0;
  private written = 0;
  constructor(
    private readonly fd: number,
    private readonly file: string,
    private readonly what: string,
    private readonly limit: number,
    /** Size of the file the bytes come from, compressed. */
    private readonly inputBytes: number,
  ) {}

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.total += chunk.length;
    if (this.total > this.limit) {
      throw fail(this.file, 'anki-too-large', `${this.what} unpacks to more than ${mib(this.limit)}; recall stops there`, NOT_PLAUSIBLE);
    }
    if (this.total > RATIO_FLOOR && this.total > MAX_RATIO * this.inputBytes) {
      throw fail(this.file, 'anki-too-large', `${this.what} unpacks to more than ${MAX_RATIO} times the size of the file (${mib(this.total)} from ${this.inputBytes} bytes so far); recall stops there`, NOT_PLAUSIBLE);
    }
    if (this.head.length < 100) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, 100 - this.head.length)]);
      if (this.head.length >= 16 && !this.head.subarray(0, 16).equals(SQLITE_MAGIC)) {
        throw fail(this.file, 'anki-not-collection', `${this.what} is not an SQLite collection`, 'pass an .apkg or .colpkg exported by Anki, or a collection.anki2 file');
      }
      if (this.head.length === 100) this.readHeader();
    }
    if (this.declared !== undefined && this.total > this.declared) {
      throw fail(this.file, 'anki-corrupt', `${this.what} holds more data than its SQLite header declares (${this.declared} bytes)`, NOT_PLAUSIBLE);
    }
    // A copy: the stages reuse their read buffers.
    this.staged.push(Buffer.from(chunk));
    this.stagedBytes += chunk.length;
    if (this.stagedBytes >= BATCH) this.flush(false);
  }

  private readHeader(): void {
    const h = this.head;
    const rawPage = h.readUInt16BE(16);
    const pageSize = rawPage === 1 ? 65536 : rawPage;
    if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) {
      throw fail(this.file, 'anki-corrupt', `${this.what} has a damaged SQLite header (page size ${rawPage})`, "in Anki, run Tools > Check Database, then export again");
    }
    const pages = h.readUInt32BE(28);
    // The in-header page count is valid only when "version-valid-for" equals the change counter.
    if (pages > 0 && h.readUInt32BE(92) === h.readUInt32BE(24)) {
      this.declared = pages * pageSize;
      if (this.declared > this.limit) {
        throw fail(this.file, 'anki-too-large', `${this.what} declares ${mib(this.declared)} of data; recall reads collections up to ${mib(this.limit)}`, NOT_PLAUSIBLE);
      }
    }
  }

  private flush(final: boolean): void {
    if (this.stagedBytes === 0) return;
    const buf = this.staged.length === 1 ? this.staged[0]! : Buffer.concat(this.staged, this.stagedBytes);
    if (this.written === 0) {
      // Bytes 18-19 = 2 mark WAL mode, which would want -wal/-shm files next to the copy; 1 is rollback journal.
      if (buf[18] === 2) buf[18] = 1;
      if (buf[19] === 2) buf[19] = 1;
    }
    for (const n of UNICASE) for (let at = buf.indexOf(n); at !== -1; at = buf.indexOf(n, at + n.length)) NOCASE.copy(buf, at);
    // The last few bytes wait for the next batch: a match may straddle the two.
    const keep = final ? 0 : Math.min(CARRY, buf.length);
    const out = buf.subarray(0, buf.length - keep);
    writeAll(this.fd, out, this.written);
    this.written += out.length;
    this.staged = keep ? [Buffer.from(buf.subarray(buf.length - keep))] : [];
    this.stagedBytes = keep;
  }

  end(): void {
    this.flush(true);
    if (this.total < 100) {
      throw fail(this.file, 'anki-truncated', `The collection is truncated (${this.total} bytes)`, 'copy or export the file again and check that the copy is complete');
    }
    if (this.declared !== undefined && this.total < this.declared) {
      throw fail(this.file, 'anki-truncated', `The collection is truncated (${this.total} of ${this.declared} bytes)`, 'copy or export the file again and check that the copy is complete');
    }
  }
}

function writeAll(fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

// ---------------------------------------------------------------------------------------------------------
// zstd: every frame header is checked before fzstd sees it, so no frame can make it allocate a large window.

const ZSTD_MAGIC = 0xfd2fb528;

/**
 * Walks the frame and block headers of a zstd stream as its bytes go by, refusing windows above
 * MAX_ZSTD_WINDOW, blocks above 128 KiB, dictionaries and reserved bits; passes the bytes on unchanged.
 */
class ZstdGuard {
  private pending = Buffer.alloc(0);
  private skip = 0;
  private state: 'frame' | 'block' = 'frame';
  private checksum = false;
  private window = 0;
  constructor(
    private readonly file: string,
    private readonly what: string,
  ) {}

  private bad(why: string): RecallError {
    return fail(this.file, 'anki-bad-zstd', `${this.what} cannot be decompressed (${why}); the package is damaged or not from Anki`);
  }

  check(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
        pos += n;
        this.skip -= n;
        continue;
      }
      // Headers are short (a frame's at most 18 bytes, a block's 3): gather them whole, then read them.
      const need = this.state === 'block' ? 3 : this.frameHeaderLength();
      if (this.pending.length < need) {
        const n = Math.min(need - this.pending.length, chunk.length - pos);
        this.pending = Buffer.concat([this.pending, chunk.subarray(pos, pos + n)]);
        pos += n;
        if (this.pending.length < need || (this.state === 'frame' && this.frameHeaderLength() > this.pending.length)) continue;
      }
      if (this.state === 'frame') this.readFrameHeader();
      else this.readBlockHeader();
      this.pending = Buffer.alloc(0);
    }
  }

  /** Bytes of the frame header gathered so far can tell its full length; 5 are needed for that. */
  private frameHeaderLength(): number {
    const p = this.pending;
    if (p.length < 5) return 5;
    const magic = p.readUInt32LE(0);
    if ((magic & 0xfffffff0) === 0x184d2a50) return 8; // skippable frame: magic and a 4-byte size
    const fhd = p[4]!;
    const single = (fhd >> 5) & 1;
    const fcsFlag = fhd >> 6;
    const dictBytes = [0, 1, 2, 4][fhd & 3]!;
    const fcsBytes = fcsFlag === 0 ? single : [0, 2, 4, 8][fcsFlag]!;
    return 5 + (single ? 0 : 1) + dictBytes + fcsBytes;
  }

  private readFrameHeader(): void {
    const p = this.pending;
    const magic = p.readUInt32LE(0);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      this.skip = p.readUInt32LE(4);
      return;
    }
    if (magic !== ZSTD_MAGIC) throw this.bad('not a zstd frame');
    const fhd = p[4]!;
    if (fhd & 0x08) throw this.bad('reserved bit set');
    if (fhd & 3) throw this.bad('it needs a dictionary');
    const single = (fhd >> 5) & 1;
    this.checksum = ((fhd >> 2) & 1) === 1;
    let window: number;
    if (single) {
      const fcsFlag = fhd >> 6;
      const width = fcsFlag === 0 ? 1 : [0, 2, 4, 8][fcsFlag]!;
      let size = 0;
      for (let i = width - 1; i >= 0; i--) size = size * 256 + p[5 + i]!;
      window = width === 2 ? size + 256 : size;
    } else {
      const wd = p[5]!;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    if (window > MAX_ZSTD_WINDOW) throw this.bad(`a ${mib(window)} window; recall reads frames with windows up to ${mib(MAX_ZSTD_WINDOW)}`);
    this.window = Math.max(window, 1);
    this.state = 'block';
  }

  private readBlockHeader(): void {
    const p = this.pending;
    const h = p[0]! | (p[1]! << 8) | (p[2]! << 16);
    const last = h & 1;
    const type = (h >> 1) & 3;
    const size = h >>> 3;
    if (type === 3) throw this.bad('reserved block type');
    if (size > Math.min(MAX_ZSTD_BLOCK, this.window)) throw this.bad(`a block of ${size} bytes`);
    this.skip = type === 1 ? 1 : size;
    if (last) {
      this.state = 'frame';
      if (this.checksum) this.skip += 4;
    }
  }
}

function zstdStage(file: string, what: string, next: (chunk: Uint8Array) => void): Push {
  const guard = new ZstdGuard(file, what);
  const z = new ZstdDecompress((chunk) => next(chunk));
  return (chunk, final) => {
    guard.check(chunk);
    try {
      z.push(chunk, final);
    } catch (e) {
      if (e instanceof RecallError) throw e;
      throw fail(file, 'anki-bad-zstd', `${what} cannot be decompressed (${(e as Error).message}); the package is damaged or truncated`);
    }
  };
}

/** Passes bytes to the sink, through zstd when they start with its magic (collection.anki21b). */
function contentStage(file: string, what: string, sink: CollectionSink): Push {
  let target: Push | null = null;
  let head = Buffer.alloc(0);
  return (chunk, final) => {
    if (target === null) {
      head = Buffer.concat([head, chunk]);
      if (head.length < 4 && !final) return;
      const zstd = head.length >= 4 && head.readUInt32LE(0) === ZSTD_MAGIC;
      target = zstd ? zstdStage(file, what, (c) => sink.push(c)) : (c) => sink.push(c);
      chunk = head;
    }
    target(chunk, final);
  };
}

// ---------------------------------------------------------------------------------------------------------
// Zip: the central directory names the entries; only the collection's bytes are read and inflated.

interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  compressedSize: number;
  size: number;
  offset: number;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/** Reads a zip64 extended-information extra field: the values that did not fit in 32 bits, in order. */
function zip64(extra: Buffer, want: { size: boolean; compressed: boolean; offset: boolean }): { size?: number; compressed?: number; offset?: number } {
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const len = extra.readUInt16LE(at + 2);
    if (id === 1) {
      const out: { size?: number; compressed?: number; offset?: number } = {};
      let p = at + 4;
      const next = () => {
        if (p + 8 > at + 4 + len || p + 8 > extra.length) return undefined;
        const v = Number(extra.readBigUInt64LE(p));
        p += 8;
        return v;
      };
      if (want.size) out.size = next();
      if (want.compressed) out.compressed = next();
      if (want.offset) out.offset = next();
      return out;
    }
    at += 4 + len;
  }
  return {};
}

function listZip(fd: number, fileSize: number, file: string): ZipEntry[] {
  const damaged = (why: string) => fail(file, 'anki-bad-zip', `Not a readable zip (${why}); it may be truncated or damaged`, 'download or export it again and check that the copy is complete');
  const tailLength = Math.min(fileSize, 65_557);
  const tail = readAt(fd, fileSize - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd === -1) throw damaged('no end-of-archive record');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50) throw damaged('a zip64 archive without its locator');
    const recOffset = Number(tail.readBigUInt64LE(loc + 8));
    const rec = readAt(fd, recOffset, 56);
    if (rec.length < 56 || rec.readUInt32LE(0) !== 0x06064b50) throw damaged('a damaged zip64 record');
    count = Number(rec.readBigUInt64LE(32));
    cdSize = Number(rec.readBigUInt64LE(40));
    cdOffset = Number(rec.readBigUInt64LE(48));
  }
  // A package with tens of thousands of media files has a directory of a few MB.
  if (cdSize > 64 * 2 ** 20 || cdOffset + cdSize > fileSize) throw damaged('its directory lies outside the file');
  const cd = readAt(fd, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  for (let at = 0, i = 0; i < count; i++) {
    if (at + 46 > cd.length || cd.readUInt32LE(at) !== 0x02014b50) throw damaged('a damaged directory entry');
    const nameLength = cd.readUInt16LE(at + 28);
    const extraLength = cd.readUInt16LE(at + 30);
    const commentLength = cd.readUInt16LE(at + 32);
    const name = cd.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const extra = cd.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
    let size = cd.readUInt32LE(at + 24);
    let compressedSize = cd.readUInt32LE(at + 20);
    let offset = cd.readUInt32LE(at + 42);
    if (size === 0xffffffff || compressedSize === 0xffffffff || offset === 0xffffffff) {
      const z = zip64(extra, { size: size === 0xffffffff, compressed: compressedSize === 0xffffffff, offset: offset === 0xffffffff });
      size = z.size ?? size;
      compressedSize = z.compressed ?? compressedSize;
      offset = z.offset ?? offset;
    }
    entries.push({ name, flags: cd.readUInt16LE(at + 8), method: cd.readUInt16LE(at + 10), compressedSize, size, offset });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function extractZipEntry(fd: number, fileSize: number, file: string, entry: ZipEntry, limit: number, out: Push): void {
  const damaged = (why: string) => fail(file, 'anki-bad-zip', `Not a readable zip (${why}); it may be truncated or damaged`, 'download or export it again and check that the copy is complete');
  if (entry.flags & 1) throw fail(file, 'anki-encrypted', 'This is an encrypted zip', 'export the deck again from Anki without a password');
  // The declared size is only an early refusal: the counter in the sink stops whatever the entry really holds.
  if (entry.size > limit) throw fail(file, 'anki-too-large', `${entry.name} in this zip declares ${mib(entry.size)}; recall reads collections up to ${mib(limit)}`, NOT_PLAUSIBLE);
  const local = readAt(fd, entry.offset, 30);
  if (local.length < 30 || local.readUInt32LE(0) !== 0x04034b50) throw damaged(`no entry header for ${entry.name}`);
  const start = entry.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  if (start + entry.compressedSize > fileSize) throw damaged(`${entry.name} runs past the end of the file`);
  if (entry.method === 8 && inflateWhole(fd, start, entry, out)) return;
  let push: Push;
  if (entry.method === 0) push = out;
  else if (entry.method === 8) {
    const inflate = new Inflate((chunk, final) => out(chunk, final));
    push = (chunk, final) => {
      try {
        inflate.push(chunk, final);
      } catch (e) {
        if (e instanceof RecallError) throw e;
        throw damaged(`${entry.name}: ${(e as Error).message}`);
      }
    };
  } else throw fail(file, 'anki-bad-zip', `${entry.name} uses zip compression method ${entry.method}, which recall cannot read`, REEXPORT_HINT);
  // Small reads: deflate expands at most about 1000:1, so one read never yields more than a few tens of MB.
  const buf = Buffer.alloc(entry.method === 8 ? 16 * 1024 : READ_CHUNK);
  let done = 0;
  while (done < entry.compressedSize) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, entry.compressedSize - done), start + done);
    if (n === 0) throw damaged(`${entry.name} is cut short`);
    done += n;
    push(buf.subarray(0, n), done === entry.compressedSize);
  }
  if (entry.compressedSize === 0) push(new Uint8Array(0), true);
}

/** Entries up to this size (as declared) are inflated in one call by zlib; larger ones stream through fflate. */
const WHOLE_INFLATE_MAX = 512 * 2 ** 20;
let zlib: typeof import('node:zlib') | undefined;

/**
 * Node's zlib inflates about four times as fast as fflate (a 100 MB collection: ~1.2 s of fflate), but not as a
 * synchronous stream. An entry whose declared size is moderate is read and inflated whole, its output capped at
 * that size; the bytes then go down the same stages, in the same checks, as streamed ones. An entry that does not
 * inflate to exactly its declared size (damaged, lying, a bomb) takes the streaming path, which says what is wrong
 * as it always did. Returns false when nothing was passed on.
 */
function inflateWhole(fd: number, start: number, entry: ZipEntry, out: Push): boolean {
  if (entry.size <= 0 || entry.size > WHOLE_INFLATE_MAX || entry.compressedSize > entry.size + 1024) return false;
  zlib ??= requireHere('node:zlib') as typeof import('node:zlib');
  let bytes: Buffer;
  try {
    bytes = zlib.inflateRawSync(readAt(fd, start, entry.compressedSize), { maxOutputLength: entry.size });
  } catch {
    return false;
  }
  if (bytes.length !== entry.size) return false;
  for (let at = 0; at < bytes.length; at += WHOLE_CHUNK) {
    const end = Math.min(bytes.length, at + WHOLE_CHUNK);
    out(bytes.subarray(at, end), end === bytes.length);
  }
  return true;
}
const WHOLE_CHUNK = 2 ** 20;

// ---------------------------------------------------------------------------------------------------------

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const ZIP_EMPTY_MAGIC = [0x50, 0x4b, 0x05, 0x06];

function startsWith(bytes: Uint8Array, magic: ArrayLike<number>): boolean {
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) return false;
  return true;
}

/**
 * Writes the SQLite collection held by the open file `fd` (`file` names it in messages) to the new file `dest`,
 * unpacking a zip entry and a zstd frame as needed. Returns its size.
 */
export function unpackCollection(fd: number, fileSize: number, file: string, dest: string, limit = MAX_COLLECTION_BYTES): number {
  const head = readAt(fd, 0, 16);
  const out = openSync(dest, 'wx', 0o600);
  try {
    if (startsWith(head, ZIP_MAGIC) || startsWith(head, ZIP_EMPTY_MAGIC)) {
      const entries = listZip(fd, fileSize, file);
      const entry = COLLECTION_NAMES.map((n) => entries.find((e) => e.name === n)).find((e) => e !== undefined);
      if (!entry) {
        throw fail(file, 'anki-no-collection', 'This zip contains no Anki collection (collection.anki21b, collection.anki21 or collection.anki2)', 'pass an .apkg or .colpkg exported by Anki');
      }
      const sink = new CollectionSink(out, file, entry.name, limit, fileSize);
      extractZipEntry(fd, fileSize, file, entry, limit, contentStage(file, entry.name, sink));
      sink.end();
      return sink.total;
    }
    const sink = new CollectionSink(out, file, 'The file', limit, fileSize);
    const stage = contentStage(file, 'The file', sink);
    const buf = Buffer.alloc(READ_CHUNK);
    for (let pos = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      pos += n;
      stage(buf.subarray(0, n), n === 0);
      if (n === 0) break;
    }
    sink.end();
    return sink.total;
  } catch (e) {
    if (e instanceof RecallError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
      throw new RecallError('disk-full', `The disk is full: there is no room to unpack the collection in ${dest}`, { file, hint: 'free some space (or point TMPDIR at a disk with room) and import again' });
    }
    throw fail(file, 'anki-unreadable', `Cannot unpack the collection (${(e as Error).message})`);
  } finally {
    closeSync(out);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Media: the package's `media` map names its numbered entries; each file is unpacked through the same bounded
// stages, so a hostile package costs at most the limits below, whatever its headers claim.

/** Largest media file kept; Anki's own sync refuses files over 100 MB. */
export const MAX_MEDIA_FILE_BYTES = 100 * 2 ** 20;
/** All the media of one package together. */
export const MAX_MEDIA_TOTAL_BYTES = 2 * 2 ** 30;
/** The map itself: a few dozen bytes a file. */
const MAX_MEDIA_MAP_BYTES = 64 * 2 ** 20;
const MAX_MEDIA_FILES = 200_000;

/** One media file of a package: its name as the notes use it, and where its bytes were unpacked. */
export interface PackageMediaFile {
  name: string;
  path: string;
  size: number;
}

/** Collects a stage's output in memory up to `limit` bytes, refusing more as soon as it arrives. */
function collect(file: string, what: string, limit: number): { push: (chunk: Uint8Array) => void; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  let total = 0;
  return {
    push(chunk) {
      total += chunk.length;
      if (total > limit) throw fail(file, 'anki-too-large', `${what} unpacks to more than ${mib(limit)}; recall keeps media files up to ${mib(limit)}`, NOT_PLAUSIBLE);
      parts.push(Buffer.from(chunk));
    },
    bytes: () => Buffer.concat(parts, total),
  };
}

/** A protobuf varint at `at`, or undefined past the end; 32 bits are all a media map needs. */
function varint(buf: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0, i = at; i < buf.length && shift < 35; shift += 7, i++) {
    value += (buf[i]! & 0x7f) * 2 ** shift;
    if ((buf[i]! & 0x80) === 0) return { value, next: i + 1 };
  }
  return undefined;
}

/** The fields of one protobuf message, in order: numbers for varints, bytes for length-delimited ones. */
function protoFields(buf: Uint8Array, file: string): { field: number; value: number | Uint8Array }[] {
  const bad = () => fail(file, 'anki-bad-media', 'The media list of this package is damaged');
  const out: { field: number; value: number | Uint8Array }[] = [];
  for (let at = 0; at < buf.length; ) {
    const key = varint(buf, at);
    if (!key) throw bad();
    const field = Math.floor(key.value / 8);
    const wire = key.value % 8;
    at = key.next;
    if (wire === 0) {
      const v = varint(buf, at);
      if (!v) throw bad();
      out.push({ field, value: v.value });
      at = v.next;
    } else if (wire === 2) {
      const len = varint(buf, at);
      if (!len || len.next + len.value > buf.length) throw bad();
      out.push({ field, value: buf.subarray(len.next, len.next + len.value) });
      at = len.next + len.value;
    } else if (wire === 5) at += 4;
    else if (wire === 1) at += 8;
    else throw bad();
  }
  return out;
}

/**
 * The media map: legacy packages hold JSON `{"0": "al.png", ...}`; Anki 2.1.50+ (package version 3 in `meta`)
 * holds a zstd-compressed `MediaEntries` protobuf (entries = 1; each: name = 1, size = 2, sha1 = 3,
 * legacy_zip_filename = 255), whose n-th entry is the zip entry named n unless it names another.
 */
function mediaMap(bytes: Buffer, latest: boolean, file: string): Map<string, string> {
  const map = new Map<string, string>();
  if (!latest) {
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8') || '{}');
    } catch {
      throw fail(file, 'anki-bad-media', 'The media list of this package is not valid JSON');
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw fail(file, 'anki-bad-media', 'The media list of this package is not a map of names');
    for (const [entry, name] of Object.entries(json as Record<string, unknown>)) if (typeof name === 'string') map.set(entry, name);
    return map;
  }
  let index = 0;
  for (const f of protoFields(bytes, file)) {
    if (f.field !== 1 || typeof f.value === 'number') continue;
    let name = '';
    let entry = String(index);
    for (const g of protoFields(f.value, file)) {
      if (g.field === 1 && typeof g.value !== 'number') name = Buffer.from(g.value).toString('utf8');
      if (g.field === 255 && typeof g.value === 'number') entry = String(g.value);
    }
    if (name) map.set(entry, name);
    index++;
  }
  return map;
}

/** The package version in `meta` (PackageMetadata: version = 1); 0 when there is none. */
function packageVersion(fd: number, fileSize: number, file: string, entries: ZipEntry[]): number {
  const meta = entries.find((e) => e.name === 'meta');
  if (!meta) return 0;
  const c = collect(file, 'meta', 4096);
  extractZipEntry(fd, fileSize, file, meta, 4096, (chunk) => c.push(chunk));
  const version = protoFields(c.bytes(), file).find((f) => f.field === 1);
  return typeof version?.value === 'number' ? version.value : 0;
}

/**
 * Unpacks the media files of the zip package open as `fd` into a private folder (`makeDir` makes it when there is a file), each as
 * its own numbered file, and returns them with the names the notes use. Files over the per-file bound and files
 * past the total bound are left out and named in `skipped`; nothing unpacks past the bounds.
 */
export function unpackMedia(
  fd: number,
  fileSize: number,
  file: string,
  makeDir: () => string,
  limits: { file: number; total: number } = { file: MAX_MEDIA_FILE_BYTES, total: MAX_MEDIA_TOTAL_BYTES },
): { files: PackageMediaFile[]; skipped: { name: string; reason: string }[] } {
  const head = readAt(fd, 0, 4);
  if (!startsWith(head, ZIP_MAGIC)) return { files: [], skipped: [] };
  const entries = listZip(fd, fileSize, file);
  const mapEntry = entries.find((e) => e.name === 'media');
  if (!mapEntry) return { files: [], skipped: [] };
  const latest = packageVersion(fd, fileSize, file, entries) >= 3;
  const raw = collect(file, 'The media list', MAX_MEDIA_MAP_BYTES);
  extractZipEntry(fd, fileSize, file, mapEntry, MAX_MEDIA_MAP_BYTES, latest ? zstdOrPlain(file, 'The media list', raw.push) : (c) => raw.push(c));
  const map = mediaMap(raw.bytes(), latest, file);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const files: PackageMediaFile[] = [];
  const skipped: { name: string; reason: string }[] = [];
  let total = 0;
  let dir: string | null = null;
  for (const [entryName, name] of map) {
    if (files.length >= MAX_MEDIA_FILES) {
      skipped.push({ name, reason: `more than ${MAX_MEDIA_FILES} media files in one package` });
      continue;
    }
    const entry = byName.get(entryName);
    if (!entry) {
      skipped.push({ name, reason: 'listed but not in the package' });
      continue;
    }
    if (entry.size > limits.file) {
      skipped.push({ name, reason: `larger than ${mib(limits.file)}` });
      continue;
    }
    const out = collect(file, `Media file ${JSON.stringify(name.slice(0, 80))}`, limits.file);
    try {
      extractZipEntry(fd, fileSize, file, entry, limits.file, latest ? zstdOrPlain(file, name, out.push) : (c) => out.push(c));
    } catch (e) {
      if (!(e instanceof RecallError) || e.code !== 'anki-too-large') throw e;
      skipped.push({ name, reason: `larger than ${mib(limits.file)}` });
      continue;
    }
    const bytes = out.bytes();
    if (total + bytes.length > limits.total) {
      skipped.push({ name, reason: `the package's media pass ${mib(limits.total)} in all` });
      continue;
    }
    total += bytes.length;
    dir ??= makeDir();
    const path = `${dir}/${files.length}`;
    const wfd = openSync(path, 'wx', 0o600);
    try {
      writeAll(wfd, bytes, 0);
    } finally {
      closeSync(wfd);
    }
    files.push({ name, path, size: bytes.length });
  }
  return { files, skipped };
}

/** Bytes through zstd when they start with its magic (Anki 2.1.50+ compresses each media file), else as they are. */
function zstdOrPlain(file: string, what: string, next: (chunk: Uint8Array) => void): Push {
  let target: Push | null = null;
  let head = Buffer.alloc(0);
  return (chunk, final) => {
    if (target === null) {
      head = Buffer.concat([head, chunk]);
      if (head.length < 4 && !final) return;
      const zstd = head.length >= 4 && head.readUInt32LE(0) === ZSTD_MAGIC;
      target = zstd ? zstdStage(file, what, next) : (c) => next(c);
      chunk = head;
    }
    target(chunk, final);
  };
}
