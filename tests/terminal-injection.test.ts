// Terminal injection: card text and deck names from files are shown on a real terminal (tmux) and none of the
// escape sequences in them may take effect: no title change, no clipboard write, no bell, no clearing, no cursor
// moves, no overwritten lines, no bidi reordering. Positive controls prove each detector sees the real thing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sanitize } from '../src/core/text.js';
import { Term, recallBin } from '../scripts/lib/term.mjs';

const ESC = '\u001b';
const BEL = '\u0007';
const CLEAR = `${ESC}[2J${ESC}[H`;
const TITLE = `${ESC}]0;PWNED${BEL}`;
const TITLE_ST = `${ESC}]2;PWNED2${ESC}\\`;
const CLIP = `${ESC}]52;c;cHduZWQ=${BEL}`;
const RED = `${ESC}[31m`;
const RESET = `${ESC}[0m`;
const MOVE = `${ESC}[12;40H`;
const UP = `${ESC}[3A`;
const RLO = '\u202e';

/** Every sequence, between marker words that must stay visible and in order. */
const PAYLOAD = `w1 ${CLEAR} w2 ${TITLE} w3 ${CLIP} w4 ${BEL}${BEL} w5 ${RED}w6${RESET} w7 ${MOVE} w8 ${UP} w9 ${TITLE_ST} w10 ${RLO}w11 ${ESC}P1$r${ESC}\\ w12`;
const WORDS = /w1 +w2 +w3 +w4 +w5 +w6 +w7 +w8 +w9 +w10 +w11 +w12/;

