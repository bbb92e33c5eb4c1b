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
import * as fc from 'fast-check';
import { DistributionConfiguration, InfrastructureConfiguration, Tenancy } from '../src';
import { validateTemplate } from './util/cfn-schema';

/** Fixed for reproducibility; fast-check prints it (and the path to the counterexample) on failure. */
const SEED = 20240611;
const NUM_RUNS = 60;
const ENV = { account: '111111111111', region: 'us-east-1' };

// ---- shared arbitraries --------------------------------------------------------------------------------------------
const validRegion = fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1', 'cn-north-1', 'eu-central-2');
const invalidRegion = fc.constantFrom('US-EAST-1', 'mars-1', '', 'us-east', 'us_east_1', 'eu-west-100');
const region = fc.oneof({ weight: 4, arbitrary: validRegion }, { weight: 1, arbitrary: invalidRegion });
const account = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[0-9]{12}$/) },
  { weight: 1, arbitrary: fc.constantFrom('12345', '1234567890123', 'abcdefghijkl', '') },
);
const tagKey = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-zA-Z0-9_.:/=+@-]{1,20}$/) },
  { weight: 1, arbitrary: fc.constantFrom('aws:reserved', 'AWS:x', 'a'.repeat(129), 'bad#key', 'ok key') },
);
const tagValue = fc.oneof({ weight: 6, arbitrary: fc.string({ maxLength: 20 }) }, { weight: 1, arbitrary: fc.constant('v'.repeat(257)) });
const tags = (maxKeys: number) => fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(tagKey, tagValue, { minKeys: 1, maxKeys: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.stringMatching(/^k[0-9]{1,4}$/), fc.constant('v'), { minKeys: maxKeys + 1, maxKeys: maxKeys + 5 }) },
  // Image Builder's TagMap needs at least one tag.
  { weight: 1, arbitrary: fc.constant({}) },
);
const text = (max: number) => fc.oneof(
  { weight: 5, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'd'.repeat(max + 1)) },
);
const amiName = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z][-_a-z0-9]{1,30}[a-z0-9]$/).map(s => `${s}-{{ imagebuilder:buildDate }}`) },
  { weight: 1, arbitrary: fc.constantFrom('a', 'ab', 'bad/name', 'x'.repeat(128), ' leading', 'trailing.', 'paren(s)') },
);
const resourceName = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-zA-Z0-9][-_a-zA-Z0-9 ]{1,40}[a-zA-Z0-9]$/) },
  { weight: 1, arbitrary: fc.constantFrom('ab', ' lead', 'bad!name', 'n'.repeat(129)) },
);
const orgArn = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9]{10}$/).map(o => `arn:aws:organizations::111111111111:organization/o-${o}`) },
  { weight: 1, arbitrary: fc.constant('arn:aws:organizations::111111111111:organization/not-an-org') },
);

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

const amiDistribution = fc.record({
  region: optional(region),
  amiName: optional(amiName),
  amiDescription: optional(text(1024)),
  targetAccountIds: optional(fc.array(account, { minLength: 0, maxLength: 3 })),
  amiTags: optional(tags(50)),
  launchPermission: optional(launchPermission),
  fastLaunchConfigurations: optional(fc.array(fastLaunch, { minLength: 0, maxLength: 2 })),
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
