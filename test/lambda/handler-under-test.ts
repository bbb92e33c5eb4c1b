import type { HandlerOptions } from '../../lambda/handler-options';
import { entryPoints, EntryPoints } from '../../lambda/index';

/**
 * The handler's entry points (lambda/index.ts entryPoints) as a test drives them: with the test's seams
 * (HandlerOptions: backoff, IAM wait, deadline), and its log lines captured, so that tests assert them and a passing
 * run prints none.
 */
export class HandlerUnderTest {
  /** Every line the handler logged (any level) since the last `clearLog`. */
  readonly log: string[] = [];
  /** The seams of the current test; its own log is used unless these give one. */
  seams: HandlerOptions = {};

  readonly onEvent: EntryPoints['onEvent'] = (event, context) => entryPoints({ log: (line) => { this.log.push(line); }, ...this.seams }).onEvent(event, context);

  clearLog(): void {
    this.log.length = 0;
  }
}
