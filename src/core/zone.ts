const HOUR = 3_600_000;

/**
 * Zones whose offset never changes: UTC and its aliases, and the Etc/GMT±N zones an Anki package's offset maps to.
 * Their offset is arithmetic, so they never touch Intl, whose first use costs 35-40 ms: most of a cold `recall decks`.
 */
const FIXED_ZONE = /^(?:UTC|UCT|GMT|Etc\/(?:UTC|UCT|GMT|Universal|Zulu|Greenwich|GMT0|GMT([+-])(\d{1,2})))$/;

/** The offset from UTC of a fixed zone in ms, or null when `timeZone` is not one (or names no real Etc/GMT zone). */
export function fixedZoneOffset(timeZone: string): number | null {
  const m = FIXED_ZONE.exec(timeZone);
  if (!m) return null;
  if (m[1] === undefined) return 0;
  const hours = Number(m[2]);
  // POSIX signs: Etc/GMT+5 is five hours *behind* Greenwich. The zones run from Etc/GMT-14 to Etc/GMT+12.
  if (m[1] === '+' ? hours > 12 : hours > 14) return null;
  return hours === 0 ? 0 : (m[1] === '+' ? -hours : hours) * HOUR;
}

/** Named zones known to be valid without asking Intl: a table of their offsets is in use (src/scheduler/day.ts). */
const knownZones = new Set<string>();

export function markZoneKnown(timeZone: string): void {
  knownZones.add(timeZone);
}

export function isKnownZone(timeZone: string): boolean {
  return knownZones.has(timeZone);
}
