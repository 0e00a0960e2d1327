// Values read from an Anki file, checked one by one: a collection damaged by hand, by a buggy add-on or on purpose
// may hold any SQLite type in any column.
import type { Loose } from '../store/anki-reader.js';

/** A whole number that fits a JavaScript number exactly, else undefined. */
export function int(v: Loose | undefined): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
  if (typeof v === 'string' && /^-?\d{1,16}$/.test(v.trim())) return int(Number(v.trim()));
  return undefined;
}

/** A finite number (fractions allowed), else undefined. */
export function num(v: Loose | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return int(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}
