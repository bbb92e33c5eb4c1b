/**
 * Property-based tests: generated DistributionConfiguration and InfrastructureConfiguration props, valid and invalid.
 * Every input either synthesizes a template that passes the CloudFormation schema validation (the jest setup runs it on
 * every synthesis; it is also called here explicitly), or fails at synth with the library's "Validation failed" error
 * whose every message names a prop path that exists in the input. Nothing in between.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as fc from 'fast-check';
import { DistributionConfiguration, InfrastructureConfiguration, Tenancy } from '../src';
import { validateTemplate } from './util/cfn-schema';

/** Fixed for reproducibility; fast-check prints it (and the path to the counterexample) on failure. */
const SEED = 20240611;
const NUM_RUNS = 60;
const ENV = { account: '111111111111', region: 'us-east-1' };

// ---- shared arbitraries --------------------------------------------------------------------------------------------
// Each value has a valid and an invalid side. The mixed generators draw from both; the single-fault properties below
// build props from valid sides only and then put one invalid value at a known path.
const validRegion = fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1', 'cn-north-1', 'eu-central-2', 'eusc-de-east-1');
const invalidRegion = fc.constantFrom('US-EAST-1', 'mars-1', '', 'us-east', 'us_east_1', 'eu-west-100');
const region = fc.oneof({ weight: 4, arbitrary: validRegion }, { weight: 1, arbitrary: invalidRegion });
const validAccount = fc.stringMatching(/^[0-9]{12}$/);
const invalidAccount = fc.constantFrom('12345', '1234567890123', 'abcdefghijkl', '');
const account = fc.oneof({ weight: 4, arbitrary: validAccount }, { weight: 1, arbitrary: invalidAccount });
const validTagKey = fc.stringMatching(/^[a-zA-Z0-9_.:/=+@-]{1,20}$/).filter(k => !/^aws:/i.test(k));
// Image Builder's TagKey pattern reserves "aws:" case-sensitively: "AWS:x" is a valid key of Image Builder resources.
const invalidTagKey = fc.constantFrom('aws:reserved', 'a'.repeat(129), 'bad#key');
// EC2 (amiTags, resourceTags) reserves "aws:" in any case.
const invalidEc2TagKey = fc.constantFrom('aws:reserved', 'AWS:x', 'Aws:y', 'a'.repeat(129), 'bad#key');
const tagKey = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-zA-Z0-9_.:/=+@-]{1,20}$/) },
  { weight: 1, arbitrary: fc.oneof(invalidTagKey, fc.constant('ok key')) },
);
const validTagValue = fc.string({ maxLength: 20 });
const tagValue = fc.oneof({ weight: 6, arbitrary: validTagValue }, { weight: 1, arbitrary: fc.constant('v'.repeat(257)) });
const validTags = fc.dictionary(validTagKey, validTagValue, { minKeys: 1, maxKeys: 5 });
const tags = (maxKeys: number) => fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(tagKey, tagValue, { minKeys: 1, maxKeys: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.stringMatching(/^k[0-9]{1,4}$/), fc.constant('v'), { minKeys: maxKeys + 1, maxKeys: maxKeys + 5 }) },
  // Image Builder's TagMap needs at least one tag.
  { weight: 1, arbitrary: fc.constant({}) },
);
const validText = fc.string({ minLength: 1, maxLength: 40 });
const invalidText = (max: number) => fc.constantFrom('', 'd'.repeat(max + 1));
const text = (max: number) => fc.oneof({ weight: 5, arbitrary: validText }, { weight: 1, arbitrary: invalidText(max) });
const validAmiName = fc.stringMatching(/^[a-z][-_a-z0-9]{1,30}[a-z0-9]$/).map(s => `${s}-{{ imagebuilder:buildDate }}`);
const invalidAmiName = fc.constantFrom('a', 'ab', 'bad/name', 'x'.repeat(128), ' leading', 'trailing.', 'paren(s)');
const amiName = fc.oneof({ weight: 4, arbitrary: validAmiName }, { weight: 1, arbitrary: invalidAmiName });
const validResourceName = fc.stringMatching(/^[a-zA-Z0-9][-_a-zA-Z0-9 ]{1,40}[a-zA-Z0-9]$/);
const invalidResourceName = fc.constantFrom('ab', ' lead', 'bad!name', 'n'.repeat(129));
const resourceName = fc.oneof({ weight: 4, arbitrary: validResourceName }, { weight: 1, arbitrary: invalidResourceName });
const validOrgArn = fc.stringMatching(/^[a-z0-9]{10}$/).map(o => `arn:aws:organizations::111111111111:organization/o-${o}`);
const invalidOrgArn = fc.constantFrom('arn:aws:organizations::111111111111:organization/not-an-org', 'o-abcdefghij');
const orgArn = fc.oneof({ weight: 3, arbitrary: validOrgArn }, { weight: 1, arbitrary: invalidOrgArn });
// SSM reserves names beginning with "aws" or "ssm" in any case.
const validSsmParameterName = fc.stringMatching(/^(\/[a-zA-Z0-9_.-]{1,12}){1,3}$/).filter(n => !/^\/?(aws|ssm)/i.test(n));
const invalidSsmParameterName = fc.constantFrom('', 'bad name', '/p'.repeat(506), 'x#y', '/aws/reserved', 'SSM-param', 'a/b', '/a//b',
  '/l'.repeat(16));

