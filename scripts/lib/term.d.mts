export declare const ROOT: string;
export declare function recallBin(): string;
export declare function shellCommand(argv: string[], env?: Record<string, string>): string;
export declare class Term {
  constructor(name?: string, size?: { cols?: number; rows?: number });
  socket: string;
  cols: number;
  rows: number;
  tmux(...args: string[]): string;
  run(win: string, argv: string[], env?: Record<string, string>): string;
  screen(t: string): string;
  history(t: string): string;
  title(t: string): string;
  info(t: string, fmt: string): string;
  pid(t: string): number;
  dead(t: string): boolean;
  exitStatus(t: string): number | null;
  keys(t: string, ...keys: string[]): void;
  type(t: string, text: string): void;
  waitFor(t: string, cond: string | RegExp | ((s: string) => boolean), opts?: { timeout?: number; history?: boolean; what?: string }): Promise<string>;
  waitExit(t: string, timeout?: number): Promise<number | null>;
  close(): void;
}
