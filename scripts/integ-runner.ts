// Runs integ-runner with the given arguments and passes its output through, less one notice: "Test is taking a very
// long time", which integ-runner prints for every test still running after a fixed 60 s (a timer in its snapshot
// worker, not a finding). On a 2-core machine two snapshot checks at once take close to that, so a passing run
// printed it at random and it read like a failure. The exit code, and every other line, are integ-runner's.
import { spawn } from 'child_process';
import * as readline from 'readline';

const NOTICE = /Test is taking a very long time/;
// eslint-disable-next-line no-control-regex
const plain = (line: string) => line.replace(/\u001b\[[0-9;]*m/g, '');
/** The header integ-runner prints before the notice: `  WARN       <test> <seconds>s`. */
const WARN_HEADER = /^\s*WARN\s+\S+\s+[\d.]+s\s*$/;

function filter(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    let held: string | undefined;
    const lines = readline.createInterface({ input, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (NOTICE.test(plain(line))) {
        held = undefined;
        return;
      }
      if (held !== undefined) output.write(`${held}\n`);
      held = WARN_HEADER.test(plain(line)) ? line : undefined;
      if (held === undefined) output.write(`${line}\n`);
    });
    lines.on('close', () => {
      if (held !== undefined) output.write(`${held}\n`);
      resolve();
    });
  });
}

const child = spawn('integ-runner', process.argv.slice(2), { stdio: ['inherit', 'pipe', 'pipe'] });
const done = Promise.all([filter(child.stdout, process.stdout), filter(child.stderr, process.stderr)]);
child.on('close', (code, signal) => {
  void done.then(() => process.exit(code ?? (signal ? 1 : 0)));
});
