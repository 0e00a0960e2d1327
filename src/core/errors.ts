/** The one error type users see. `exitCode` follows the CLI contract: 1 failure, 2 usage. */
export class RecallError extends Error {
  readonly code: string;
  readonly file?: string;
  readonly line?: number;
  /** 1-based column within the line (or the query), when the error knows it. */
  readonly column?: number;
  readonly hint?: string;
  readonly exitCode: 1 | 2;
  constructor(code: string, message: string, opts: { file?: string; line?: number; column?: number; hint?: string; exitCode?: 1 | 2 } = {}) {
    super(message);
    this.name = 'RecallError';
    this.code = code;
    this.file = opts.file;
    this.line = opts.line;
    this.column = opts.column;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 1;
  }
  /** `file:line: message` then the hint on its own line, as printed to the terminal. */
  format(): string {
    const where = this.file ? `${this.file}${this.line ? `:${this.line}` : ''}: ` : '';
    return `${where}${this.message}${this.hint ? `\n  hint: ${this.hint}` : ''}`;
  }
}

/** A problem found in a file, with its location; collected rather than thrown so all are reported at once. */
export interface Diagnostic {
  file: string;
  line: number;
  message: string;
  hint?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}${d.line ? `:${d.line}` : ''}: ${d.message}${d.hint ? `\n  hint: ${d.hint}` : ''}`;
}
