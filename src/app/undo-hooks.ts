// The undo hooks of actions whose effects are not only card rows, registered in one place. Any code that may undo
// an action of another command (recall undo, a session's `u`) imports this module, so every kind is known.
import { undoAdd, undoEdit } from './cards.js';
import { undoRename } from './deck-admin.js';
import { undoConfig } from './options.js';
import { registerUndo } from './undo.js';

registerUndo('config', undoConfig);
registerUndo('deck-rename', undoRename);
registerUndo('add', undoAdd);
registerUndo('edit', undoEdit);