describe('sanitize', () => {
  it('removes CSI, OSC (BEL and ST terminated), DCS, 8-bit CSI and lone ESC', () => {
    expect(sanitize(`a${CLEAR}b`)).toBe('ab');
    expect(sanitize(`a${TITLE}b`)).toBe('ab');
    expect(sanitize(`a${TITLE_ST}b`)).toBe('ab');
    expect(sanitize(`a${CLIP}b`)).toBe('ab');
    expect(sanitize(`a${RED}b${RESET}c`)).toBe('abc');
    expect(sanitize(`a${ESC}P1$r${ESC}\\b`)).toBe('ab');
    expect(sanitize('a\u009b2Jb')).toBe('ab');
    expect(sanitize(`a${ESC}cb`)).toBe('ab');
    expect(sanitize(`a${ESC}`)).toBe('a');
    // An OSC that never ends must not swallow the rest of the card either way it is read: nothing of it is shown.
    expect(sanitize(`a${ESC}]0;unterminated`)).not.toContain(ESC);
  });

  it('drops bells and other C0/C1 controls, keeps newline and tab', () => {
    expect(sanitize(`a${BEL}b\u0008c\u007fd\u0085e`)).toBe('abcde');
    expect(sanitize('a\tb\nc')).toBe('a\tb\nc');
  });

  it('turns carriage returns into line breaks so nothing is overwritten', () => {
    expect(sanitize('secret\rpublic')).toBe('secret\npublic');
    expect(sanitize('a\r\nb')).toBe('a\nb');
  });

  it('drops bidi overrides and isolates', () => {
    expect(sanitize(`x${RLO}gpj.exe`)).toBe('xgpj.exe');
    for (const c of ['\u202a', '\u202b', '\u202c', '\u202d', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c']) {
      expect(sanitize(`a${c}b`)).toBe('ab');
    }
  });

  it('keeps ordinary text, accents, CJK and emoji', () => {
    const s = 'Größe — 漢字 🙂 naïve [x] {{c1::y}} 50% $HOME';
    expect(sanitize(s)).toBe(s);
  });

  it('output never contains ESC, BEL, CR or bidi controls (random strings)', async () => {
    const fc = await import('fast-check');
    const pieces = fc.constantFrom(ESC, BEL, '\r', '\u009b', '\u009d', '[', ']', ';', '0', '2J', 'P', '\\', RLO, '\u2066', 'a', ' ', '\n', 'é');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => {
        const out = sanitize(parts.join(''));
        expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('on a real terminal (tmux)', () => {
  const BIN = recallBin();
  let dir: string;
  let term: Term;
  let db: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'recall-inject-'));
    db = join(dir, 'r.db');
    term = new Term('inject', { cols: 120, rows: 40 });
    term.run('boot-check', ['true']);
    // Applications may write the clipboard (OSC 52) into tmux buffers: so an attempt would be seen.
    term.tmux('set-option', '-g', 'set-clipboard', 'on');
  });
  afterAll(() => {
    term?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const buffers = () => term.tmux('list-buffers', '-F', '#{buffer_name}:#{buffer_sample}').trim();

  it('positive controls: the raw sequences do take effect when printed unfiltered', async () => {
    const w = term.run('control', ['sh', '-c', `printf 'HEADER-LINE\\n'; printf '%s' "$1"; printf 'after\\n'; cat`, 'sh', `${TITLE}${CLIP}${BEL}${CLEAR}`]);
    await term.waitFor(w, 'after');
    const title = term.title(w);
    const clip = buffers();
    term.tmux('delete-buffer');
    expect(title).toBe('PWNED');
    expect(clip).toContain('pwned');
    expect(term.info(w, '#{window_bell_flag}')).toBe('1');
    // Cleared: what was printed before the sequence is no longer on the screen.
    expect(term.screen(w)).not.toContain('HEADER-LINE');
    expect(buffers()).toBe('');
  });

  function writeDecks() {
    const deck = join(dir, 'inject.deck');
    writeFileSync(
      deck,
      `deck: Injection\ndescription: ${PAYLOAD}\n\n--- basic inj1\nQ: ${PAYLOAD}\nA: answer ${PAYLOAD}\nexplain: why ${PAYLOAD}\nsource: src ${PAYLOAD}\n\n` +
        `--- choice inj2\nQ: pick ${PAYLOAD}\n- [x] right ${TITLE}one\n- [ ] wrong ${CLEAR}two\n`,
    );
    // The deck name itself carries sequences: it appears in the header and in the line printed after each answer.
    const evilDeck = join(dir, 'evil.deck');
    writeFileSync(evilDeck, `deck: Injection::evil${TITLE}name${CLEAR}${RLO}x\n\n--- basic e1\nQ: deck name card\nA: fine\n`);
    return [deck, evilDeck];
  }

  it('recall import on a terminal prints the deck names without their sequences', async () => {
    const files = writeDecks();
    const env = { RECALL_DB: join(dir, 'import-only.db'), RECALL_NOW: '2026-06-01T09:00:00Z' };
    const imp = term.run('import', [process.execPath, BIN, 'import', ...files], env);
    expect(await term.waitExit(imp), term.history(imp)).toBe(0);
    // One intact line: a clear or a cursor move inside the deck name would have split it.
    expect(term.history(imp)).toMatch(/^Imported 3 new cards, .* into 2 decks: Injection, Injection::evilnamex$/m);
    expect(term.title(imp), 'the import output changed the window title').not.toMatch(/PWNED/);
    expect(buffers()).toBe('');
  });

  it('review shows the text, and no sequence takes effect', async () => {
    const files = writeDecks();
    const env = { RECALL_DB: db, RECALL_NOW: '2026-06-01T09:00:00Z' };
    const imp = spawnSync(process.execPath, [BIN, 'import', ...files], { env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(imp.status, imp.stderr).toBe(0);

    // A card whose stored text was never cleaned (an older import path, a hand-edited database): the display
    // is the last line of defence. It carries a carriage return meant to overwrite "secret" with "public".
    const conn = new Database(db);
    const deckId = conn.prepare("SELECT id FROM decks WHERE name = 'Injection'").pluck().get() as number;
    const content = JSON.stringify({ type: 'basic', front: `raw-card secret-text\rpublic ${PAYLOAD}`, back: `raw-back ${PAYLOAD}` });
    conn.prepare("INSERT INTO cards(deck_id, uid, note_uid, type, content, position, created_at, updated_at) VALUES (?, 'raw1', 'raw1', 'basic', ?, 99, 0, 0)").run(deckId, content);
    conn.close();

    const w = term.run('review', [process.execPath, BIN, 'review', '-d', 'Injection'], env);
    let answers = 0;
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await term.waitFor(w, (t) => /shows the answer|press 1-\d to answer|Study ahead or quit|Session summary/.test(t), { what: 'a card' });
      if (/Study ahead or quit|Session summary/.test(s)) break;
      seen.push(s);
      checkClean(s, `card ${i} question`);
      if (/press 1-\d to answer/.test(s)) {
        expect(s).toMatch(/pick w1 +w2/);
        term.keys(w, '1');
      } else term.keys(w, 'Space');
      const shown = await term.waitFor(w, /space\/Enter = Good|Enter accepts/, { what: 'the answer' });
      checkClean(shown, `card ${i} answer`);
      seen.push(shown);
      term.keys(w, '3');
      answers++;
      await term.waitFor(w, (t) => t !== shown, { what: 'the next screen' });
    }
    const all = seen.join('\n');
    expect(seen.length).toBe(8);
    expect(all).toMatch(/answer w1 +w2/);
    expect(all).toMatch(/why w1 +w2/);
    expect(all).toMatch(/src w1 +w2/);
    expect(all).toMatch(/raw-card secret-text\npublic w1/);
    expect(all).toMatch(/deck name card/);
    expect(all).toMatch(/Injection::evilname/);
    // Learning cards come back within the session; whatever is next, the last answer's line did nothing either.
    const end = await term.waitFor(w, /shows the answer|press 1-\d to answer|Study ahead or quit|Session summary/, { what: 'the next screen' });
    checkClean(end, 'after the last answer');
    if (!/Session summary/.test(end)) term.keys(w, 'q');
    expect(await term.waitExit(w), term.history(w)).toBe(0);
    checkClean(term.screen(w), 'after the session', false);

    function checkClean(screen: string, where: string, countAnswers = true) {
      expect(term.title(w), `${where}: the window title was changed`).not.toMatch(/PWNED/);
      expect(buffers(), `${where}: the clipboard was written`).toBe('');
      expect(term.info(w, '#{window_bell_flag}'), `${where}: a bell rang`).toBe('0');
      // Not cleared: the line of every answer so far is still on the screen, and a card's header and rule are
      // still above its text.
      if (countAnswers) expect(screen.split('\n').filter((l) => / (Again|Hard|Good|Easy) → \S+$/.test(l)).length, `${where}: the screen was cleared`).toBe(answers);
      if (/w1/.test(screen)) expect(screen, `${where}: the screen was cleared`).toMatch(/^Injection(::evilnamex)? .*\n─+\n/m);
      expect(screen).not.toContain(RLO);
      // The cursor never moved into the middle of the text: the words stay together, in order, on one line.
      for (const line of screen.split('\n')) {
        if (/w1/.test(line)) expect(line, `${where}: text was moved or overwritten`).toMatch(WORDS);
      }
    }
  }, 90_000);
});