function optional<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arb, { nil: undefined, freq: 2 });
}

// ---- DistributionConfiguration -------------------------------------------------------------------------------------
const launchPermission = fc.record({
  accountIds: optional(fc.array(account, { minLength: 0, maxLength: 3 })),
  organizationArns: optional(fc.array(orgArn, { minLength: 0, maxLength: 2 })),
  isPublicUserGroup: optional(fc.boolean()),
}, { requiredKeys: [] });

const fastLaunch = fc.record({
  enabled: optional(fc.boolean()),
  maxParallelLaunches: optional(fc.oneof(fc.integer({ min: -2, max: 20 }), fc.constant(6.5))),
  targetSnapshotCount: optional(fc.oneof(fc.integer({ min: -1, max: 10_001 }), fc.constant(2.5))),
  accountId: optional(account),
}, { requiredKeys: [] });

const ssmParameter = fc.record({
  parameterName: fc.oneof({ weight: 5, arbitrary: validSsmParameterName }, { weight: 1, arbitrary: invalidSsmParameterName }),
  accountId: optional(account),
  dataType: optional(fc.constantFrom(ssm.ParameterDataType.TEXT, ssm.ParameterDataType.AWS_EC2_IMAGE)),
}, { requiredKeys: ['parameterName'] });

const amiDistribution = fc.record({
  region: optional(region),
  amiName: optional(amiName),
  amiDescription: optional(text(1024)),
  targetAccountIds: optional(fc.array(account, { minLength: 0, maxLength: 3 })),
  amiTags: optional(tags(50)),
  launchPermission: optional(launchPermission),
  fastLaunchConfigurations: optional(fc.array(fastLaunch, { minLength: 0, maxLength: 2 })),
  ssmParameters: optional(fc.array(ssmParameter, { minLength: 0, maxLength: 2 })),
}, { requiredKeys: [] });

const containerDistribution = fc.record({
  region: optional(region),
  description: optional(text(1024)),
  containerTags: optional(fc.array(fc.oneof(fc.stringMatching(/^[a-z0-9.-]{1,10}$/), fc.constant('')), { minLength: 0, maxLength: 3 })),
}, { requiredKeys: [] });

const distributionProps = fc.record({
  distributionConfigurationName: optional(resourceName),
  description: optional(text(1024)),
  amiDistributions: optional(fc.array(amiDistribution, { maxLength: 3 })),
  containerDistributions: optional(fc.array(containerDistribution, { maxLength: 2 })),
  tags: optional(tags(50)),
}, { requiredKeys: [] });

