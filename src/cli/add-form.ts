// The interactive form of `recall add`: the deck, the type, then the fields that type takes, one prompt each. Lists
// (options, items) are asked one entry at a time until an empty answer. What the user typed comes back as the same
// NoteInput the flags give, so the use case validates both alike.
import { confirm, input, select } from '@inquirer/prompts';
import type { NoteInput } from '../app/cards.js';
import { sanitize } from '../core/text.js';
import { CARD_TYPES, type CardType } from '../core/types.js';

const TYPE_HELP: Record<CardType, string> = {
  basic: 'a question and its answer; you grade yourself',
  reversed: 'two cards: front to back and back to front',
  cloze: 'a text with {{hidden}} parts, one card per part',
  typed: 'you type the answer; typos are forgiven',
  choice: 'multiple choice, one right option',
  multi: 'select all that apply',
  truefalse: 'a statement that is true or false',
  classify: 'sort items into categories',
};

const NEW_DECK = '\u0000new';

async function ask(message: string, value: string | undefined, required = true): Promise<string> {
  return (await input({ message, default: value, prefill: value ? 'editable' : undefined, required })).trim();
}

/** Entries of a list, one prompt each, until an empty answer (at least `min`). */
async function list(message: string, previous: string[] | undefined, min: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const v = (await input({ message: `${message} ${i + 1}${i >= min ? ' (empty to finish)' : ''}:`, default: previous?.[i], prefill: previous?.[i] ? 'editable' : undefined, required: i < min })).trim();
    if (!v) return out;
    out.push(v);
  }
}

/** Asks for a deck (unless given) and a card. `previous` fills the answers in again after a rejected card. */
export async function addForm(decks: string[], deck: string | undefined, previous?: NoteInput & { deck: string }): Promise<NoteInput & { deck: string }> {
  let deckName = deck ?? previous?.deck;
  if (deckName === undefined) {
    const choice = await select({
      message: 'Deck',
      choices: [...decks.map((d) => ({ name: sanitize(d), value: d })), { name: 'a new deck…', value: NEW_DECK }],
    });
    deckName = choice === NEW_DECK ? await ask('Name of the new deck:', undefined) : choice;
  }
  const type = await select<CardType>({
    message: 'Type',
    default: previous?.type ?? 'basic',
    choices: CARD_TYPES.map((t) => ({ name: `${t.padEnd(10)} ${TYPE_HELP[t]}`, value: t, short: t })),
  });
  const p = previous?.type === type ? previous : undefined;
  const out: NoteInput & { deck: string } = { deck: deckName, type };
  switch (type) {
    case 'basic':
    case 'reversed':
      out.front = await ask('Front (question):', p?.front);
      out.back = await ask('Back (answer):', p?.back);
      break;
    case 'cloze':
      out.text = await ask('Text, with {{hidden}} parts:', p?.text);
      break;
    case 'typed':
      out.front = await ask('Question:', p?.front);
      out.back = await ask('Answer:', p?.back);
      out.accept = (await ask('Other accepted answers, separated by | (optional):', p?.accept?.join(' | '), false)).split('|').map((s) => s.trim()).filter(Boolean);
      break;
    case 'choice':
      out.front = await ask('Question:', p?.front);
      out.correct = [await ask('The right option:', p?.correct?.[0])];
      out.wrong = await list('Wrong option', p?.wrong, 1);
      break;
    case 'multi': {
      out.front = await ask('Question:', p?.front);
      out.correct = await list('Right option', p?.correct, 1);
      out.wrong = await list('Wrong option', p?.wrong, 0);
      break;
    }
    case 'truefalse':
      out.front = await ask('Statement:', p?.front);
      out.back = (await select({ message: 'It is', choices: [{ name: 'true', value: 'true' }, { name: 'false', value: 'false' }], default: p?.back })) as string;
      break;
    case 'classify': {
      out.front = await ask('Question:', p?.front);
      out.categories = (await ask('Categories, separated by |:', p?.categories?.join(' | '))).split('|').map((s) => s.trim()).filter(Boolean);
      out.items = [];
      for (let i = 0; ; i++) {
        const text = (await input({ message: `Item ${i + 1}${i >= 2 ? ' (empty to finish)' : ''}:`, required: i < 2 })).trim();
        if (!text) break;
        const category = await select({ message: `Category of "${sanitize(text)}"`, choices: out.categories.map((c) => ({ name: sanitize(c), value: c })) });
        out.items.push(`${text} => ${category}`);
      }
      break;
    }
  }
  const explain = await ask('Explanation shown after the answer (optional):', p?.explain, false);
  if (explain) out.explain = explain;
  const tags = await ask('Tags, separated by spaces (optional):', p?.tags?.join(' '), false);
  if (tags) out.tags = tags.split(/\s+/).filter(Boolean);
  return out;
}

export async function tryAgain(): Promise<boolean> {
  return confirm({ message: 'Change the card and try again?', default: true });
}
