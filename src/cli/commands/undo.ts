// `recall undo`: takes back the most recent action made on this device (an answer, a suspension, a burial, ...).
import { openContext } from '../../app/context.js';
import { undoLast } from '../../app/undo.js';
import '../../app/undo-hooks.js';
import type { StudyCard } from '../../store/api.js';
import { cardLabel, undoMessage } from '../format.js';
import { printJson, type Io } from '../io.js';

export async function run(opts: { db?: string; json?: boolean }, io: Io): Promise<number> {
  const ctx = openContext({ db: opts.db, env: io.env });
  try {
    const r = undoLast(ctx);
    const cards = r ? r.cardIds.map((id) => ctx.store.getCard(id)).filter((c): c is StudyCard => c !== undefined) : [];
    if (opts.json) {
      printJson(io, {
        undone: r && {
          kind: r.kind,
          at: r.at,
          ...(r.grade ? { grade: r.grade } : {}),
          ...(typeof r.data.label === 'string' ? { label: r.data.label } : {}),
          notes: r.notes,
          cards: cards.map((c) => ({ id: c.id, deck: c.deckName, question: cardLabel(c.content, 200) })),
        },
      });
      return 0;
    }
    io.out(r ? `${undoMessage({ ...r, cards })}\n` : 'Nothing to undo.\n');
    return 0;
  } finally {
    ctx.store.close();
  }
}
