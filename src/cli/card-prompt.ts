// The interactive card: question, answer input for auto-graded types, reveal, and the four grade buttons.
// Built on @inquirer/core so key handling, Ctrl-C and screen redraws behave like every other prompt.
import { createPrompt, isBackspaceKey, isEnterKey, isSpaceKey, useEffect, useKeypress, useRef, useState } from '@inquirer/core';
import { performance } from 'node:perf_hooks';
import { sanitize } from '../core/text.js';
import { GRADE_NAMES, GRADES, type CardContent, type CardExtras, type Grade } from '../core/types.js';
import { gradeAnswer, type GradeResult, type QuizAnswer } from '../quiz/grade.js';
import { answerText, isSelfGraded, presentCard, type Presentation } from '../quiz/present.js';
import { styler } from './io.js';

export interface CardPromptConfig {
  content: CardContent & CardExtras;
  deckName: string;
  counts?: { new: number; learning: number; review: number };
  bucket?: 'new' | 'learning' | 'review';
  /** Next interval per grade, shown on the buttons; null when the answer does not schedule (quiz). */
  intervals: Record<Grade, string> | null;
  seed: number;
  typicalMs: number | null;
  canUndo: boolean;
  color: boolean;
  columns: number;
  /** e.g. "Question 3 of 20" in a quiz. */
  title?: string;
  /** Quiz mode: no bury/suspend. */
  quiz?: boolean;
  /** `p`: plays the card's sounds; returns the line to show. Only for cards with sound. */
  onPlay?: () => string;
}

/**
 * What the learner did. `ack` is the line that confirms it on screen; the caller prints it only after the action is
 * committed, so nothing the screen calls done can be lost to a crash.
 */
export type CardAction = (
  | { kind: 'grade'; grade: Grade; durationMs: number; answer?: QuizAnswer; result?: GradeResult }
  | { kind: 'undo' }
  | { kind: 'bury' }
  | { kind: 'suspend' }
  | { kind: 'quit' }
  | { kind: 'cancel' }
) & { ack?: string };

/** Answers longer than this are counted as this long, as Anki does, so a break does not skew statistics. */
const MAX_ANSWER_MS = 60_000;

type Phase = 'ask' | 'shown';


