/**
 * Runs the rejection corpus (test/rejection-corpus.ts): every rejected input fails at synth with its rule's error (or
 * gets its rule's warning) naming the prop, and every valid control synthesizes without it. Also checks that every rule
 * of src/private/rules.ts has a case, and that docs/validation.md holds the table generated from the rules.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { DistributeImage, DistributeImageSource, DistributionConfiguration } from '../src';
import { caseStack, CORPUS, CorpusCase } from './rejection-corpus';
import { allRules, renderRuleTable, Rule, RULES, WARNING_ID_PREFIX } from '../src/private/rules';

/** The library's validation errors of a synth, as `<path>: <message>` lines; empty when the stack synthesized. */
function synthErrors(stack: Stack): string[] {
  try {
    Template.fromStack(stack);
    return [];
  } catch (e) {
    const message = (e as Error).message;
    if (!/Validation failed with the following errors/.test(message)) throw e;
    return message.split('\n').filter(l => /^\s*\[Corpus/.test(l)).map(l => l.replace(/^\s*\[[^\]]+\] /, ''));
  }
}

function ruleWarnings(stack: Stack, rule: string): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(`\\[ack: Annotation::${WARNING_ID_PREFIX}${rule}\\]`))
    .map(w => String(w.entry.data));
}

/** Checks that the invalid input is caught by the rule; returns what went wrong, or undefined. */
function checkInvalid(c: CorpusCase): string | undefined {
  const stack = caseStack(c);
  c.invalid(stack);
  const rule: Rule = RULES[c.rule];
  const errors = synthErrors(stack);
  if (rule.severity === 'error') {
    const hits = errors.filter(e => e.startsWith(c.path) && (rule.tagged === false || e.endsWith(`[rule ${rule.id}]`)));
    return hits.length > 0 ? undefined : `no ${rule.id} error at ${c.path}; errors: ${JSON.stringify(errors)}`;
  }
  if (errors.length > 0) return `the rule is a warning, but synth failed: ${JSON.stringify(errors)}`;
  const warnings = ruleWarnings(stack, rule.id);
  return warnings.some(w => w.startsWith(c.path)) ? undefined : `no ${rule.id} warning at ${c.path}; warnings: ${JSON.stringify(warnings)}`;
}

function checkValid(c: CorpusCase): string | undefined {
  const stack = caseStack(c);
  c.valid(stack);
  const errors = synthErrors(stack);
  if (errors.length > 0) return `the valid control fails: ${JSON.stringify(errors)}`;
  const warnings = ruleWarnings(stack, c.rule);
  return warnings.length > 0 ? `the valid control gets the ${c.rule} warning: ${JSON.stringify(warnings)}` : undefined;
}

describe('rejection corpus', () => {
  test.each(CORPUS.map(c => [`${c.construct}: ${c.name} [${c.rule}]`, c] as const))('%s: rejected', (_name, c) => {
    expect(checkInvalid(c)).toBeUndefined();
  });

  test.each(CORPUS.map(c => [`${c.construct}: ${c.name} [${c.rule}]`, c] as const))('%s: the valid control synthesizes', (_name, c) => {
    expect(checkValid(c)).toBeUndefined();
  });

  test('covers every rule and all four constructs with at least 40 cases, each with a source', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(40);
    const missing = allRules().filter(r => !CORPUS.some(c => c.rule === r.id)).map(r => r.id);
    expect(missing).toEqual([]);
    expect(new Set(CORPUS.map(c => c.construct))).toEqual(new Set([
      'DistributionConfiguration', 'InfrastructureConfiguration', 'DistributionConfigurationPatch', 'DistributeImage',
    ]));
    for (const c of CORPUS) {
      expect(c.source.length).toBeGreaterThan(10);
      expect(RULES[c.rule].constructs).toContain(c.construct);
    }
    expect(new Set(CORPUS.map(c => c.name)).size).toBe(CORPUS.length);
  });

  test('the check is not vacuous: a control passed as the rejected input fails it, and the reverse', () => {
    const c = CORPUS.find(x => x.rule === 'ssmOutputReservedName')!;
    expect(checkInvalid({ ...c, invalid: c.valid })).toMatch(/no ssmOutputReservedName error/);
    expect(checkValid({ ...c, valid: c.invalid })).toMatch(/the valid control fails/);
    const w = CORPUS.find(x => x.rule === 'roleTrustUnknown')!;
    expect(checkInvalid({ ...w, invalid: w.valid })).toMatch(/no roleTrustUnknown warning/);
    expect(checkValid({ ...w, valid: w.invalid })).toMatch(/gets the roleTrustUnknown warning/);
  });
});

