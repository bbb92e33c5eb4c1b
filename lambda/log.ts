// The handler's one logger. Every line goes to the Lambda's log (CloudWatch Logs) unless the handler was given
// another (HandlerOptions.log: tests capture and assert the lines instead of printing them).
import { inspect } from 'util';

export type LogLevel = 'info' | 'warn' | 'error';

/** One log line; `info` unless a level is given. */
export type Log = (message: string, level?: LogLevel) => void;

/** The Lambda's console: info to stdout (where CloudWatch's embedded metric lines must go), warnings and errors to stderr. */
export const consoleLog: Log = (message, level = 'info') => {
  if (level === 'info') console.log(message);
  else if (level === 'warn') console.warn(message);
  else console.error(message);
};

/** `err` in full, its stack and cause included, for a log line. */
export function errorDetail(err: unknown): string {
  return inspect(err, { depth: 4 });
}

/** The log of a handler's options: the Lambda's console unless a test gave its own. */
export function logOf(options: { readonly log?: Log }): Log {
  return options.log ?? consoleLog;
}
