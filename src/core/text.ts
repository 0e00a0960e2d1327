/**
 * Makes text from decks and imports inert on a terminal: removes escape sequences (CSI, OSC, DCS, ...), every
 * other C0/C1 control except newline and tab, and Unicode bidi overrides that could disguise what is shown.
 * Carriage returns are dropped so a line cannot be overwritten.
 */
export function sanitize(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g, '') // OSC ... BEL/ST
    .replace(/\u001b[P^_X][^\u001b]*(?:\u001b\\)?/g, '') // DCS, PM, APC, SOS
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]?/g, '') // CSI
    .replace(/\u009b[0-?]*[ -/]*[@-~]?/g, '') // 8-bit CSI
    .replace(/\u001b[\s\S]?/g, '') // any other ESC sequence
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '')
    .replace(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g, '');
}