// ---- InfrastructureConfiguration -----------------------------------------------------------------------------------
const instanceType = fc.constantFrom('m5.large', 'm7g.large', 'c6i.xlarge', 't3.micro');
const placement = fc.record({
  availabilityZone: optional(fc.oneof(fc.constantFrom('us-east-1a', 'us-east-1b'), fc.constant(''))),
  tenancy: optional(fc.constantFrom(Tenancy.DEFAULT, Tenancy.DEDICATED, Tenancy.HOST)),
  hostId: optional(fc.oneof(fc.constant('h-0123456789abcdef0'), fc.constant('host-1'))),
  hostResourceGroupArn: optional(fc.oneof(
    fc.constant('arn:aws:resource-groups:us-east-1:111111111111:group/hosts'),
    fc.constant('arn:aws:resource-groups:us-east-1:111111111111:group/hosts/0123456789abcdef0123456789abcdef'),
    fc.constant('arn:aws:ec2:us-east-1:111111111111:host/h-1'),
  )),
}, { requiredKeys: [] });

const infrastructureProps = fc.record({
  infrastructureConfigurationName: optional(resourceName),
  description: optional(text(1024)),
  instanceTypes: optional(fc.array(instanceType, { minLength: 0, maxLength: 3 })),
  containerBuilds: optional(fc.boolean()),
  httpTokens: optional(fc.constantFrom(ec2.HttpTokens.REQUIRED, ec2.HttpTokens.OPTIONAL)),
  httpPutResponseHopLimit: optional(fc.oneof(fc.integer({ min: -1, max: 70 }), fc.constant(1.5))),
  terminateInstanceOnFailure: optional(fc.boolean()),
  placement: optional(placement),
  resourceTags: optional(tags(30)),
  tags: optional(tags(50)),
}, { requiredKeys: [] });

// ---- the property --------------------------------------------------------------------------------------------------

/** Every prop path of the input, as the library prints them: `amiDistributions[1].launchPermission.accountIds[0]`, `tags.<key>`. */
function inputPaths(node: unknown, prefix = ''): string[] {
  if (Array.isArray(node)) return [prefix, ...node.flatMap((v, i) => inputPaths(v, `${prefix}[${i}]`))];
  if (node !== null && typeof node === 'object') {
    return [prefix, ...Object.entries(node).filter(([, v]) => v !== undefined)
      .flatMap(([k, v]) => inputPaths(v, prefix === '' ? k : `${prefix}.${k}`))];
  }
  return [prefix];
}

/**
 * Whether a message (`<path>: <reason>`) names a prop of the input: a path of the input, or a prop the input left out
 * under an object it gave (a defaulted `region`, the `tenancy` that `hostId` needs), or the distributions a
 * configuration lacks altogether.
 */
