import { deckFilesUnder } from '../../app/sync.js';
import { formatDiagnostic, type Diagnostic } from '../../core/errors.js';
import { inputKind, readInputText } from '../../importers/input.js';
import { parseDeck } from '../../decks/parse.js';
import { sanitize } from '../../core/text.js';
import { plural } from '../../core/plural.js';
import { printJson, styler, type Io } from '../io.js';

export async function run(opts: { args: string[]; json?: boolean }, io: Io): Promise<number> {
  const files: string[] = [];
  for (const p of opts.args) {
    // A folder, or a regular file: a FIFO or a device is refused before anything waits on it.
    inputKind(p);
    files.push(...deckFilesUnder(p));
  }
  const diagnostics: Diagnostic[] = [];
  let cards = 0;
  const perFile: { file: string; deck: string; cards: number; problems: number }[] = [];
  for (const file of files) {
    const parsed = parseDeck(readInputText(file, 64 * 2 ** 20), file);
    diagnostics.push(...parsed.diagnostics);
    cards += parsed.cards.length;
    perFile.push({ file, deck: parsed.header.name, cards: parsed.cards.length, problems: parsed.diagnostics.length });
  }
  if (opts.json) {
    printJson(io, { ok: diagnostics.length === 0, files: perFile, cards, problems: diagnostics });
  } else {
    const st = styler(io.color);
    for (const d of diagnostics) io.err(`${sanitize(formatDiagnostic(d))}\n`);
    const summary = `${plural(files.length, 'file')}, ${plural(cards, 'card')}, ${plural(diagnostics.length, 'problem')}`;
    io.out(diagnostics.length ? `${st.red('✗')} ${summary}\n` : `${st.green('✓')} ${summary}\n`);
  }
  return diagnostics.length ? 1 : 0;
}
