/**
 * Every warning the library emits is a warning rule of src/private/rules.ts, emitted through warnRule only; each is
 * documented in the README and in docs/validation.md, and acknowledged by the ID the CDK CLI prints for it
 * ("Acknowledge with 'Annotation::cdk-imagebuilder-distribution:...'"), through `Annotations.acknowledgeWarning` and
 * `Validations.acknowledge`, before or after the construct that warns. The input that makes each warning is the
 * rule's first case in the rejection corpus (test/rejection-corpus.ts).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Annotations as CoreAnnotations, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { caseStack, CorpusCase } from './rejection-corpus';
import { WARNINGS } from './util/warning-cases';
import { WARNING_ID_PREFIX } from '../src/private/rules';

const root = path.join(__dirname, '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory()
    ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}
const srcFiles = sources(path.join(root, 'src'));

const IDS = WARNINGS.map(([id]) => id).sort();

/** What the CLI prints after "Acknowledge with": the ID in the message's `[ack: ...]` tag, prefixed as the CLI does. */
function printedId(message: string): string {
  const ack = /\[ack: ([^\]]+)\]/.exec(message)?.[1];
  if (!ack) throw new Error(`no [ack: ...] tag in ${message}`);
  return ack.includes('::') ? ack.replace(/^(annotation|Construct-Annotations)::/, 'Annotation::') : `Annotation::${ack}`;
}

/** The warnings of `id` left in the stack. */
function warningsOf(stack: Stack, id: string): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data))
    .filter((m) => m.includes(`${id}]`));
}

function build(c: CorpusCase, before?: (stack: Stack) => void, after?: (stack: Stack) => void): Stack {
  const stack = caseStack(c);
  before?.(stack);
  c.invalid(stack);
  after?.(stack);
  return stack;
}

test('warnings are emitted only through warnRule (one ID scheme, acknowledgeable as the CLI prints it)', () => {
  expect(IDS.length).toBeGreaterThanOrEqual(6);
  const direct = srcFiles.filter((f) => !f.endsWith(path.join('private', 'rules.ts')))
    .filter((f) => /\.addWarning(V2)?\(/.test(fs.readFileSync(f, 'utf8')));
  expect(direct).toEqual([]);
  // addWarningV2 tags the bare ID, which the CLI prints as Annotation::<id> and acknowledgeWarning does not accept.
  expect(fs.readFileSync(path.join(root, 'src', 'private', 'rules.ts'), 'utf8')).not.toMatch(/addWarningV2\(/);
});

test('every warning ID is documented in the README, with what it means and what to do, and in docs/validation.md', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const rulesTable = fs.readFileSync(path.join(root, 'docs', 'validation.md'), 'utf8');
  expect(IDS.filter((id) => !readme.includes(`| \`${id}\` |`))).toEqual([]);
  expect(IDS.filter((id) => !rulesTable.includes(`| \`${id.slice(WARNING_ID_PREFIX.length)}\` | warning`))).toEqual([]);
});

describe.each(WARNINGS)('%s', (id, c) => {
  test('is emitted on the construct it is about, with an ID the CLI prints as Annotation::<id>', () => {
    const warnings = warningsOf(build(c), id);
    expect(warnings.length).toBeGreaterThan(0);
    expect([...new Set(warnings.map(printedId))]).toEqual([`Annotation::${id}`]);
  });

  test.each([
    ['Annotations.acknowledgeWarning, printed ID, after', undefined, (s: Stack) => CoreAnnotations.of(s).acknowledgeWarning(`Annotation::${id}`)],
    ['Annotations.acknowledgeWarning, printed ID, before (on the stack)', (s: Stack) => CoreAnnotations.of(s).acknowledgeWarning(`Annotation::${id}`), undefined],
    ['Validations.acknowledge, printed ID, after', undefined, (s: Stack) => Validations.of(s).acknowledge({ id: `Annotation::${id}`, reason: 'checked' })],
    ['Validations.acknowledge, bare ID, after', undefined, (s: Stack) => Validations.of(s).acknowledge({ id, reason: 'checked' })],
    ['Validations.acknowledge, bare ID, before (on the stack)', (s: Stack) => Validations.of(s).acknowledge({ id, reason: 'checked' }), undefined],
  ] as const)('is acknowledged by %s', (_name, before, after) => {
    expect(warningsOf(build(c, before, after), id)).toEqual([]);
  });

  test('acknowledging another ID leaves it', () => {
    const stack = build(c, undefined, (s) => CoreAnnotations.of(s).acknowledgeWarning('Annotation::cdk-imagebuilder-distribution:other'));
    expect(warningsOf(stack, id).length).toBeGreaterThan(0);
  });
});

test('the real CDK CLI prints exactly these acknowledgement IDs', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'warnings-'));
  try {
    const app = `${path.join(root, 'node_modules', '.bin', 'ts-node')} --project ${path.join(root, 'test', 'tsconfig.json')}`
      + ` --transpile-only ${path.join(root, 'test', 'util', 'warnings-app.ts')}`;
    // The CLI prints warnings on stderr; 2>&1 keeps the order of the lines.
    const printed = execFileSync('bash', ['-c', '"$CDK" synth --app "$APP" --output "$OUT" --no-notices --quiet 2>&1'], {
      cwd: out,
      env: { ...process.env, CDK: path.join(root, 'node_modules', '.bin', 'cdk'), APP: app, OUT: out, FORCE_COLOR: '0', CI: 'true' },
      encoding: 'utf8',
    });
    const ids = [...printed.matchAll(/Acknowledge with '([^']+)'/g)].map((m) => m[1]).filter((id) => id.startsWith(`Annotation::${WARNING_ID_PREFIX}`));
    expect([...new Set(ids)].sort()).toEqual(IDS.map((id) => `Annotation::${id}`));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
