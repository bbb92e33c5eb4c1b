/**
 * Every warning the library emits: found in src/, documented in the README, and acknowledged by the ID the CDK CLI
 * prints for it ("Acknowledge with 'Annotation::cdk-imagebuilder-distribution:...'"), through
 * `Annotations.acknowledgeWarning` and `Validations.acknowledge`, before or after the construct that warns.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Annotations as CoreAnnotations, App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { WARNING_TRIGGERS } from './util/warning-triggers';

const root = path.join(__dirname, '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory()
    ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}
const src = sources(path.join(root, 'src')).map((file) => fs.readFileSync(file, 'utf8')).join('\n');
/** The IDs given to any warning call in src/ (Annotations.addWarning(V2), Validations.addWarning). */
const EMITTED = [...new Set([...src.matchAll(/\.addWarning(?:V2)?\(\s*'([^']+)'/g)].map((m) => m[1]))].sort();

/** What the CLI prints after "Acknowledge with": the ID in the message's `[ack: ...]` tag, prefixed as the CLI does. */
function printedId(message: string): string {
  const ack = /\[ack: ([^\]]+)\]/.exec(message)?.[1];
  if (!ack) throw new Error(`no [ack: ...] tag in ${message}`);
  return ack.includes('::') ? ack.replace(/^(annotation|Construct-Annotations)::/, 'Annotation::') : `Annotation::${ack}`;
}

function warningsOf(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
}

function build(id: string, before?: (stack: Stack) => void, after?: (stack: Stack) => void): Stack {
  const stack = new Stack(new App(), 'Stack');
  before?.(stack);
  WARNING_TRIGGERS[id](stack);
  after?.(stack);
  return stack;
}

test('every warning ID in src/ has a trigger here, and the library emits none with addWarningV2', () => {
  expect(EMITTED.length).toBeGreaterThanOrEqual(6);
  expect(Object.keys(WARNING_TRIGGERS).sort()).toEqual(EMITTED);
  // addWarningV2 tags the bare ID, which the CLI prints as Annotation::<id> and acknowledgeWarning does not accept.
  expect(src).not.toMatch(/addWarningV2\(/);
});

test('every warning ID is documented in the README, with what it means', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const undocumented = EMITTED.filter((id) => !readme.includes(`| \`${id}\` |`));
  expect(undocumented).toEqual([]);
});

describe.each(Object.keys(WARNING_TRIGGERS))('%s', (id) => {
  test('is emitted once, on the construct it is about, with an ID the CLI prints as Annotation::<id>', () => {
    const stack = build(id);
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
    expect(warnings.map((w) => printedId(String(w.entry.data)))).toEqual([`Annotation::${id}`]);
    expect(warnings[0].id).toMatch(/^\/Stack\/Subject/);
  });

  test.each([
    ['Annotations.acknowledgeWarning, printed ID, after', undefined, (s: Stack) => CoreAnnotations.of(s).acknowledgeWarning(`Annotation::${id}`)],
    ['Annotations.acknowledgeWarning, printed ID, before (on the stack)', (s: Stack) => CoreAnnotations.of(s).acknowledgeWarning(`Annotation::${id}`), undefined],
    ['Validations.acknowledge, printed ID, after', undefined, (s: Stack) => Validations.of(s).acknowledge({ id: `Annotation::${id}`, reason: 'checked' })],
    ['Validations.acknowledge, bare ID, after', undefined, (s: Stack) => Validations.of(s).acknowledge({ id, reason: 'checked' })],
    ['Validations.acknowledge, bare ID, before (on the stack)', (s: Stack) => Validations.of(s).acknowledge({ id, reason: 'checked' }), undefined],
  ] as const)('is acknowledged by %s', (_name, before, after) => {
    expect(warningsOf(build(id, before, after))).toEqual([]);
  });

  test('acknowledging another ID leaves it', () => {
    const stack = build(id, undefined, (s) => CoreAnnotations.of(s).acknowledgeWarning('Annotation::cdk-imagebuilder-distribution:other'));
    expect(warningsOf(stack)).toHaveLength(1);
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
    const ids = [...printed.matchAll(/Acknowledge with '([^']+)'/g)].map((m) => m[1]).sort();
    expect(ids).toEqual(EMITTED.map((id) => `Annotation::${id}`));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
