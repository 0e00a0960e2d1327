// The zip around an Anki collection, laid out as Anki's legacy package (rslib import_export/package, "legacy 2"):
// `meta` (a protobuf naming the version), `collection.anki21` (schema-11 SQLite), the placeholder
// `collection.anki2`, media files stored under their index (`0`, `1`, ...), and `media`, the JSON map from index to
// file name. Anki 2.1.50 and later, AnkiDroid and recall's importer read it; newer Anki upgrades the schema itself.
// Pure: bytes in, bytes out.
import { strToU8, zipSync, type Zippable } from 'fflate';

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
 * fflate's deflate level for the collection. Measured on a 99 MB collection: level 1 gives 40.4 MB in 2.3 s of CPU,
 * level 6 39.2 MB in 3.7 s (a 145 MB one: 9.6 s at level 6). An export is written once and read once.
 */
const COLLECTION_LEVEL = 1;

/** A zip without zip64 (fflate writes none) counts its entries in 16 bits. */
const MAX_ENTRIES = 65_535;

export function zipAnkiPackage(parts: { collection: Uint8Array; legacyNotice: Uint8Array; media: readonly MediaFile[]; now: number }): Uint8Array {
  if (parts.media.length + 4 > MAX_ENTRIES) {
    throw new RangeError(`a package holds at most ${MAX_ENTRIES - 4} media files; this one would hold ${parts.media.length}`);
  }
  const mtime = new Date(parts.now);
  // Anki stores everything but the collection as is; the collection is deflated (schema-11 SQLite packs well).
  const files: Zippable = {
    meta: [META_LEGACY_2, { level: 0 }],
    'collection.anki21': [parts.collection, { level: COLLECTION_LEVEL }],
    'collection.anki2': [parts.legacyNotice, { level: 0 }],
  };
  const map: Record<string, string> = {};
  parts.media.forEach((m, i) => {
    files[String(i)] = [m.data, { level: 0 }];
    map[String(i)] = m.name;
  });
  files.media = [strToU8(JSON.stringify(map)), { level: 0 }];
  return zipSync(files, { mtime });
}
