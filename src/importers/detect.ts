import { extname } from 'node:path';
import { RecallError } from '../core/errors.js';

export type ImportFormat = 'recall' | 'recall-json' | 'anki-text' | 'anki-package' | 'recall-dir';

const PACKAGE_EXTS = new Set(['.apkg', '.colpkg', '.anki2', '.anki21', '.anki21b']);
const TEXT_EXTS = new Set(['.txt', '.tsv', '.csv']);
const ANKI_TEXT_HEADER = /^#(separator|html|tags|columns|notetype|deck|guid column|notetype column|deck column|tags column):/i;

/**
 * Decides how to read the file at `path` from its first bytes (`head`, a few hundred are plenty) and its name.
 * Content wins over the name: a zip or SQLite file is a package whatever it is called. A package extension
 * without the magic still answers 'anki-package', so the package reader can say precisely what is wrong with the
 * file. Folders are the caller's business (`recall-dir`).
 */
export function detectFormat(path: string, head: Buffer): ImportFormat {
  const magic = head.subarray(0, 16);
  if (magic.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) || magic.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x05, 0x06]))) {
    return 'anki-package';
  }
  if (magic.equals(Buffer.from('SQLite format 3\0', 'latin1'))) return 'anki-package';
  const ext = extname(path).toLowerCase();
  if (ext === '.deck') return 'recall';
  if (ext === '.json') return 'recall-json';
  if (PACKAGE_EXTS.has(ext)) return 'anki-package';
  if (TEXT_EXTS.has(ext)) return 'anki-text';
  // No telling extension: look at the text itself, line by line (no regex spans lines: each stays linear).
  const lines = head.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.some((l) => ANKI_TEXT_HEADER.test(l))) return 'anki-text';
  const first = lines.find((l) => l.trim() !== '' && !l.startsWith('#'));
  if (first?.startsWith('deck:')) return 'recall';
  throw new RecallError('unknown-format', 'Cannot tell what kind of file this is', {
    file: path,
    hint: 'recall imports .deck files (or a folder of them), its own JSON deck exports (.json), Anki packages (.apkg, .colpkg, collection.anki2) and Anki text exports (.txt, .tsv, .csv)',
  });
}
