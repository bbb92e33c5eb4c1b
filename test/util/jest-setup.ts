/**
 * Jest setup (setupFilesAfterEnv): every CloudFormation template that a test synthesizes is validated by two
 * independent validators, and a violation fails the synthesis (so the test) with the stack, resource, property path
 * and reason.
 *
 * 1. CloudFormation Validate (`@aws/cloudformation-validate`, AWS's offline validator with the bundled CloudFormation
 *    registry provider schemas of ~1,770 resource types, shipped inside aws-cdk-lib 2.270). aws-cdk-lib already runs it
 *    on every synthesis but downgrades its errors to warnings; the feature flag
 *    `@aws-cdk/core:validateAgainstDefaultRules` (set here through CDK_CONTEXT_JSON, which every App reads) makes them
 *    errors. It checks names, types, required properties, patterns, enumerations and lengths.
 * 2. `validateTemplate` (./cfn-schema.ts) over the `@aws-cdk/aws-service-spec` database: property names, required
 *    properties, types, nested types, plus what (1) leaves out: unknown resource types, `Ref`/`Fn::GetAtt`/`Fn::Sub`
 *    targets and GetAtt attribute names, DependsOn targets, resource attribute keys. It runs after each
 *    `Stage.synth()` (the call behind `app.synth()` and `Template.fromStack()`), over every stack of the cloud
 *    assembly, nested stages and nested-stack templates included.
 *
 * Escape hatch for a test that synthesizes an invalid template on purpose: `withoutSchemaValidation(() => ...)` switches
 * both validators off for the synthesis it wraps (the App must be synthesized inside the callback).
 *
 * With CFN_LINT_TEMPLATES set (the test task sets it), the validated templates are also collected for a third
 * validator, cfn-lint, which scripts/cfn-lint.ts runs after jest.
 *
 * One CloudFormation Validate rule is acknowledged on every stack: F0001 "Resources section must exist and be
 * non-empty", because tests legitimately synthesize stacks that only import resources.
 */
import { createHash } from 'crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join, relative } from 'path';
import { Stack, Stage, Validations } from 'aws-cdk-lib';
import { assertValidTemplate, nestedTemplateFiles } from './cfn-schema';

const FLAG = '@aws-cdk/core:validateAgainstDefaultRules';
const PATCHED = Symbol.for('cdk-imagebuilder-distribution.cfn-schema.patched');

let disabled = 0;
const validated = new WeakSet<object>();

/** Runs `fn` with both validators switched off (CDK_VALIDATION=false and the service-spec hook). */
export function withoutSchemaValidation<T>(fn: () => T): T {
  disabled++;
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    return fn();
  } finally {
    disabled--;
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
}

/** Validates every template of a cloud assembly (stacks, nested assemblies, nested-stack templates). */
export function validateAssembly(assembly: any): void {
  const errors: string[] = [];
  for (const stack of assembly.stacksRecursively) {
    try {
      assertValidTemplate(stack.template, `stack ${stack.hierarchicalId ?? stack.stackName}`);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const dirs = new Set<string>([assembly.directory]);
  for (const file of nestedTemplateFiles(assembly.directory)) {
    if (dirs.has(file)) continue;
    try {
      assertValidTemplate(JSON.parse(readFileSync(file, 'utf-8')), `nested stack template ${file}`);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length > 0) throw new Error(errors.join('\n'));
}

/**
 * With CFN_LINT_TEMPLATES set (the test task sets it), every validated template with resources is also written to that
 * directory, once per distinct content, for scripts/cfn-lint.ts to lint after the jest run: a third validator that
 * needs a Python process, too slow to start per synthesis. `<hash>.origin` names the first test that synthesized it.
 */
function collectForCfnLint(assembly: any): void {
  const dir = process.env.CFN_LINT_TEMPLATES;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const templates: Array<[any, string]> = assembly.stacksRecursively
    .map((stack: any) => [stack.template, `stack ${stack.hierarchicalId ?? stack.stackName}`]);
  for (const file of nestedTemplateFiles(assembly.directory)) {
    templates.push([JSON.parse(readFileSync(file, 'utf-8')), `nested stack ${relative(assembly.directory, file)}`]);
  }
  for (const [template, label] of templates) {
    if (Object.keys(template?.Resources ?? {}).length === 0) continue;
    const body = JSON.stringify(template, undefined, 1);
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 32);
    const file = join(dir, `${hash}.json`);
    if (existsSync(file)) continue;
    const state = expect.getState();
    writeFileSync(`${file}.origin`, `${relative(process.cwd(), state.testPath ?? '')} > ${state.currentTestName ?? '(outside a test)'} > ${label}\n`);
    writeFileSync(file, body);
  }
}

function enableCdkValidateErrors(): void {
  let ctx: Record<string, unknown> = {};
  try {
    ctx = process.env.CDK_CONTEXT_JSON ? JSON.parse(process.env.CDK_CONTEXT_JSON) : {};
  } catch {
    ctx = {};
  }
  if (ctx[FLAG] === undefined) ctx[FLAG] = true;
  process.env.CDK_CONTEXT_JSON = JSON.stringify(ctx);
}

function patchStageSynth(): void {
  const proto = Stage.prototype as any;
  if (proto[PATCHED]) return;
  const original = proto.synth;
  proto.synth = function synthWithSchemaValidation(this: Stage, ...args: unknown[]) {
    for (const c of this.node.findAll()) {
      if (Stack.isStack(c) && !(c as any)[PATCHED]) {
        Validations.of(c).acknowledge({ id: 'CloudFormation-Validate::F0001', reason: 'tests synthesize stacks that only import resources' });
        (c as any)[PATCHED] = true;
      }
    }
    const assembly = original.apply(this, args);
    if (disabled === 0 && assembly && !validated.has(assembly)) {
      validateAssembly(assembly);
      validated.add(assembly);
      collectForCfnLint(assembly);
    }
    return assembly;
  };
  proto[PATCHED] = true;
}

enableCdkValidateErrors();
patchStageSynth();

// The AWS SDK warns on every Node.js before 22 that later SDK versions will need 22; the handler runs on Node.js 22 in
// Lambda, and this warning in a passing test run only looks like a failure. Child processes of tests inherit this.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
