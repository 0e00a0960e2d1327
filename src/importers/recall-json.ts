// Reads recall's own JSON deck export (`recall export deck NAME --format json`, docs/export-formats.md) back into
// an ImportPlan, so every format recall writes also imports. One card per array element; an element that is not
// a card recall could have written is skipped and reported by its position.
import { basename, extname } from 'node:path';
import { RecallError } from '../core/errors.js';
import type { ImportPlan, PlannedCard } from '../core/import-plan.js';
import { CARD_TYPES, type CardContent } from '../core/types.js';
import { diag, type ImportDiagnostic } from './diagnostics.js';

const str = (v: unknown): v is string => typeof v === 'string';
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every(str);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_FIELD_CHARS = 2 ** 20;

/** The card's content from its exported fields, or why it is not one. */
function contentOf(c: Record<string, unknown>): CardContent | string {
  switch (c.type) {
    case 'basic':
      return str(c.front) && str(c.back) ? { type: 'basic', front: c.front, back: c.back } : 'a basic card needs front and back texts';
    case 'reversed':
      return str(c.front) && str(c.back) && (c.direction === 'forward' || c.direction === 'backward')
        ? { type: 'reversed', front: c.front, back: c.back, direction: c.direction }
        : 'a reversed card needs front, back and a direction (forward or backward)';
    case 'cloze':
      return str(c.text) && Number.isInteger(c.index) && (c.index as number) >= 1
        ? { type: 'cloze', text: c.text, index: c.index as number }
        : 'a cloze card needs a text and an index from 1';
    case 'typed':
      return str(c.prompt) && strings(c.answers) ? { type: 'typed', prompt: c.prompt, answers: [...c.answers] } : 'a typed card needs a prompt and answers';
    case 'choice':
    case 'multi': {
      const ok = str(c.prompt) && Array.isArray(c.options) && c.options.every((o) => isRecord(o) && str(o.text) && typeof o.correct === 'boolean');
      return ok
        ? { type: c.type, prompt: c.prompt as string, options: (c.options as { text: string; correct: boolean }[]).map((o) => ({ text: o.text, correct: o.correct })) }
        : `a ${c.type} card needs a prompt and options of text and correct`;
    }
    case 'truefalse':
      return str(c.statement) && typeof c.answer === 'boolean' ? { type: 'truefalse', statement: c.statement, answer: c.answer } : 'a truefalse card needs a statement and an answer';
    case 'classify': {
      const ok = str(c.prompt) && strings(c.categories) && Array.isArray(c.items) && c.items.every((i) => isRecord(i) && str(i.text) && str(i.category));
      return ok
        ? { type: 'classify', prompt: c.prompt as string, categories: [...(c.categories as string[])], items: (c.items as { text: string; category: string }[]).map((i) => ({ text: i.text, category: i.category })) }
        : 'a classify card needs a prompt, categories and items';
    }
    default:
      return `unknown card type ${JSON.stringify(c.type)} (types: ${CARD_TYPES.join(', ')})`;
  }
}

export function parseRecallJson(text: string, file: string, opts: { deck?: string } = {}): ImportPlan {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new RecallError('json-invalid', `Not valid JSON (${(e as Error).message})`, { file, hint: 'recall imports the JSON it writes with `recall export deck NAME --format json`' });
  }
  if (!Array.isArray(data)) {
    throw new RecallError('not-a-deck', 'This JSON is not a list of cards', { file, hint: 'recall imports the JSON it writes with `recall export deck NAME --format json`: an array of cards' });
  }
  const warnings: ImportDiagnostic[] = [];
  const cards: PlannedCard[] = [];
  const seen = new Set<string>();
  data.forEach((c, i) => {
    const where = `card ${i + 1}`;
    if (!isRecord(c) || !str(c.id) || c.id === '') return void warnings.push(diag('error', file, 0, `${where} has no id: skipped`));
    if (seen.has(c.id)) return void warnings.push(diag('error', file, 0, `${where}: duplicate id "${c.id}": skipped`));
    if (JSON.stringify(c).length > 4 * MAX_FIELD_CHARS) return void warnings.push(diag('error', file, 0, `${where} (${c.id}) is larger than 4 MB: skipped`));
    const content = contentOf(c);
    if (typeof content === 'string') return void warnings.push(diag('error', file, 0, `${where} (${c.id}): ${content}: skipped`));
    seen.add(c.id);
    const card: PlannedCard = { uid: c.id, noteUid: str(c.note) && c.note ? c.note : c.id, content, reviews: [] };
    if (str(c.explanation) && c.explanation) card.explanation = c.explanation;
    if (str(c.source) && c.source) card.source = c.source;
    if (strings(c.tags) && c.tags.length) card.tags = [...c.tags];
    cards.push(card);
  });
  if (data.length > 0 && cards.length === 0) {
    throw new RecallError('not-a-deck', `None of the ${data.length} elements of this JSON is a card recall can read`, { file, hint: 'recall imports the JSON it writes with `recall export deck NAME --format json`' });
  }
  const base = basename(file);
  const name = opts.deck ?? (base.slice(0, base.length - extname(base).length) || 'Imported');
  return { file, format: 'recall-json', decks: cards.length ? [{ name, cards }] : [], warnings };
}
