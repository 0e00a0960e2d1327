// `recall add`: one card from flags, or from a form on a terminal. Appended to the deck's file when it has one.
import { addNote, validateInput, type NoteInput } from '../../app/cards.js';
import { openContext } from '../../app/context.js';
import { syncBuiltinDecks } from '../../app/sync.js';
import { RecallError } from '../../core/errors.js';
import { sanitize } from '../../core/text.js';
import type { CardType } from '../../core/types.js';
import { printJson, styler, type Io } from '../io.js';

interface Opts {
  db?: string;
  deck?: string;
  type?: string;
  front?: string;
  back?: string;
  text?: string;
  accept?: string[];
  correct?: string[];
  wrong?: string[];
  category?: string[];
  item?: string[];
  explain?: string;
  source?: string;
  tags?: string;
  id?: string;
  create?: boolean;
  json?: boolean;
}

const CONTENT: (keyof Opts)[] = ['front', 'back', 'text', 'accept', 'correct', 'wrong', 'category', 'item'];

function fromFlags(opts: Opts): NoteInput {
  const out: NoteInput = { type: (opts.type ?? 'basic').toLowerCase() as CardType };
  if (opts.front !== undefined) out.front = opts.front;
  if (opts.back !== undefined) out.back = opts.back;
  if (opts.text !== undefined) out.text = opts.text;
  if (opts.accept?.length) out.accept = opts.accept;
  if (opts.correct?.length) out.correct = opts.correct;
  if (opts.wrong?.length) out.wrong = opts.wrong;
  if (opts.category?.length) out.categories = opts.category;
  if (opts.item?.length) out.items = opts.item;
  if (opts.explain !== undefined) out.explain = opts.explain;
  if (opts.source !== undefined) out.source = opts.source;
  if (opts.tags !== undefined) out.tags = opts.tags.split(/[\s,]+/).filter(Boolean);
  if (opts.id !== undefined) out.id = opts.id;
  return out;
}

export async function run(opts: Opts, io: Io): Promise<number> {
  const interactive = !CONTENT.some((k) => opts[k] !== undefined);
  if (interactive && (!io.stdinIsTty || !io.stdoutIsTty)) {
    throw new RecallError('no-card', 'recall add needs the card: give it with flags, or run it on a terminal for a form', {
      hint: 'e.g. recall add --deck Spanish --front "hola" --back "hello" (recall add --help lists the flags of each type)',
      exitCode: 2,
    });
  }
  if (!interactive && opts.deck === undefined) throw new RecallError('no-deck', 'recall add needs --deck NAME', { hint: 'a deck that does not exist yet is made for the card', exitCode: 2 });
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    // The built-in decks are in place first, so a card is never added under one of their names as a deck of its own.
    syncBuiltinDecks(ctx);
    let input: NoteInput & { deck: string };
    if (interactive) {
      const { addForm, tryAgain } = await import('../add-form.js');
      const decks = ctx.store.decks().filter((d) => d.origin !== 'builtin').map((d) => d.name);
      input = await addForm(decks, opts.deck);
      // A card the parser refuses is shown with the reason, and the form opens again with the answers filled in.
      for (;;) {
        try {
          const { deck: _deck, ...card } = input;
          validateInput(card);
          break;
        } catch (e) {
          if (!(e instanceof RecallError)) throw e;
          io.err(`recall: ${sanitize(e.format())}\n`);
          if (!(await tryAgain())) return 1;
          input = await addForm(decks, opts.deck, input);
        }
      }
    } else input = { ...fromFlags(opts), deck: opts.deck! };
    const { deck, ...note } = input;
    const r = addNote(ctx, deck, note, { create: opts.create || interactive });
    if (opts.json) {
      printJson(io, r);
      return 0;
    }
    const st = styler(io.color);
    const where = r.file ? ` (appended to ${sanitize(r.file)}${r.line ? `:${r.line}` : ''})` : '';
    const what = r.cardIds.length === 1 ? `card ${r.cardIds[0]}` : `${r.cardIds.length} cards (${r.cardIds.join(', ')})`;
    io.out(`${r.createdDeck ? `Made the deck "${sanitize(r.deck)}". ` : ''}Added ${what} to "${sanitize(r.deck)}"${where}. ${st.dim('recall undo takes it back.')}\n`);
    return 0;
  } finally {
    ctx.store.close();
  }
}