function namesInputProp(message: string, input: unknown): boolean {
  if (/^(amiDistributions|instanceMetadataOptions\.httpPutResponseHopLimit): /.test(message)) return true;
  return inputPaths(input).some(p => p !== '' && (message.startsWith(`${p}: `) || new RegExp(`^${escape(p)}\\.[A-Za-z]+: `).test(message)));
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function synthOrExplain(build: (stack: Stack) => void, input: unknown): void {
  const app = new App();
  const stack = new Stack(app, 'Prop', { env: ENV });
  let template: Template;
  try {
    build(stack);
    template = Template.fromStack(stack);
  } catch (e) {
    const message = (e as Error).message;
    if (!/Validation failed with the following errors/.test(message)) {
      throw new Error(`not a validation error of the library:\n${message}`);
    }
    const lines = message.split('\n').filter(l => /^\s*\[Prop\//.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const errorText = line.replace(/^\s*\[[^\]]+\] /, '');
      if (!namesInputProp(errorText, input)) throw new Error(`the error does not name a prop of the input: ${line}\ninput: ${JSON.stringify(input)}`);
    }
    return;
  }
  expect(validateTemplate(template.toJSON())).toEqual([]);
}

const params = { seed: SEED, numRuns: NUM_RUNS, verbose: 1 as const };

test('every generated DistributionConfiguration synthesizes a valid template or names the offending prop', () => {
  fc.assert(fc.property(distributionProps, (props) => {
    synthOrExplain(stack => {
      const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'images');
      new DistributionConfiguration(stack, 'Config', {
        ...props,
        containerDistributions: props.containerDistributions?.map(c => ({ ...c, repository })),
      });
    }, props);
  }), params);
});

test('every generated InfrastructureConfiguration synthesizes a valid template or names the offending prop', () => {
  fc.assert(fc.property(infrastructureProps, (props) => {
    synthOrExplain(stack => {
      new InfrastructureConfiguration(stack, 'Infra', {
        ...props,
        instanceTypes: props.instanceTypes?.map(t => new ec2.InstanceType(t)),
      });
    }, props);
  }), params);
});

test('the check is not vacuous: other exceptions and errors that name no prop of the input fail it', () => {
  // A template that fails schema validation throws from the jest setup, which is not a library validation error either.
  expect(() => synthOrExplain(stack => {
    new Stack(stack, 'Unused');
    throw new Error('Some other failure');
  }, {})).toThrow(/not a validation error of the library/);
  expect(() => synthOrExplain(stack => {
    new DistributionConfiguration(stack, 'Config', { description: '' });
  }, {})).toThrow(/does not name a prop of the input/);
});

// ---- valid props only, and valid props with exactly one fault ------------------------------------------------------
// The mixed generators above rarely produce a valid input (one of about five values is invalid), and an input with
// several faults passes as long as the library names one of them. These properties are sharper: valid props must
// synthesize, and valid props with one invalid value at a known path must fail with errors that all name that path.
// A check the library lacks shows up as a template where an error was due (cfn-lint then sees it as well).

const validSsmParameter = fc.record({
  parameterName: validSsmParameterName,
  dataType: optional(fc.constantFrom(ssm.ParameterDataType.TEXT, ssm.ParameterDataType.AWS_EC2_IMAGE)),
}, { requiredKeys: ['parameterName'] });

const validAmiDistribution = fc.record({
  amiName: validAmiName,
  amiDescription: optional(validText),
  targetAccountIds: optional(fc.uniqueArray(validAccount, { minLength: 1, maxLength: 3 })),
  amiTags: optional(validTags),
  launchPermission: optional(fc.record({
    accountIds: optional(fc.uniqueArray(validAccount, { minLength: 1, maxLength: 3 })),
    organizationArns: optional(fc.uniqueArray(validOrgArn, { minLength: 1, maxLength: 2 })),
  }, { requiredKeys: ['accountIds'] })),
  fastLaunchConfigurations: optional(fc.array(fc.record({
    enabled: optional(fc.boolean()),
    maxParallelLaunches: optional(fc.integer({ min: 6, max: 20 })),
    targetSnapshotCount: optional(fc.integer({ min: 1, max: 10_000 })),
  }, { requiredKeys: [] }), { minLength: 1, maxLength: 2 })),
  ssmParameters: optional(fc.array(validSsmParameter, { minLength: 1, maxLength: 2 })),
}, { requiredKeys: ['amiName'] });

type ValidDistributionProps = {
  distributionConfigurationName?: string;
  description?: string;
  tags?: Record<string, string>;
  amiDistributions: Array<Record<string, any>>;
};

const validDistributionProps: fc.Arbitrary<ValidDistributionProps> = fc.record({
  distributionConfigurationName: optional(validResourceName),
  description: optional(validText),
  tags: optional(validTags),
  // One distribution per Region.
  amiDistributions: fc.uniqueArray(fc.tuple(validRegion, validAmiDistribution), { minLength: 1, maxLength: 3, selector: ([r]) => r })
    .map(list => list.map(([r, ami]) => ({ ...ami, region: r }))),
}, { requiredKeys: ['amiDistributions'] });

interface Fault<P> {
  /** The prop path every error must name (the path itself, or a path below it). */
  readonly path: string;
  readonly value: fc.Arbitrary<any>;
  readonly inject: (props: P, value: any) => P;
}

function withFirstAmi(props: ValidDistributionProps, change: (ami: Record<string, any>) => Record<string, any>): ValidDistributionProps {
  const [first, ...rest] = props.amiDistributions;
  return { ...props, amiDistributions: [{ ...first, ...change(first) }, ...rest] };
}

const distributionFaults: Array<Fault<ValidDistributionProps>> = [
  { path: 'distributionConfigurationName', value: invalidResourceName, inject: (p, v) => ({ ...p, distributionConfigurationName: v }) },
  { path: 'description', value: invalidText(1024), inject: (p, v) => ({ ...p, description: v }) },
  { path: 'tags', value: invalidTagKey, inject: (p, v) => ({ ...p, tags: { ...p.tags, [v]: 'v' } }) },
  { path: 'amiDistributions[0].region', value: invalidRegion, inject: (p, v) => withFirstAmi(p, () => ({ region: v })) },
  { path: 'amiDistributions[0].amiName', value: invalidAmiName, inject: (p, v) => withFirstAmi(p, () => ({ amiName: v })) },
  { path: 'amiDistributions[0].amiDescription', value: invalidText(1024), inject: (p, v) => withFirstAmi(p, () => ({ amiDescription: v })) },
  {
    path: 'amiDistributions[0].targetAccountIds',
    value: invalidAccount,
    inject: (p, v) => withFirstAmi(p, a => ({ targetAccountIds: [...a.targetAccountIds ?? [], v] })),
  },
  { path: 'amiDistributions[0].amiTags', value: invalidEc2TagKey, inject: (p, v) => withFirstAmi(p, a => ({ amiTags: { ...a.amiTags, [v]: 'v' } })) },
  {
    path: 'amiDistributions[0].launchPermission.organizationArns',
    value: invalidOrgArn,
    inject: (p, v) => withFirstAmi(p, a => ({
      launchPermission: { ...a.launchPermission, organizationArns: [...a.launchPermission?.organizationArns ?? [], v] },
    })),
  },
  {
    path: 'amiDistributions[0].fastLaunchConfigurations',
    value: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constant(6.5)),
    inject: (p, v) => withFirstAmi(p, a => ({ fastLaunchConfigurations: [...a.fastLaunchConfigurations ?? [], { maxParallelLaunches: v }] })),
  },
  {
    path: 'amiDistributions[0].ssmParameters',
    value: invalidSsmParameterName,
    inject: (p, v) => withFirstAmi(p, a => ({ ssmParameters: [...a.ssmParameters ?? [], { parameterName: v }] })),
  },
  {
    // A jsii caller can pass any string where TypeScript sees ssm.ParameterDataType.
    path: 'amiDistributions[0].ssmParameters',
    value: fc.constantFrom('String', 'aws:ec2:Image', ''),
    inject: (p, v) => withFirstAmi(p, a => ({ ssmParameters: [...a.ssmParameters ?? [], { parameterName: '/golden/ami', dataType: v }] })),
  },
];

