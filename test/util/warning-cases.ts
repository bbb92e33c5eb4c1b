/**
 * Every warning of the library (the warning rules of src/private/rules.ts), each with the first rejection-corpus case
 * that makes it. Shared by test/warnings.test.ts (in-process) and test/util/warnings-app.ts (through the real CDK CLI).
 */
import { allRules, WARNING_ID_PREFIX } from '../../src/private/rules';
import { CORPUS, CorpusCase } from '../rejection-corpus';

/** Every warning ID, with the corpus case that makes it. */
export const WARNINGS: ReadonlyArray<[string, CorpusCase]> = allRules().filter((r) => r.severity === 'warning').map((r) => {
  const c = CORPUS.find((k) => k.rule === r.id);
  if (!c) throw new Error(`warning rule ${r.id} has no case in the rejection corpus`);
  return [`${WARNING_ID_PREFIX}${r.id}`, c];
});
