// `recall edit CARD`: the card in $VISUAL/$EDITOR, in deck-file syntax (a deck-file card: the file itself, at its
// entry). On save the text is checked with the deck parser; problems are listed at the end of the file and the
// editor opens again, as `git commit` does, until the text is valid, emptied (cancel) or saved unchanged twice.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { applyEdit, isEmptyEdit, prepareEdit, resolveCard } from '../../app/cards.js';
import { syncBuiltins } from '../builtin.js';
import { openContext } from '../../app/context.js';
import { RecallError, type Diagnostic } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { sanitize } from '../../core/text.js';
import { printJson, styler, type Io } from '../io.js';
import { queryArg } from './search.js';

const NOTE = '# recall: ';
/** Editors known to take `+LINE` before the file, to open at the card's entry. */
const LINE_EDITORS = new Set(['vi', 'vim', 'nvim', 'nano', 'emacs', 'emacsclient', 'micro', 'kak', 'ne', 'joe', 'mg', 'hx', 'helix']);

/** The text without the problem notes recall appended at its end (the text itself ends with a newline). */
function stripNotes(text: string): string {
  const lines = text.split('\n');
  let end = lines.length;
  if (end > 0 && lines[end - 1] === '') end--;
  const last = end;
  while (end > 0 && lines[end - 1]!.startsWith(NOTE)) end--;
  return end === last ? text : `${lines.slice(0, end).join('\n')}\n`;
}

function withNotes(text: string, problems: readonly Diagnostic[]): string {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  const notes = [
    `${NOTE}the text above has ${plural(problems.length, 'problem')}; fix them and save, or empty the file to cancel:`,
    ...problems.map((d) => `${NOTE}line ${d.line}: ${d.message.replace(/\n/g, ' ')}${d.hint ? ` (${d.hint.replace(/\n/g, ' ')})` : ''}`),
  ];
  return `${body}${notes.join('\n')}\n`;
}

export async function run(opts: { db?: string; args: string[]; json?: boolean }, io: Io): Promise<number> {
  const chosen = io.env.VISUAL || io.env.EDITOR;
  // vi without a terminal writes escape codes into a pipe and fails: without a chosen editor, editing needs one.
  if (!chosen && (!io.stdinIsTty || !io.stdoutIsTty)) {
    throw new RecallError('no-tty', 'recall edit opens an editor and needs a terminal (or VISUAL/EDITOR set)', {
      hint: 'run it in a terminal, or set EDITOR to an editor that works without one',
      exitCode: 2,
    });
  }
  const editor = chosen || 'vi';
  const ctx = openContext({ db: opts.db, env: io.env });
  syncBuiltins(ctx, io);
  const dir = mkdtempSync(join(tmpdir(), 'recall-edit-'));
  try {
    const target = prepareEdit(ctx, resolveCard(ctx, queryArg(opts.args)));
    const tmp = join(dir, target.kind === 'file' ? basename(target.file) : `card-${target.cardId}.deck`);
    writeFileSync(tmp, target.text, { mode: 0o600 });
    let line = target.kind === 'file' ? target.line : target.text.split('\n').findIndex((l) => l.startsWith('--- ')) + 1;
    let lastFailed: string | null = null;
    for (;;) {
      // Through the shell, as git runs it: EDITOR may hold arguments (`code --wait`).
      const name = basename(editor.trim().split(/\s+/)[0] ?? '');
      const args = LINE_EDITORS.has(name) && line > 0 ? [`+${line}`, tmp] : [tmp];
      const r = spawnSync('/bin/sh', ['-c', `${editor} "$@"`, editor, ...args], { stdio: 'inherit' });
      if (r.status !== 0) throw new RecallError('editor-failed', `The editor (${editor}) exited with ${r.status ?? r.signal}; nothing was changed`, { hint: 'set VISUAL or EDITOR to your editor', exitCode: 1 });
      const edited = stripNotes(readFileSync(tmp, 'utf8'));
      if (isEmptyEdit(edited)) {
        if (opts.json) printJson(io, { cardId: target.cardId, changed: false, cancelled: true });
        else io.out('Cancelled: the text was emptied; nothing was changed.\n');
        return 1;
      }
      const outcome = applyEdit(ctx, target, edited);
      if (outcome.ok) {
        if (opts.json) printJson(io, { cardId: target.cardId, changed: outcome.changed, cancelled: false, cardIds: outcome.cardIds, file: target.kind === 'file' ? target.file : null, actionUid: outcome.actionUid });
        else if (!outcome.changed) io.out('No changes.\n');
        else io.out(`Saved card ${target.cardId}${target.kind === 'file' ? ` in ${sanitize(target.file)}` : ''}; it keeps its history. ${styler(io.color).dim('recall undo takes it back.')}\n`);
        return 0;
      }
      for (const d of outcome.diagnostics) io.err(`recall: ${sanitize(`${target.kind === 'file' ? target.file : 'card'}:${d.line}: ${d.message}`)}\n`);
      if (edited === lastFailed) {
        throw new RecallError('edit-invalid', 'The text still has the same problems; nothing was changed', { hint: 'run recall edit again to start over', exitCode: 1 });
      }
      lastFailed = edited;
      line = outcome.diagnostics[0]?.line ?? line;
      writeFileSync(tmp, withNotes(edited, outcome.diagnostics));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    ctx.store.close();
  }
}
