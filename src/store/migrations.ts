/**
 * Ordered schema migrations, applied on `PRAGMA user_version`. Never edit a shipped migration: append a new one.
 * Times are integer epoch ms in UTC. Days (`day`) are local study days: days since 1970-01-01 of the local date
 * whose study day starts at the configured hour.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: foundation
  `
  CREATE TABLE decks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    -- 'builtin' (decks/ shipped with recall), 'file' (a recall deck file), 'anki' (an Anki import)
    origin TEXT NOT NULL DEFAULT 'file',
    path TEXT,
    -- hash of the file last synced, to skip unchanged files on start
    file_hash TEXT,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE cards (
    id INTEGER PRIMARY KEY,
    deck_id INTEGER NOT NULL REFERENCES decks(id),
    -- stable id inside the deck (deck file id, or Anki guid + ordinal)
    uid TEXT NOT NULL,
    note_uid TEXT NOT NULL,
    type TEXT NOT NULL,
    -- CardContent + CardExtras as JSON
    content TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    suspended INTEGER NOT NULL DEFAULT 0,
    -- set when the card disappeared from its deck file; such cards are also suspended
    removed INTEGER NOT NULL DEFAULT 0,
    buried_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (deck_id, uid)
  );
  CREATE INDEX cards_note ON cards(deck_id, note_uid);

  -- Derived from the review log by replay; can always be rebuilt.
  CREATE TABLE schedules (
    card_id INTEGER PRIMARY KEY REFERENCES cards(id),
    state INTEGER NOT NULL,
    due INTEGER NOT NULL,
    stability REAL NOT NULL,
    difficulty REAL NOT NULL,
    elapsed_days INTEGER NOT NULL,
    scheduled_days INTEGER NOT NULL,
    learning_steps INTEGER NOT NULL,
    reps INTEGER NOT NULL,
    lapses INTEGER NOT NULL,
    last_review INTEGER
  );
  CREATE INDEX schedules_due ON schedules(state, due);

  -- Append-only. Rows are never deleted; an undone answer gets undone_at and is skipped on replay.
  CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    card_id INTEGER NOT NULL REFERENCES cards(id),
    rating INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 4),
    state_before INTEGER NOT NULL,
    state_after INTEGER NOT NULL,
    due INTEGER NOT NULL,
    stability REAL NOT NULL,
    difficulty REAL NOT NULL,
    elapsed_days INTEGER NOT NULL,
    scheduled_days INTEGER NOT NULL,
    reviewed_at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('review', 'quiz', 'manual', 'import')),
    scheduled INTEGER NOT NULL DEFAULT 1,
    answer TEXT,
    source_key TEXT UNIQUE,
    attempt_id INTEGER REFERENCES quiz_attempts(id),
    -- local study day of reviewed_at, for per-day statistics
    day INTEGER NOT NULL,
    undone_at INTEGER
  );
  CREATE INDEX reviews_card ON reviews(card_id, reviewed_at);
  CREATE INDEX reviews_day ON reviews(day, rating, duration_ms);

  -- Per-day rollup kept up to date with each answer (and undo), so daily statistics never scan the log.
  CREATE TABLE daily (
    day INTEGER NOT NULL,
    deck_id INTEGER NOT NULL REFERENCES decks(id),
    reviews INTEGER NOT NULL DEFAULT 0,
    again INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    new_cards INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, deck_id)
  ) WITHOUT ROWID;

  CREATE TABLE quiz_attempts (
    id INTEGER PRIMARY KEY,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    -- JSON: decks, types, count, schedule flag
    options TEXT NOT NULL,
    questions INTEGER NOT NULL DEFAULT 0,
    correct REAL NOT NULL DEFAULT 0
  );

  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 2: statistics. True retention reads a year of review-state answers; with the state first and the columns it
  // needs in the index, it never touches the table (1M reviews: ~0.9 s -> ~0.1 s). Quiz results look answers up
  // by attempt, which only quiz answers have.
  `
  CREATE INDEX reviews_retention ON reviews(state_before, day, scheduled, rating, elapsed_days, card_id) WHERE undone_at IS NULL;
  CREATE INDEX reviews_attempt ON reviews(attempt_id) WHERE attempt_id IS NOT NULL;
  `,
  // 3: the state an imported answer had in its source, where replay cannot know it (Anki's filtered-deck answers,
  // review_state 4 in the FSRS optimizer's CSV); null for recall's own answers.
  `
  ALTER TABLE reviews ADD COLUMN source_state INTEGER;
  `,
  // 4: speed on a collection of years. Import looks cards up by uid; the session's new-card query stops at its limit
  // instead of sorting every card. Deck counts read one covering index of cards, in order: each card carries a copy
  // of its schedule's state and due time, kept by triggers so no code path can forget them (doctor checks them).
  `
  CREATE INDEX cards_uid ON cards(uid);
  CREATE INDEX cards_new_order ON cards(deck_id, position, id) WHERE suspended = 0;
  ALTER TABLE cards ADD COLUMN state INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE cards ADD COLUMN due INTEGER;
  UPDATE cards SET
    state = coalesce((SELECT s.state FROM schedules s WHERE s.card_id = cards.id), 0),
    due = (SELECT s.due FROM schedules s WHERE s.card_id = cards.id);
  CREATE TRIGGER schedules_copy_insert AFTER INSERT ON schedules BEGIN
    UPDATE cards SET state = NEW.state, due = NEW.due WHERE id = NEW.card_id;
  END;
  CREATE TRIGGER schedules_copy_update AFTER UPDATE OF state, due ON schedules BEGIN
    UPDATE cards SET state = NEW.state, due = NEW.due WHERE id = NEW.card_id;
  END;
  CREATE TRIGGER schedules_copy_delete AFTER DELETE ON schedules BEGIN
    UPDATE cards SET state = 0, due = NULL WHERE id = OLD.card_id;
  END;
  CREATE INDEX cards_counts ON cards(deck_id, removed, suspended, state, due);
  CREATE INDEX cards_buried ON cards(buried_until) WHERE buried_until IS NOT NULL;
  -- True retention counts answers given in the review state: as the source recorded it for imported history
  -- (Anki's revlog type), else as replay gave it, and only answers that scheduled.
  DROP INDEX reviews_retention;
  CREATE INDEX reviews_true_retention ON reviews(coalesce(source_state, CASE WHEN scheduled = 1 THEN state_before END), day, rating, elapsed_days, card_id)
    WHERE undone_at IS NULL;
  `,
  // 5: the log is the truth for every change to a card, not only answers. Card actions (suspend, bury, move, edit,
  // removal from a deck file) become append-only rows with global ids, like answers; the flags on `cards` are
  // derived from them by replay and can be rebuilt (`recall doctor --fix`). Every row records the device it was made
  // on, so logs from several machines can be merged by union. `actions` groups the rows of one user action (an
  // answer and the siblings it buried; a bulk suspend) so that `recall undo` takes back exactly one action.
  // `cards.mod` changes whenever anything about a card changes (triggers, so no code path can forget): an answer
  // commits only if the card is as it was when drawn.
  `
  CREATE TABLE local (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  INSERT OR IGNORE INTO local(key, value) VALUES ('deviceId', lower(hex(randomblob(8))));

  CREATE TABLE actions (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL,
    device TEXT NOT NULL,
    -- JSON: what undo needs beyond the rows that carry this action's uid, and what messages show
    data TEXT NOT NULL DEFAULT '{}',
    undone_at INTEGER
  );
  CREATE INDEX actions_undo ON actions(device, id) WHERE undone_at IS NULL;

  CREATE TABLE card_events (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    card_id INTEGER NOT NULL REFERENCES cards(id),
    kind TEXT NOT NULL CHECK (kind IN ('suspend', 'unsuspend', 'bury', 'unbury', 'move', 'edit', 'remove', 'restore')),
    at INTEGER NOT NULL,
    day INTEGER NOT NULL,
    device TEXT NOT NULL,
    action_uid TEXT,
    -- JSON: bury {until}; move {from, to} (deck ids); edit {before, after} (uid, noteUid, content)
    data TEXT,
    undone_at INTEGER
  );
  CREATE INDEX card_events_card ON card_events(card_id, at, id);
  CREATE INDEX card_events_action ON card_events(action_uid) WHERE action_uid IS NOT NULL;

  ALTER TABLE reviews ADD COLUMN device TEXT;
  ALTER TABLE reviews ADD COLUMN action_uid TEXT;
  UPDATE reviews SET device = (SELECT value FROM local WHERE key = 'deviceId');
  CREATE INDEX reviews_action ON reviews(action_uid) WHERE action_uid IS NOT NULL;

  -- The flags as they stand become the first events. Their study day is the UTC day: the zone is a setting the
  -- migration does not read, and nothing replays these days.
  INSERT INTO card_events(uid, card_id, kind, at, day, device, data)
    SELECT lower(hex(randomblob(12))), id, 'suspend', updated_at, updated_at / 86400000, (SELECT value FROM local WHERE key = 'deviceId'), NULL
    FROM cards WHERE suspended = 1 AND removed = 0;
  INSERT INTO card_events(uid, card_id, kind, at, day, device, data)
    SELECT lower(hex(randomblob(12))), id, 'bury', updated_at, updated_at / 86400000, (SELECT value FROM local WHERE key = 'deviceId'),
      json_object('until', buried_until)
    FROM cards WHERE buried_until IS NOT NULL;
  INSERT INTO card_events(uid, card_id, kind, at, day, device, data)
    SELECT lower(hex(randomblob(12))), id, 'remove', updated_at, updated_at / 86400000, (SELECT value FROM local WHERE key = 'deviceId'), NULL
    FROM cards WHERE removed = 1;
  -- A card removed from its deck file used to be suspended as well; removal now stands on its own.
  UPDATE cards SET suspended = 0 WHERE removed = 1;
  DROP INDEX cards_new_order;
  CREATE INDEX cards_new_order ON cards(deck_id, position, id) WHERE suspended = 0 AND removed = 0;

  ALTER TABLE cards ADD COLUMN mod INTEGER NOT NULL DEFAULT 0;
  DROP TRIGGER schedules_copy_insert;
  DROP TRIGGER schedules_copy_update;
  DROP TRIGGER schedules_copy_delete;
  CREATE TRIGGER schedules_copy_insert AFTER INSERT ON schedules BEGIN
    UPDATE cards SET state = NEW.state, due = NEW.due, mod = mod + 1 WHERE id = NEW.card_id;
  END;
  CREATE TRIGGER schedules_copy_update AFTER UPDATE ON schedules BEGIN
    UPDATE cards SET state = NEW.state, due = NEW.due, mod = mod + 1 WHERE id = NEW.card_id;
  END;
  CREATE TRIGGER schedules_copy_delete AFTER DELETE ON schedules BEGIN
    UPDATE cards SET state = 0, due = NULL, mod = mod + 1 WHERE id = OLD.card_id;
  END;
  -- A quiz left early keeps what was answered; how many questions it meant to ask tells it from a finished one.
  ALTER TABLE quiz_attempts ADD COLUMN planned INTEGER;

  CREATE TRIGGER cards_mod AFTER UPDATE OF suspended, buried_until, removed, deck_id, content ON cards BEGIN
    UPDATE cards SET mod = mod + 1 WHERE id = NEW.id;
  END;
  `,
  // 6: identities that hold across devices. A deck's uid is where it came from and the name it was created with
  // (`builtin:<file>`, `file:<name>`, `anki:<name>`, `user:<name>`): two machines that import the same deck, or
  // start with the same built-in decks, hold the same deck, and a rename keeps it. A card's guid is its deck's uid
  // and its id in that deck, or for a card from Anki its Anki guid and ordinal, which Anki keeps globally unique.
  // Both are set once and never change; sync matches rows by them.
  `
  ALTER TABLE decks ADD COLUMN uid TEXT;
  UPDATE decks SET uid = CASE origin WHEN 'builtin' THEN 'builtin:' || coalesce(path, name) ELSE origin || ':' || name END;
  CREATE UNIQUE INDEX decks_uid ON decks(uid);
  ALTER TABLE cards ADD COLUMN guid TEXT;
  UPDATE cards SET guid = CASE WHEN uid LIKE 'anki:%' THEN uid ELSE (SELECT d.uid FROM decks d WHERE d.id = cards.deck_id) || '/' || uid END
    || CASE WHEN uid LIKE 'anki:%' AND EXISTS (SELECT 1 FROM cards c2 WHERE c2.uid = cards.uid AND c2.id < cards.id) THEN '#' || id ELSE '' END;
  CREATE UNIQUE INDEX cards_guid ON cards(guid);
  `,
  // 7: per-deck options become named presets (Anki's deck options). The FSRS parameters `recall optimize --deck`
  // kept in one `deckParameters` setting (deck name -> parameters) become a preset per deck, named after it, and
  // the deck's choice of preset a setting keyed by its uid: one setting per preset and per deck, so sync (last
  // writer per key) merges changes to different decks. Only settings change; "Default" is the global settings'
  // name, so a deck of that name gets "Default deck".
  `
  INSERT OR IGNORE INTO settings(key, value)
    SELECT 'preset:' || CASE WHEN lower(j.key) = 'default' THEN j.key || ' deck' ELSE j.key END, json_object('parameters', json(j.value))
    FROM settings s, json_each(CASE WHEN json_valid(s.value) AND json_type(s.value) = 'object' THEN s.value ELSE '{}' END) j
    WHERE s.key = 'deckParameters' AND j.type = 'array';
  INSERT OR IGNORE INTO settings(key, value)
    SELECT 'deckPreset:' || d.uid, json_quote(CASE WHEN lower(j.key) = 'default' THEN j.key || ' deck' ELSE j.key END)
    FROM settings s, json_each(CASE WHEN json_valid(s.value) AND json_type(s.value) = 'object' THEN s.value ELSE '{}' END) j
      JOIN decks d ON d.name = j.key
    WHERE s.key = 'deckParameters' AND j.type = 'array';
  DELETE FROM settings WHERE key = 'deckParameters';
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
