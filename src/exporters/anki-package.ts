// The zip around an Anki collection, laid out as Anki's legacy package (rslib import_export/package, "legacy 2"):
// `meta` (a protobuf naming the version), `collection.anki21` (schema-11 SQLite), the placeholder
// `collection.anki2`, media files stored under their index (`0`, `1`, ...), and `media`, the JSON map from index to
// file name. Anki 2.1.50 and later, AnkiDroid and recall's importer read it; newer Anki upgrades the schema itself.
// Pure: bytes in, bytes out.
//
// The collection is deflated by Node's zlib: fflate's zipSync deflates in JavaScript, at about half zlib's speed for
// the same level, and a large collection is hundreds of MB. fflate's streaming Zip takes entries compressed
// elsewhere, but only with data descriptors after them, so the few lines of the container are written here, laid
// out as zipSync laid them out (same entry order, headers and fields).
import { gzipSync } from 'node:zlib';

export interface MediaFile {
  /** The name notes refer to it by (a plain file name, no folders). */
  name: string;
  data: Uint8Array;
}

/** `PackageMetadata { version: VERSION_LEGACY_2 }` in protobuf: field 1, varint 2. */
const META_LEGACY_2 = new Uint8Array([0x08, 0x02]);

/**
 * zlib's level for the collection. Measured on a 145 MB collection of 1M review rows (docs/performance.md): level 1
 * packs it to 53.7 MB in 1.4 s of CPU, level 5 to 48.4 MB in 2.7 s, level 6 to 48.0 MB in 3.9 s (fflate's level 6,
 * which this replaced: 58.7 MB of a less compact file in 8.1 s). An export is written once and read once; the
 * fastest level already gives a smaller file than before.
 */
export const COLLECTION_LEVEL = 1;

/** What Anki accepts as a media file name: one plain name, no path, nothing a file system would treat specially. */
export function isSafeMediaName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !/[\\/:*?"<>|\u0000-\u001f]/.test(name) && name !== '.' && name !== '..';
}

interface Entry {
  name: Buffer;
  /** The name has characters beyond ASCII (flag bit 11: it is UTF-8). */
  utf8: boolean;
  /** 0 stored, 8 deflated. */
  method: number;
  crc: number;
  size: number;
  data: Uint8Array;
}

/**
 * One entry, its CRC-32 and (for level > 0) its raw deflate stream. A gzip member is exactly that stream between a
 * 10-byte header and a trailer holding the CRC-32 and the size (RFC 1952), so one native call gives both.
 */
function entry(name: string, data: Uint8Array, level: number): Entry {
  const gz = gzipSync(data, { level });
  const crc = gz.readUInt32LE(gz.length - 8);
  const bytes = Buffer.from(name, 'utf8');
  return level === 0
    ? { name: bytes, utf8: bytes.length !== name.length, method: 0, crc, size: data.length, data }
    : { name: bytes, utf8: bytes.length !== name.length, method: 8, crc, size: data.length, data: gz.subarray(10, gz.length - 8) };
}

export function zipAnkiPackage(parts: { collection: Uint8Array; legacyNotice: Uint8Array; media: readonly MediaFile[]; now: number }): Uint8Array {
  // Anki stores everything but the collection as is; the collection is deflated (schema-11 SQLite packs well).
  // Media entries (named by index) first, as a zip of an object keyed by those names had them.
  const map: Record<string, string> = {};
  const entries: Entry[] = parts.media.map((m, i) => {
    map[String(i)] = m.name;
    return entry(String(i), m.data, 0);
  });
  entries.push(
    entry('meta', META_LEGACY_2, 0),
    entry('collection.anki21', parts.collection, COLLECTION_LEVEL),
    entry('collection.anki2', parts.legacyNotice, 0),
    entry('media', Buffer.from(JSON.stringify(map), 'utf8'), 0),
  );
  return writeZip(entries, new Date(parts.now));
}

/** MS-DOS date and time (local time, 2-second steps), as zip headers keep them; 1980-2099 only. */
function dosTime(d: Date): number {
  const y = d.getFullYear() - 1980;
  if (y < 0 || y > 119) throw new RangeError('a zip file can only hold dates from 1980 to 2099');
  return ((y << 25) | ((d.getMonth() + 1) << 21) | (d.getDate() << 16) | (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1)) >>> 0;
}

/** Local headers with the entries' data, the central directory, its end record. No zip64: entries stay under 4 GiB. */
function writeZip(entries: readonly Entry[], mtime: Date): Uint8Array {
  const time = dosTime(mtime);
  let localBytes = 0;
  let centralBytes = 0;
  for (const e of entries) {
    if (e.size > 0xffffffff || e.data.length > 0xffffffff || e.name.length > 0xffff) throw new RangeError('a zip entry is too large');
    localBytes += 30 + e.name.length + e.data.length;
    centralBytes += 46 + e.name.length;
  }
  if (localBytes > 0xffffffff) throw new RangeError('the package is too large for a zip file');
  const out = Buffer.alloc(localBytes + centralBytes + 22);
  const common = (at: number, e: Entry) => {
    out.writeUInt16LE(e.utf8 ? 0x800 : 0, at);
    out.writeUInt16LE(e.method, at + 2);
    out.writeUInt32LE(time, at + 4);
    out.writeUInt32LE(e.crc, at + 8);
    out.writeUInt32LE(e.data.length, at + 12);
    out.writeUInt32LE(e.size, at + 16);
    out.writeUInt16LE(e.name.length, at + 20);
  };
  let at = 0;
  let central = localBytes;
  for (const e of entries) {
    out.writeUInt32LE(0x04034b50, at);
    out.writeUInt16LE(20, at + 4);
    common(at + 6, e);
    e.name.copy(out, at + 30);
    out.set(e.data, at + 30 + e.name.length);

    out.writeUInt32LE(0x02014b50, central);
    out.writeUInt16LE(20, central + 4);
    out.writeUInt16LE(20, central + 6);
    common(central + 8, e);
    out.writeUInt32LE(at, central + 42);
    e.name.copy(out, central + 46);

    at += 30 + e.name.length + e.data.length;
    central += 46 + e.name.length;
  }
  out.writeUInt32LE(0x06054b50, central);
  out.writeUInt16LE(entries.length, central + 8);
  out.writeUInt16LE(entries.length, central + 10);
  out.writeUInt32LE(centralBytes, central + 12);
  out.writeUInt32LE(localBytes, central + 16);
  return out;
}
