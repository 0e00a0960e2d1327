import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { RecallError } from '../core/errors.js';

export type ImportFormat = 'recall' | 'anki-text' | 'anki-package' | 'recall-dir';

const PACKAGE_EXTS = new Set(['.apkg', '.colpkg', '.anki2', '.anki21', '.anki21b']);
const TEXT_EXTS = new Set(['.txt', '.tsv', '.csv']);

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Decides how to read `path` from its first bytes (`head`, a few hundred are plenty) and its name. Content wins
 * over the name: a zip or SQLite file is a package whatever it is called. A package extension without the magic
 * still answers 'anki-package', so the package reader can say precisely what is wrong with the file.
 */
export function detectFormat(path: string, head: Buffer): ImportFormat {
  if (isDirectory(path)) return 'recall-dir';
  const magic = head.subarray(0, 16);
  if (magic.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) || magic.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x05, 0x06]))) {
    return 'anki-package';
  }
  if (magic.equals(Buffer.from('SQLite format 3\0', 'latin1'))) return 'anki-package';
  const ext = extname(path).toLowerCase();
  if (ext === '.deck') return 'recall';
  if (PACKAGE_EXTS.has(ext)) return 'anki-package';
  if (TEXT_EXTS.has(ext)) return 'anki-text';
  // No telling extension: look at the text itself.
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  if (/^#(separator|html|tags|columns|notetype|deck|guid column|notetype column|deck column|tags column):/im.test(text)) return 'anki-text';
  if (/^(?:#[^\n]*\n|\s*\n)*deck:/.test(text)) return 'recall';
  throw new RecallError('unknown-format', `Cannot tell what kind of file ${path} is`, {
    file: path,
    hint: 'recall imports .deck files (or a directory of them), Anki packages (.apkg, .colpkg, collection.anki2) and Anki text exports (.txt, .tsv, .csv)',
  });
}
