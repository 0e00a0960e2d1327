// Leeches: cards that keep being forgotten. As in Anki, a card becomes a leech when its lapses reach the threshold,
// and again every half threshold after that (rounded up), so a suspended leech that is brought back and keeps
// failing is caught again. The leech is a tag on the card (its content changes by an `edit` event, undone with the
// answer that caused it); it stays until the card's text is changed, which is the usual cure.

export const LEECH_TAG = 'leech';

export function leechThresholdMet(lapses: number, threshold: number): boolean {
  if (threshold <= 0 || lapses < threshold) return false;
  const half = Math.max(1, Math.ceil(threshold / 2));
  return (lapses - threshold) % half === 0;
}

/** A stored card content (JSON) with a tag added, or null when it already has it. */
export function withTag(contentJson: string, tag: string): string | null {
  const content = JSON.parse(contentJson) as { tags?: string[] };
  if (content.tags?.includes(tag)) return null;
  return JSON.stringify({ ...content, tags: [...(content.tags ?? []), tag] });
}

/** The content (JSON) without recall's own tags, to tell whether a deck file changed the card itself. */
export function withoutTag(content: Record<string, unknown>, tag: string): Record<string, unknown> {
  const tags = Array.isArray(content.tags) ? (content.tags as unknown[]).filter((t) => t !== tag) : undefined;
  const out: Record<string, unknown> = { ...content };
  if (tags && tags.length) out.tags = tags;
  else delete out.tags;
  return out;
}
