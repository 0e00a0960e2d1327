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
  // and its id in that deck, or for a card from Anki its uid (`anki:<guid>...`; `ankitxt:<hash>` for a text row
  // without guid), which is unique in the whole collection.
  // Both are set once and never change; sync matches rows by them.
  `
  ALTER TABLE decks ADD COLUMN uid TEXT;
  UPDATE decks SET uid = CASE origin WHEN 'builtin' THEN 'builtin:' || coalesce(path, name) ELSE origin || ':' || name END;
  CREATE UNIQUE INDEX decks_uid ON decks(uid);
  ALTER TABLE cards ADD COLUMN guid TEXT;
  UPDATE cards SET guid = CASE WHEN uid LIKE 'anki:%' OR uid LIKE 'ankitxt:%' THEN uid ELSE (SELECT d.uid FROM decks d WHERE d.id = cards.deck_id) || '/' || uid END
    || CASE WHEN (uid LIKE 'anki:%' OR uid LIKE 'ankitxt:%') AND EXISTS (SELECT 1 FROM cards c2 WHERE c2.uid = cards.uid AND c2.id < cards.id) THEN '#' || id ELSE '' END;
  CREATE UNIQUE INDEX cards_guid ON cards(guid);
  -- Cards found by a global uid are found by their guid now (it is that uid); no other lookup is by uid alone.
  DROP INDEX cards_uid;
  `,
  // 7: media of imported packages (issue 20). The files live in the media folder next to the database, one file per
  // content hash (sha256, hex); cards name them as their notes did ("[image: al.png]"), and media_names maps each
  // such name to its content, so two names with the same bytes share one file.
  `
  CREATE TABLE media_files (
    hash TEXT PRIMARY KEY,
    file TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    added_at INTEGER NOT NULL
  );
  CREATE TABLE media_names (
    name TEXT PRIMARY KEY,
    hash TEXT NOT NULL REFERENCES media_files(hash)
  );
  CREATE INDEX media_names_hash ON media_names(hash);
  `,
  // 8: sync (recall sync, docs/sync.md). Rows that travel are found by a per-table high-water mark of their row ids
  // (the log is append-only, so "new since the last sync" is "id above the cursor") plus `sync_marks`, a change
  // sequence for the few things that change a row in place: an undo mark on a review or card event (grow-only), a
  // deck's name or description, a setting. Settings and deck names travel as last-writer-wins registers, so each
  // carries the time and device of its last write (`setting_clock` survives a deleted setting as its tombstone).
  // Triggers stamp writes made by any code path with the wall clock and this device; the store and the sync
  // overwrite the stamp with the time they mean (the command's clock, or the remote writer's). unixepoch('subsec')
  // needs SQLite 3.42; better-sqlite3 12 ships 3.50+. (The triggers delete and insert rather than INSERT OR REPLACE:
  // inside a trigger fired by an upsert, a REPLACE conflict clause is overridden and fails.)
  `
  CREATE TABLE sync_marks (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('review', 'event', 'deck', 'setting')),
    ref TEXT NOT NULL
  );
  CREATE INDEX sync_marks_kind ON sync_marks(kind, seq);

  CREATE TABLE setting_clock (key TEXT PRIMARY KEY, at INTEGER NOT NULL, device TEXT NOT NULL) WITHOUT ROWID;
  INSERT INTO setting_clock(key, at, device) SELECT key, 0, (SELECT value FROM local WHERE key = 'deviceId') FROM settings;
  INSERT INTO sync_marks(kind, ref) SELECT 'setting', key FROM settings;

  ALTER TABLE decks ADD COLUMN meta_at INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE decks ADD COLUMN meta_device TEXT NOT NULL DEFAULT '';
  UPDATE decks SET meta_at = created_at, meta_device = (SELECT value FROM local WHERE key = 'deviceId');

  CREATE TRIGGER reviews_undo_mark AFTER UPDATE OF undone_at ON reviews
    WHEN OLD.undone_at IS NULL AND NEW.undone_at IS NOT NULL BEGIN
    INSERT INTO sync_marks(kind, ref) VALUES ('review', NEW.uid);
  END;
  CREATE TRIGGER card_events_undo_mark AFTER UPDATE OF undone_at ON card_events
    WHEN OLD.undone_at IS NULL AND NEW.undone_at IS NOT NULL BEGIN
    INSERT INTO sync_marks(kind, ref) VALUES ('event', NEW.uid);
  END;
  CREATE TRIGGER decks_meta_insert AFTER INSERT ON decks WHEN NEW.meta_device = '' BEGIN
    UPDATE decks SET meta_at = NEW.created_at, meta_device = (SELECT value FROM local WHERE key = 'deviceId') WHERE id = NEW.id;
  END;
  CREATE TRIGGER decks_meta_update AFTER UPDATE OF name, description ON decks
    WHEN OLD.name IS NOT NEW.name OR OLD.description IS NOT NEW.description BEGIN
    UPDATE decks SET meta_at = max(CAST(unixepoch('subsec') * 1000 AS INTEGER), OLD.meta_at + 1),
      meta_device = (SELECT value FROM local WHERE key = 'deviceId')
      WHERE id = NEW.id AND NEW.meta_at = OLD.meta_at AND NEW.meta_device = OLD.meta_device;
    INSERT INTO sync_marks(kind, ref) VALUES ('deck', NEW.uid);
  END;
  CREATE TRIGGER settings_clock_insert AFTER INSERT ON settings BEGIN
    DELETE FROM setting_clock WHERE key = NEW.key;
    INSERT INTO setting_clock(key, at, device)
      VALUES (NEW.key, CAST(unixepoch('subsec') * 1000 AS INTEGER), (SELECT value FROM local WHERE key = 'deviceId'));
    INSERT INTO sync_marks(kind, ref) VALUES ('setting', NEW.key);
  END;
  CREATE TRIGGER settings_clock_update AFTER UPDATE ON settings WHEN OLD.value IS NOT NEW.value BEGIN
    DELETE FROM setting_clock WHERE key = NEW.key;
    INSERT INTO setting_clock(key, at, device)
      VALUES (NEW.key, CAST(unixepoch('subsec') * 1000 AS INTEGER), (SELECT value FROM local WHERE key = 'deviceId'));
    INSERT INTO sync_marks(kind, ref) VALUES ('setting', NEW.key);
  END;
  CREATE TRIGGER settings_clock_delete AFTER DELETE ON settings BEGIN
    DELETE FROM setting_clock WHERE key = OLD.key;
    INSERT INTO setting_clock(key, at, device)
      VALUES (OLD.key, CAST(unixepoch('subsec') * 1000 AS INTEGER), (SELECT value FROM local WHERE key = 'deviceId'));
    INSERT INTO sync_marks(kind, ref) VALUES ('setting', OLD.key);
  END;
  `,
  // 9: per-deck options become named presets (Anki's deck options). The FSRS parameters `recall optimize --deck`
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
  // 10: statistics from rollups (issue 19): `recall stats` over a million answers reads summaries, not the log.
  // - daily gains the true-retention counts (answers given in the review state, split young/mature by the days since
  //   the previous answer, MATURE_DAYS = 21): kept wherever its other counts are, rebuilt alike.
  // - A card's figures live with its deck: moving a card moves its answers' counts in daily to its new deck, as a
  //   rebuild would find them.
  // - Each card carries copies of the rest of its schedule's memory state (stability, difficulty, interval, last
  //   answer), kept by the same triggers as state and due; card_counts counts answered cards per deck by what the
  //   statistics show of them (category, mastered, stability and difficulty bucket: the edges of src/stats/compute.ts,
  //   a test holds them equal), kept by a trigger on cards. New cards are left out: the cards_counts index counts them
  //   as fast, and a trigger on every card inserted cost an import of 50k notes a fifth more time. Retrievability
  //   depends on the time, so it is computed per card from a narrow index of the answered cards.
  // - Leeches are counted through a partial index of the cards whose content mentions the tag.
  `
  ALTER TABLE daily ADD COLUMN young_total INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE daily ADD COLUMN young_passed INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE daily ADD COLUMN mature_total INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE daily ADD COLUMN mature_passed INTEGER NOT NULL DEFAULT 0;
  INSERT INTO daily(day, deck_id, young_total, young_passed, mature_total, mature_passed)
    SELECT r.day, c.deck_id, sum(r.elapsed_days < 21), sum(r.elapsed_days < 21 AND r.rating > 1), sum(r.elapsed_days >= 21), sum(r.elapsed_days >= 21 AND r.rating > 1)
    FROM reviews r JOIN cards c ON c.id = r.card_id
    WHERE coalesce(r.source_state, CASE WHEN r.scheduled = 1 THEN r.state_before END) = 2 AND r.rating > 0 AND r.undone_at IS NULL
    GROUP BY r.day, c.deck_id
    ON CONFLICT(day, deck_id) DO UPDATE SET young_total = excluded.young_total, young_passed = excluded.young_passed,
      mature_total = excluded.mature_total, mature_passed = excluded.mature_passed;

  CREATE TRIGGER cards_move_daily AFTER UPDATE OF deck_id ON cards WHEN OLD.deck_id IS NOT NEW.deck_id BEGIN
    INSERT INTO daily(day, deck_id, reviews, again, duration_ms, new_cards, young_total, young_passed, mature_total, mature_passed)
      SELECT r.day, d.deck_id, d.sign * sum(r.scheduled = 1 OR r.kind = 'import'), d.sign * sum((r.scheduled = 1 OR r.kind = 'import') AND r.rating = 1),
        d.sign * sum(CASE WHEN r.scheduled = 1 OR r.kind = 'import' THEN r.duration_ms ELSE 0 END),
        d.sign * sum((r.scheduled = 1 OR r.kind = 'import') AND r.state_before = 0),
        d.sign * sum(coalesce(r.source_state, CASE WHEN r.scheduled = 1 THEN r.state_before END) = 2 AND r.elapsed_days < 21),
        d.sign * sum(coalesce(r.source_state, CASE WHEN r.scheduled = 1 THEN r.state_before END) = 2 AND r.elapsed_days < 21 AND r.rating > 1),
        d.sign * sum(coalesce(r.source_state, CASE WHEN r.scheduled = 1 THEN r.state_before END) = 2 AND r.elapsed_days >= 21),
        d.sign * sum(coalesce(r.source_state, CASE WHEN r.scheduled = 1 THEN r.state_before END) = 2 AND r.elapsed_days >= 21 AND r.rating > 1)
      FROM reviews r, (SELECT OLD.deck_id AS deck_id, -1 AS sign UNION ALL SELECT NEW.deck_id, 1) d
      WHERE r.card_id = NEW.id AND r.rating > 0 AND r.undone_at IS NULL
      GROUP BY r.day, d.deck_id
      ON CONFLICT(day, deck_id) DO UPDATE SET reviews = reviews + excluded.reviews, again = again + excluded.again,
        duration_ms = duration_ms + excluded.duration_ms, new_cards = new_cards + excluded.new_cards,
        young_total = young_total + excluded.young_total, young_passed = young_passed + excluded.young_passed,
        mature_total = mature_total + excluded.mature_total, mature_passed = mature_passed + excluded.mature_passed;
  END;

  ALTER TABLE cards ADD COLUMN stability_copy REAL;
  ALTER TABLE cards ADD COLUMN difficulty_copy REAL;
  ALTER TABLE cards ADD COLUMN interval_copy INTEGER;
  ALTER TABLE cards ADD COLUMN last_review_copy INTEGER;
  UPDATE cards SET (stability_copy, difficulty_copy, interval_copy, last_review_copy) =
    (SELECT s.stability, s.difficulty, s.scheduled_days, s.last_review FROM schedules s WHERE s.card_id = cards.id);
  DROP TRIGGER schedules_copy_insert;
  DROP TRIGGER schedules_copy_update;
  DROP TRIGGER schedules_copy_delete;
  CREATE TRIGGER schedules_copy_insert AFTER INSERT ON schedules BEGIN
    UPDATE cards SET state = NEW.state, due = NEW.due, stability_copy = NEW.stability, difficulty_copy = NEW.difficulty,
      interval_copy = NEW.scheduled_days, last_review_copy = NEW.last_review, mod = mod + 1 WHERE id = NEW.card_id;
  END;
  CREATE TRIGGER schedules_copy_update AFTER UPDATE ON schedules BEGIN
    UPDATE cards SET state = NEW.state, due = NEW.due, stability_copy = NEW.stability, difficulty_copy = NEW.difficulty,
      interval_copy = NEW.scheduled_days, last_review_copy = NEW.last_review, mod = mod + 1 WHERE id = NEW.card_id;
  END;
  CREATE TRIGGER schedules_copy_delete AFTER DELETE ON schedules BEGIN
    UPDATE cards SET state = 0, due = NULL, stability_copy = NULL, difficulty_copy = NULL, interval_copy = NULL, last_review_copy = NULL,
      mod = mod + 1 WHERE id = OLD.card_id;
  END;

  -- What the statistics count an answered card as, NULL for a new or removed card: (category * 2 + mastered) * 100
  -- + stability bucket * 10 + difficulty bucket. Categories: 1 learning, 2 young, 3 mature, 4 suspended.
  ALTER TABLE cards ADD COLUMN stats_key INTEGER GENERATED ALWAYS AS (CASE WHEN removed = 1 OR state = 0 THEN NULL ELSE
    ((CASE WHEN suspended = 1 THEN 4 WHEN state IN (1, 3) THEN 1 WHEN interval_copy >= 21 THEN 3 ELSE 2 END) * 2 + (stability_copy >= 21)) * 100
    + (CASE WHEN stability_copy >= 365 THEN 9 WHEN stability_copy >= 180 THEN 8 WHEN stability_copy >= 90 THEN 7 WHEN stability_copy >= 30 THEN 6
        WHEN stability_copy >= 21 THEN 5 WHEN stability_copy >= 14 THEN 4 WHEN stability_copy >= 7 THEN 3 WHEN stability_copy >= 3 THEN 2
        WHEN stability_copy >= 1 THEN 1 ELSE 0 END) * 10
    + CASE WHEN difficulty_copy >= 9 THEN 8 WHEN difficulty_copy >= 8 THEN 7 WHEN difficulty_copy >= 7 THEN 6 WHEN difficulty_copy >= 6 THEN 5
        WHEN difficulty_copy >= 5 THEN 4 WHEN difficulty_copy >= 4 THEN 3 WHEN difficulty_copy >= 3 THEN 2 WHEN difficulty_copy >= 2 THEN 1 ELSE 0 END
    END) VIRTUAL;
  CREATE TABLE card_counts (
    deck_id INTEGER NOT NULL,
    stats_key INTEGER NOT NULL,
    cards INTEGER NOT NULL,
    PRIMARY KEY (deck_id, stats_key)
  ) WITHOUT ROWID;
  INSERT INTO card_counts(deck_id, stats_key, cards) SELECT deck_id, stats_key, count(*) FROM cards WHERE stats_key IS NOT NULL GROUP BY 1, 2;
  -- Cards are inserted new (state 0, no key); their schedule's copy trigger updates them into card_counts.
  CREATE TRIGGER cards_counts_update AFTER UPDATE OF deck_id, removed, suspended, state, interval_copy, stability_copy, difficulty_copy ON cards
    WHEN OLD.deck_id IS NOT NEW.deck_id OR OLD.stats_key IS NOT NEW.stats_key BEGIN
    UPDATE card_counts SET cards = cards - 1 WHERE deck_id = OLD.deck_id AND stats_key = OLD.stats_key;
    INSERT INTO card_counts(deck_id, stats_key, cards) SELECT NEW.deck_id, NEW.stats_key, 1 WHERE NEW.stats_key IS NOT NULL
      ON CONFLICT(deck_id, stats_key) DO UPDATE SET cards = cards + 1;
  END;
  CREATE TRIGGER cards_counts_delete AFTER DELETE ON cards WHEN OLD.stats_key IS NOT NULL BEGIN
    UPDATE card_counts SET cards = cards - 1 WHERE deck_id = OLD.deck_id AND stats_key = OLD.stats_key;
  END;
  -- state and removed too, though the condition fixes them: without them SQLite does not read the index alone.
  CREATE INDEX cards_retrievability ON cards(deck_id, stability_copy, last_review_copy, state, removed) WHERE state > 0 AND removed = 0;

  CREATE INDEX cards_leech ON cards(deck_id) WHERE instr(content, '"leech"') > 0;
  `,
  // 11: fewer pages in every answer's commit (22 -> ~16 WAL frames): indexes an answer kept up to date that nothing
  // needs any more, or that another index can serve. True retention is read from `daily` since migration 10; the last
  // action of this device is found walking actions back from the newest (nearly always the first row); the study
  // queues walk cards_counts deck by deck instead of schedules_due; the retrievability pass of the statistics reads
  // cards_counts, which now carries the two copies it needs (an entry that moves costs two leaves, in either index).
  `
  DROP INDEX IF EXISTS reviews_true_retention;
  DROP INDEX IF EXISTS actions_undo;
  DROP INDEX IF EXISTS schedules_due;
  DROP INDEX IF EXISTS cards_retrievability;
  DROP INDEX IF EXISTS cards_counts;
  CREATE INDEX cards_counts ON cards(deck_id, removed, suspended, state, due, stability_copy, last_review_copy);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * A review row's source key, as every read gives it. An imported answer's uid is its source key
 * (`anki:<note guid>:<ord>:<revlog id>`, src/store/import-store.ts), so imports leave `source_key` NULL rather than
 * write the same text into a second unique index; rows imported before, and rows a sync brings, may carry it.
 */
export const SOURCE_KEY_SQL = (table = '') => `coalesce(${table}source_key, CASE WHEN ${table}kind = 'import' THEN ${table}uid END)`;