function wrap(text: string, width: number, indent = ''): string {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/ +/)) {
      if (line && (line + ' ' + word).length > width - indent.length) {
        out.push(indent + line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(indent + line);
  }
  return out.join('\n');
}

/**
 * Keys typed ahead: pressed after one card was answered but before the next one listens (a fast "space 3 space 3").
 * They are kept here and replayed into the next card, so no keystroke is lost between prompts.
 */
let typedAhead: { sequence?: string; name: string; ctrl: boolean }[] = [];

const cardPromptImpl = createPrompt<CardAction, CardPromptConfig>((config, done) => {
  const st = styler(config.color);
  const width = Math.max(40, Math.min(config.columns, 100));
  const presentation = useRef(presentCard(config.content, config.seed)).current;
  const started = useRef(performance.now());
  const answeredAt = useRef<number | null>(null);
  const [phase, setPhase] = useState<Phase>('ask');
  const [typed, setTyped] = useState('');
  const [selected, setSelected] = useState<number[]>([]);
  const [picks, setPicks] = useState<string[]>([]);
  const [result, setResult] = useState<GradeResult | null>(null);
  const [answer, setAnswer] = useState<QuizAnswer | null>(null);
  const [message, setMessage] = useState('');
  const [status, setStatus] = useState<'idle' | 'done'>('idle');

  const elapsed = () => Math.min(MAX_ANSWER_MS, Math.round((answeredAt.current ?? performance.now()) - started.current));

  const finish = (action: CardAction, line: string) => {
    setStatus('done');
    done({ ...action, ack: line });
  };

  const submit = (a: QuizAnswer) => {
    answeredAt.current = performance.now();
    const r = gradeAnswer(config.content, a, { durationMs: elapsed(), typicalMs: config.typicalMs });
    setAnswer(a);
    setResult(r);
    setPhase('shown');
  };

  const reveal = () => {
    answeredAt.current = performance.now();
    setPhase('shown');
  };

  const grade = (g: Grade) => {
    finish(
      { kind: 'grade', grade: g, durationMs: elapsed(), ...(answer ? { answer } : {}), ...(result ? { result } : {}) },
      `${st.dim(sanitize(config.deckName))} ${GRADE_NAMES[g]}${config.intervals ? ` → ${config.intervals[g]}` : ''}`,
    );
  };

  const command = (name: string): boolean => {
    if (name === 'q') {
      finish({ kind: 'quit' }, st.dim('Quit.'));
      return true;
    }
    if (name === 'u') {
      if (config.canUndo) finish({ kind: 'undo' }, st.dim('Undo.'));
      else setMessage('Nothing to undo yet.');
      return true;
    }
    if (!config.quiz && name === 'b') {
      finish({ kind: 'bury' }, st.dim('Buried until tomorrow.'));
      return true;
    }
    if (!config.quiz && name === 's') {
      finish({ kind: 'suspend' }, st.dim('Suspended.'));
      return true;
    }
    if (name === 'p' && config.onPlay) {
      setMessage(config.onPlay());
      return true;
    }
    return false;
  };

  useKeypress((key, rl) => {
    if (status === 'done') {
      typedAhead.push(key as (typeof typedAhead)[number]);
      return;
    }
    setMessage('');
    const p = presentation;
    if (phase === 'ask' && p.type === 'typed') {
      if (isEnterKey(key)) {
        // readline has already consumed the line by the time Enter arrives; the state holds what was typed.
        rl.clearLine(0);
        submit({ type: 'typed', text: typed });
      } else setTyped(rl.line);
      return;
    }
    rl.clearLine(0);
    const name = key.name;
    if (phase === 'shown') {
      if (/^[1-4]$/.test(name)) return grade(Number(name) as Grade);
      if (isEnterKey(key) || isSpaceKey(key)) return grade(result ? result.suggested : 3);
      if (command(name)) return;
      setMessage(result ? 'Enter accepts the suggestion; 1-4 picks another rating.' : 'Press 1-4 to grade, or space for Good.');
      return;
    }
    // phase 'ask'
    switch (p.type) {
      case 'basic':
      case 'reversed':
      case 'cloze':
        if (isEnterKey(key) || isSpaceKey(key)) return reveal();
        break;
      case 'choice': {
        const n = Number(name);
        if (/^[1-9]$/.test(name) && n <= p.options.length) return submit({ type: 'choice', index: p.options[n - 1]!.originalIndex });
        break;
      }
      case 'multi': {
        const n = Number(name);
        if (/^[1-9]$/.test(name) && n <= p.options.length) {
          const idx = p.options[n - 1]!.originalIndex;
          setSelected(selected.includes(idx) ? selected.filter((i) => i !== idx) : [...selected, idx]);
          return;
        }
        if (isEnterKey(key)) return submit({ type: 'multi', indices: [...selected].sort((a, b) => a - b) });
        break;
      }
      case 'truefalse':
        if (name === 't' || name === '1') return submit({ type: 'truefalse', value: true });
        if (name === 'f' || name === '2') return submit({ type: 'truefalse', value: false });
        break;
      case 'classify': {
        const n = Number(name);
        if (/^[1-9]$/.test(name) && n <= p.categories.length) {
          const next = [...picks, p.categories[n - 1]!];
          if (next.length === p.items.length) {
            // Picks were made in shown order; grading wants them in the card's original item order.
            const ordered: string[] = new Array(p.items.length);
            p.items.forEach((item, i) => (ordered[item.originalIndex] = next[i]!));
            setPicks(next);
            return submit({ type: 'classify', picks: ordered });
          }
          setPicks(next);
          return;
        }
        if (isBackspaceKey(key)) {
          setPicks(picks.slice(0, -1));
          return;
        }
        break;
      }
    }
    if (command(name)) return;
    setMessage(askHint(p));
  });

  // After useKeypress, so its listener is attached when the keys typed ahead are replayed.
  useEffect((rl) => {
    const keys = typedAhead;
    typedAhead = [];
    // Emitted on the input, as the terminal would: readline updates its line and this prompt's handler runs. One
    // per turn of the event loop, so each key sees the state the previous one left.
    const replay = (i: number) => {
      const k = keys[i];
      if (!k) return;
      rl.input.emit('keypress', k.sequence ?? '', k);
      setImmediate(() => replay(i + 1));
    };
    replay(0);
  }, []);

  // Nothing is drawn on completion: the caller prints the acknowledgement once the answer is committed.
  if (status === 'done') return '';

  const p = presentation;
  const c = config.content;
  const lines: string[] = [];
  const counts = config.counts;
  const countText = counts
    ? `${st.blue(String(counts.new))} new · ${st.red(String(counts.learning))} learning · ${st.green(String(counts.review))} review`
    : '';
  const head = config.title ? `${sanitize(config.deckName)} · ${config.title}` : sanitize(config.deckName);
  lines.push(`${st.bold(head)}${countText ? `   ${countText}` : ''}`);
  lines.push(st.dim('─'.repeat(Math.min(width, 60))));
  lines.push(wrap(sanitize(p.prompt), width));

  if (p.type === 'choice' || p.type === 'multi') {
    lines.push('');
    p.options.forEach((o, i) => {
      const mark =
        p.type === 'multi' ? (selected.includes(o.originalIndex) ? '[x]' : '[ ]') : phase === 'shown' && answer?.type === 'choice' && answer.index === o.originalIndex ? '(•)' : '( )';
      let text = `${i + 1}. ${mark} ${sanitize(o.text)}`;
      if (phase === 'shown') {
        const correct = (c as { options: { correct: boolean }[] }).options[o.originalIndex]!.correct;
        text = correct ? st.green(`${text}  ✓`) : text;
      }
      lines.push(wrap(text, width, '  ').replace(/^ {2}/, '  '));
    });
  }
  if (p.type === 'classify') {
    lines.push('');
    lines.push(`  ${p.categories.map((cat, i) => `${st.bold(String(i + 1))} ${sanitize(cat)}`).join('   ')}`);
    p.items.forEach((item, i) => {
      const pick = picks[i];
      const current = phase === 'ask' && i === picks.length;
      let text = `${current ? '›' : ' '} ${sanitize(item.text)}${pick ? `  → ${sanitize(pick)}` : ''}`;
      if (phase === 'shown' && c.type === 'classify') {
        const right = c.items[item.originalIndex]!.category;
        text += pick === right ? st.green('  ✓') : st.red(`  ✗ ${sanitize(right)}`);
      }
      lines.push(current ? st.bold(text) : text);
    });
  }
  if (p.type === 'typed' && phase === 'ask') {
    lines.push('');
    lines.push(`${st.cyan('›')} ${sanitize(typed)}`);
  }

  if (phase === 'shown') {
    lines.push(st.dim('─'.repeat(Math.min(width, 60))));
    if (result) {
      const colour = result.outcome === 'correct' ? st.green : result.outcome === 'wrong' ? st.red : st.yellow;
      lines.push(colour(wrap(sanitize(result.detail), width)));
      if (p.type !== 'classify' && p.type !== 'choice' && p.type !== 'multi') lines.push(`${st.bold('Answer:')} ${wrap(sanitize(result.correctAnswer), width)}`);
    } else {
      lines.push(wrap(sanitize(isSelfGraded(p) ? p.answer : answerText(c)), width));
    }
    if (c.explanation) lines.push('', st.dim(wrap(sanitize(c.explanation), width)));
    if (c.source) lines.push(st.dim(`Source: ${sanitize(c.source)}`));
    lines.push('');
    lines.push(
      GRADES.map((g) => {
        const label = `${g} ${GRADE_NAMES[g]}${config.intervals ? ` ${config.intervals[g]}` : ''}`;
        return result && result.suggested === g ? st.inverse(label) : label;
      }).join('   '),
    );
    lines.push(st.dim(result ? `Enter accepts ${GRADE_NAMES[result.suggested]} · ${commandsHint(config)}` : `space/Enter = Good · ${commandsHint(config)}`));
  } else {
    lines.push('');
    lines.push(st.dim(askHint(p) + (p.type === 'typed' ? '' : ` · ${commandsHint(config)}`)));
  }
  if (message) lines.push(st.yellow(sanitize(message)));
  return lines.join('\n');
});

function askHint(p: Presentation): string {
  switch (p.type) {
    case 'basic':
    case 'reversed':
    case 'cloze':
      return 'space/Enter shows the answer';
    case 'typed':
      return 'type your answer and press Enter (empty Enter shows the answer)';
    case 'choice':
      return `press 1-${p.options.length} to answer`;
    case 'multi':
      return `press 1-${p.options.length} to select, Enter to submit`;
    case 'truefalse':
      return 't = true, f = false';
    case 'classify':
      return `press 1-${p.categories.length} for each item, Backspace to go back`;
  }
}

function commandsHint(config: CardPromptConfig): string {
  const play = config.onPlay ? 'p play · ' : '';
  return config.quiz ? `${play}u undo · q quit` : `${play}u undo · b bury · s suspend · q quit`;
}

/** Shows one card and resolves with what the learner did. Ctrl-C resolves as `cancel`. */
export async function cardPrompt(config: CardPromptConfig): Promise<CardAction> {
  try {
    // The card is cleared when answered; the caller prints `ack` once the answer is safely stored.
    return await cardPromptImpl(config, { clearPromptOnDone: true });
  } catch (e) {
    if ((e as Error)?.name === 'ExitPromptError') return { kind: 'cancel' };
    throw e;
  }
}

interface ChoiceConfig {
  message: string;
  choices: { key: string; label: string }[];
}

const choicePromptImpl = createPrompt<string, ChoiceConfig>((config, done) => {
  const [value, setValue] = useState<string | null>(null);
  useKeypress((key, rl) => {
    rl.clearLine(0);
    const hit = config.choices.find((c) => c.key === key.name);
    if (hit) {
      setValue(hit.key);
      done(hit.key);
    }
  });
  const options = config.choices.map((c) => `${c.key} ${c.label}`).join(' · ');
  return value ? `${config.message} ${value}` : `${config.message} (${options})`;
});

/** A single-key choice; Ctrl-C resolves as `q`. */
export async function choicePrompt(config: ChoiceConfig): Promise<string> {
  try {
    return await choicePromptImpl(config);
  } catch (e) {
    if ((e as Error)?.name === 'ExitPromptError') return 'q';
    throw e;
  }
}

