// The media tables: which files the media folder holds (one per content hash) and which names point at them.
import type { Statement } from 'better-sqlite3';

export interface MediaFileRow {
  hash: string;
  /** The file's name inside the media folder. */
  file: string;
  size: number;
}

export interface MediaStore {
  mediaFileByHash(hash: string): MediaFileRow | undefined;
  addMediaFile(row: MediaFileRow, now: number): void;
  /** The file a name stands for, if any. */
  mediaByName(name: string): (MediaFileRow & { name: string }) | undefined;
  /** Points `name` at the content `hash` (a name already taken keeps its content: callers rename first). */
  setMediaName(name: string, hash: string): void;
  mediaNames(): { name: string; hash: string }[];
  mediaFiles(): MediaFileRow[];
  /** Forgets a file and every name pointing at it (the caller deletes the file itself). */
  deleteMediaFile(hash: string): void;
  /** The content of every card, removed ones included, for finding which names are in use. */
  cardContents(): { id: number; deckId: number; removed: boolean; contentJson: string }[];
}

export function createMediaStore(sql: (text: string) => Statement<unknown[]>): MediaStore {
  return {
    mediaFileByHash(hash) {
      return sql('SELECT hash, file, size FROM media_files WHERE hash = ?').get(hash) as MediaFileRow | undefined;
    },
    addMediaFile(row, now) {
      sql('INSERT INTO media_files(hash, file, size, added_at) VALUES (?, ?, ?, ?) ON CONFLICT(hash) DO NOTHING').run(row.hash, row.file, row.size, now);
    },
    mediaByName(name) {
      return sql('SELECT n.name, f.hash, f.file, f.size FROM media_names n JOIN media_files f ON f.hash = n.hash WHERE n.name = ?').get(name) as
        | (MediaFileRow & { name: string })
        | undefined;
    },
    setMediaName(name, hash) {
      sql('INSERT INTO media_names(name, hash) VALUES (?, ?) ON CONFLICT(name) DO NOTHING').run(name, hash);
    },
    mediaNames() {
      return sql('SELECT name, hash FROM media_names ORDER BY name').all() as { name: string; hash: string }[];
    },
    mediaFiles() {
      return sql('SELECT hash, file, size FROM media_files ORDER BY file').all() as MediaFileRow[];
    },
    deleteMediaFile(hash) {
      sql('DELETE FROM media_names WHERE hash = ?').run(hash);
      sql('DELETE FROM media_files WHERE hash = ?').run(hash);
    },
    cardContents() {
      return (sql('SELECT id, deck_id AS deckId, removed, content AS contentJson FROM cards').all() as { id: number; deckId: number; removed: number; contentJson: string }[]).map((r) => ({
        ...r,
        removed: r.removed === 1,
      }));
    },
  };
}
