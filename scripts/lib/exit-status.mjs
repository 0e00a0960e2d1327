// Runs a program on this terminal and records, in files, its pid and how it ended: tmux does not always learn a
// pane's exit status (seen with tmux 3.3 under load), and tests must know it.
// usage: node exit-status.mjs STATUS_FILE PID_FILE -- PROGRAM ARGS...
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';

const [statusFile, pidFile, dashes, cmd, ...args] = process.argv.slice(2);
if (dashes !== '--' || !cmd) {
  process.stderr.write('usage: exit-status.mjs STATUS_FILE PID_FILE -- PROGRAM ARGS...\n');
  process.exit(2);
}
const writeAtomic = (file, text) => {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
};
const child = spawn(cmd, args, { stdio: 'inherit' });
writeAtomic(pidFile, String(child.pid));
// The terminal's keys (Ctrl-C) reach the child directly; the wrapper only waits.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => {});
child.on('exit', (code, signal) => {
  writeAtomic(statusFile, JSON.stringify({ code, signal }));
  process.exit(code ?? 1);
});