const validInfrastructureProps = fc.record({
  infrastructureConfigurationName: optional(validResourceName),
  description: optional(validText),
  instanceTypes: optional(fc.uniqueArray(instanceType, { minLength: 1, maxLength: 3 })),
  containerBuilds: optional(fc.boolean()),
  httpTokens: optional(fc.constantFrom(ec2.HttpTokens.REQUIRED, ec2.HttpTokens.OPTIONAL)),
  httpPutResponseHopLimit: optional(fc.integer({ min: 1, max: 64 })),
  terminateInstanceOnFailure: optional(fc.boolean()),
  resourceTags: optional(validTags),
  tags: optional(validTags),
}, { requiredKeys: [] });
type ValidInfrastructureProps = typeof validInfrastructureProps extends fc.Arbitrary<infer P> ? P : never;

const infrastructureFaults: Array<Fault<ValidInfrastructureProps>> = [
  { path: 'infrastructureConfigurationName', value: invalidResourceName, inject: (p, v) => ({ ...p, infrastructureConfigurationName: v }) },
  { path: 'description', value: invalidText(1024), inject: (p, v) => ({ ...p, description: v }) },
  { path: 'instanceTypes', value: fc.constant([]), inject: (p, v) => ({ ...p, instanceTypes: v }) },
  {
    path: 'httpPutResponseHopLimit',
    value: fc.oneof(fc.integer({ min: -1, max: 0 }), fc.integer({ min: 65, max: 70 }), fc.constant(1.5)),
    inject: (p, v) => ({ ...p, httpPutResponseHopLimit: v }),
  },
  { path: 'resourceTags', value: invalidEc2TagKey, inject: (p, v) => ({ ...p, resourceTags: { ...p.resourceTags, [v]: 'v' } }) },
  // Enum values a jsii caller can get wrong.
  { path: 'httpTokens', value: fc.constantFrom('REQUIRED', 'maybe', ''), inject: (p, v) => ({ ...p, httpTokens: v }) },
  { path: 'placement.tenancy', value: fc.constantFrom('shared', 'HOST', ''), inject: (p, v) => ({ ...p, placement: { tenancy: v } }) as ValidInfrastructureProps },
  { path: 'tags', value: invalidTagKey, inject: (p, v) => ({ ...p, tags: { ...p.tags, [v]: 'v' } }) },
];