describe('rules', () => {
  test('ids are unique and equal their keys; warnings and errors are reported only through their kind', () => {
    for (const [key, rule] of Object.entries(RULES)) expect(rule.id).toBe(key);
  });

  test('every warning the library emits names a warning rule (test/warnings.test.ts: warnRule is the only way)', () => {
    const src = path.join(__dirname, '..', 'src');
    const files = [...fs.readdirSync(src).map(f => path.join(src, f)), ...fs.readdirSync(path.join(src, 'private')).map(f => path.join(src, 'private', f))]
      .filter(f => f.endsWith('.ts'));
    const emitted = files.flatMap(f => [...fs.readFileSync(f, 'utf8').matchAll(/warnRule\([^,]+, RULES\.([A-Za-z]+)/g)].map(m => m[1]));
    expect(emitted.length).toBeGreaterThan(0);
    for (const id of emitted) expect((RULES as Record<string, { severity: string }>)[id]?.severity).toBe('warning');
  });

  test('docs/validation.md holds the table generated from the rules (UPDATE_RULE_TABLE=1 rewrites it)', () => {
    const file = path.join(__dirname, '..', 'docs', 'validation.md');
    const doc = fs.readFileSync(file, 'utf8');
    const start = '<!-- rules:start (generated from src/private/rules.ts) -->';
    const end = '<!-- rules:end -->';
    const expected = `${start}\n${renderRuleTable()}\n${end}`;
    const current = doc.slice(doc.indexOf(start), doc.indexOf(end) + end.length);
    if (process.env.UPDATE_RULE_TABLE === '1' && current !== expected) {
      fs.writeFileSync(file, doc.replace(current, expected));
      return;
    }
    expect(doc.indexOf(start)).toBeGreaterThanOrEqual(0);
    expect(current).toBe(expected);
  });
});

describe('issue 13: inputs synth used to get wrong', () => {
  const env = { account: '111111111111', region: 'us-east-1' };

  test('a parameter imported by ARN is sent by its ARN, not by the last segment of its name', () => {
    const stack = new Stack(new App(), 'Corpus', { env });
    const arn = 'arn:aws:ssm:us-east-1:222222222222:parameter/golden/linux/ami';
    // aws-cdk-lib's import adds an unused SSM-typed template parameter (CloudFormation Validate W2001): expected here.
    Validations.of(stack).acknowledge({ id: 'CloudFormation-Validate::W2001', reason: 'the import under test' });
    const parameter = ssm.StringParameter.fromStringParameterArn(stack, 'P', arn);
    expect(parameter.parameterName).toBe('ami');
    const source = DistributeImageSource.fromSsmParameter(parameter);
    expect(source.sourceImage).toBe(`ssm:${arn}`);
    new DistributeImage(stack, 'D', {
      source,
      distributionConfiguration: new DistributionConfiguration(stack, 'C', { amiDistributions: [{ amiName: 'golden-{{ imagebuilder:buildDate }}' }] }),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::ImageBuilderDistributeImage', { SourceImage: `ssm:${arn}` });
  });

  test('a parameter ARN given by name is sent as it is, and the handler may read exactly that parameter', () => {
    const stack = new Stack(new App(), 'Corpus', { env });
    const arn = 'arn:aws:ssm:us-east-1:222222222222:parameter/golden/linux/ami';
    new DistributeImage(stack, 'D', {
      source: DistributeImageSource.fromSsmParameterName(arn),
      distributionConfiguration: new DistributionConfiguration(stack, 'C', { amiDistributions: [{ amiName: 'golden-{{ imagebuilder:buildDate }}' }] }),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::ImageBuilderDistributeImage', { SourceImage: `ssm:${arn}` });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'ssm:GetParameter', Resource: arn })]) },
    });
  });
});
