// The zip around an Anki collection, laid out as Anki's legacy package (rslib import_export/package, "legacy 2"):
// `meta` (a protobuf naming the version), `collection.anki21` (schema-11 SQLite), the placeholder
// `collection.anki2`, media files stored under their index (`0`, `1`, ...), and `media`, the JSON map from index to
// file name. Anki 2.1.50 and later, AnkiDroid and recall's importer read it; newer Anki upgrades the schema itself.
// The collection comes in as bytes or as a stream (a whole collection, read from its scratch file), and the package
// goes out as a stream, for the caller to write as it comes: nothing here holds a whole collection. Asynchronous
// because node:zlib deflates off the main thread.
import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';

export interface MediaFile {
  /** The name notes refer to it by (a plain file name, no folders). */
  name: string;
  data: Uint8Array;
}

/** `PackageMetadata { version: VERSION_LEGACY_2 }` in protobuf: field 1, varint 2. */
const META_LEGACY_2 = new Uint8Array([0x08, 0x02]);

/** What Anki accepts as a media file name: one plain name, no path, nothing a file system would treat specially. */
export function isSafeMediaName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !/[\\/:*?"<>|\u0000-\u001f]/.test(name) && name !== '.' && name !== '..';
}

/**
 * The deflate level for the collection, through node:zlib (yazl). An export is written once and read once, so speed
 * wins: on the bench collection (145 MB) level 1 gives 53.7 MB in 1.3 s, level 6 48.0 MB in 3.7 s; fflate's level 1
 * in JavaScript, used before, gave 53.3 MB in 3.0 s.
 */
const COLLECTION_LEVEL = 1;

/** Written without zip64 (as Anki's own packages are), a zip counts its entries in 16 bits. */
const MAX_ENTRIES = 65_535;
/** The media files a package can hold, beside its four other entries. */
export const MAX_MEDIA_FILES = MAX_ENTRIES - 4;

/**
 * The package's bytes, in order. A collection given as a stream is stored with its sizes after its data (zip's data
 * descriptor, which every reader of the central directory handles: Anki's, AnkiDroid's, recall's), since they are
 * known only once it has been read.
 */
export function zipAnkiPackage(parts: { collection: Uint8Array | (() => Readable); legacyNotice: Uint8Array; media: readonly MediaFile[]; now: number }): AsyncIterable<Uint8Array> {
  if (parts.media.length > MAX_MEDIA_FILES) {
    throw new RangeError(`a package holds at most ${MAX_MEDIA_FILES} media files; this one would hold ${parts.media.length}`);
  }
  const mtime = new Date(parts.now);
  const zip = new ZipFile();
  // yazl pipes the collection's stream without passing its errors on, and reports its own as events: both end the
  // package's stream with the error, so the caller's loop over it throws.
  const out = zip.outputStream as Readable;
  const fail = (e: Error) => out.destroy(e);
  zip.on('error', fail);
  const add = (data: Uint8Array, name: string, compressionLevel: number) =>
    zip.addBuffer(Buffer.from(data.buffer, data.byteOffset, data.byteLength), name, { mtime, compressionLevel });
  // Anki stores everything but the collection as is; the collection is deflated (schema-11 SQLite packs well).
  add(META_LEGACY_2, 'meta', 0);
  if (parts.collection instanceof Uint8Array) add(parts.collection, 'collection.anki21', COLLECTION_LEVEL);
  else {
    // Opened here, after every check: a stream opened before a throw would have nobody to take its errors.
    const collection = parts.collection();
    collection.on('error', fail);
    // A reader that stops early (its write failed) closes the package's stream: the collection's closes with it,
    // instead of holding its file open until the process ends.
    out.once('close', () => collection.destroy());
    zip.addReadStream(collection, 'collection.anki21', { mtime, compressionLevel: COLLECTION_LEVEL });
  }
  add(parts.legacyNotice, 'collection.anki2', 0);
  const map: Record<string, string> = {};
  parts.media.forEach((m, i) => {
    add(m.data, String(i), 0);
    map[String(i)] = m.name;
  });
  add(Buffer.from(JSON.stringify(map), 'utf8'), 'media', 0);
  zip.end();
  return out;
}