/** Valid props with one fault drawn from `faults`, and the path the errors must name. */
function withOneFault<P>(valid: fc.Arbitrary<P>, faults: Array<Fault<P>>): fc.Arbitrary<{ props: P; path: string }> {
  return fc.tuple(valid, fc.constantFrom(...faults)).chain(([props, fault]) =>
    fault.value.map(v => ({ props: fault.inject(props, v), path: fault.path })));
}

/** Synthesizes `build`; returns the library's validation errors (empty when the template synthesized and validated). */
function validationErrors(build: (stack: Stack) => void): string[] {
  const stack = new Stack(new App(), 'Prop', { env: ENV });
  try {
    build(stack);
    expect(validateTemplate(Template.fromStack(stack).toJSON())).toEqual([]);
    return [];
  } catch (e) {
    const message = (e as Error).message;
    if (!/Validation failed with the following errors/.test(message)) throw e;
    return message.split('\n').filter(l => /^\s*\[Prop\//.test(l)).map(l => l.replace(/^\s*\[[^\]]+\] /, ''));
  }
}

function buildDistribution(props: ValidDistributionProps): (stack: Stack) => void {
  return stack => new DistributionConfiguration(stack, 'Config', props as any);
}

function buildInfrastructure(props: ValidInfrastructureProps): (stack: Stack) => void {
  return stack => new InfrastructureConfiguration(stack, 'Infra', { ...props, instanceTypes: props.instanceTypes?.map(t => new ec2.InstanceType(t)) });
}

function expectOnlyErrorsAt(errors: string[], path: string, input: unknown): void {
  const at = new RegExp(`^${escape(path)}[.\\[: ]`);
  if (errors.length === 0) throw new Error(`no validation error for the invalid value at ${path}; input: ${JSON.stringify(input)}`);
  const elsewhere = errors.filter(e => !at.test(e));
  if (elsewhere.length > 0) throw new Error(`errors that do not name ${path}: ${elsewhere.join(' | ')}; input: ${JSON.stringify(input)}`);
}

test('every generated valid DistributionConfiguration synthesizes a valid template', () => {
  fc.assert(fc.property(validDistributionProps, (props) => {
    expect(validationErrors(buildDistribution(props))).toEqual([]);
  }), params);
});

test('every generated valid InfrastructureConfiguration synthesizes a valid template', () => {
  fc.assert(fc.property(validInfrastructureProps, (props) => {
    expect(validationErrors(buildInfrastructure(props))).toEqual([]);
  }), params);
});

test('a valid DistributionConfiguration with one invalid value fails at synth, naming exactly that prop', () => {
  fc.assert(fc.property(withOneFault(validDistributionProps, distributionFaults), ({ props, path }) => {
    expectOnlyErrorsAt(validationErrors(buildDistribution(props)), path, props);
  }), { ...params, numRuns: NUM_RUNS * 2 });
});

test('a valid InfrastructureConfiguration with one invalid value fails at synth, naming exactly that prop', () => {
  fc.assert(fc.property(withOneFault(validInfrastructureProps, infrastructureFaults), ({ props, path }) => {
    expectOnlyErrorsAt(validationErrors(buildInfrastructure(props)), path, props);
  }), params);
});

test('the single-fault check is not vacuous: a missing error or an error elsewhere fails it', () => {
  expect(() => expectOnlyErrorsAt([], 'description', {})).toThrow(/no validation error for the invalid value at description/);
  expect(() => expectOnlyErrorsAt(['descriptionX: bad', 'description: bad'], 'description', {})).toThrow(/errors that do not name description: descriptionX/);
  expect(() => expectOnlyErrorsAt(['amiDistributions[0].amiName: bad'], 'amiDistributions[0]', {})).not.toThrow();
});
