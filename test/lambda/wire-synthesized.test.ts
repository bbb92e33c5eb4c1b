// Patches as the construct synthesizes them, applied and undone over the wire against the model-checked fakes: every
// request the handler makes from a synthesized template must be one the Image Builder API model accepts, and one the
// roles of that same template allow (IAM evaluated: ./server/iam.ts).
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { HandlerUnderTest } from './handler-under-test';
import { restoreLambdaEnvironmentAfterAll, setLambdaEnvironment } from './lambda-environment';
import { LocalServer } from './local-server';
import { IamAuthorizer } from './server/iam';
import { DistributionConfigurations } from './server/imagebuilder';
import { createEvent, deleteEvent, fullDistribution } from './server/patch-fixtures';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import * as clients from '../../lambda/clients';
import { DiskImageFormat, DistributionConfiguration, DistributionConfigurationPatch } from '../../src';
import { IamRoles } from '../util/iam-template';

jest.mock('../../lambda/distribute-image', () => ({ onEvent: jest.fn(), isComplete: jest.fn() }), { virtual: true });

/** The handler's entry points with the tests' backoff (no real sleeping) and a captured log. */
const handler = new HandlerUnderTest();
const route = handler.onEvent;

const ACCOUNT = '111111111111';
const ARN = `arn:aws:imagebuilder:us-east-1:${ACCOUNT}:distribution-configuration/shared`;
const PATCH_TYPE = 'Custom::ImageBuilderDistributionConfigurationPatch';
restoreLambdaEnvironmentAfterAll();

let server: LocalServer;
let ib: DistributionConfigurations;
let ssm: Parameters;
let authorizer: IamAuthorizer | undefined;
let expectedDenials: unknown[] = [];

beforeEach(async () => {
  server = await LocalServer.start();
  ib = new DistributionConfigurations(server);
  ssm = new Parameters(server);
  authorizer = undefined;
  handler.seams = { retry: { maxAttempts: 2, sleep: async () => {} } };
  handler.clearLog();
  setLambdaEnvironment(server);
  clients.resetClients();
  ib.put({ arn: ARN, name: 'shared', distributions: ['us-east-1', 'eu-west-1', 'us-west-2'].map(fullDistribution) });
});

afterEach(async () => {
  clients.resetClients();
  await server.close();
  // Every call was authorized, unless a test looked for the denial.
  expect(authorizer?.denials ?? []).toEqual(expectedDenials);
  expectedDenials = [];
});

interface Synthesized {
  /** The roles of the stack's template, resolved for the test account. */
  readonly world: IamRoles;
  /** The patch resource's properties as CloudFormation resolves them (RoleArn: the ARN of the role the stack makes). */
  readonly props: Record<string, string>;
  /** The provider's role: what the Lambda's own keys belong to. */
  readonly providerRoleArn: string;
}

/** The patch's stack as synthesized: its roles and the patch resource's properties. */
function synthesized(build: (stack: Stack, patch: DistributionConfigurationPatch) => void): Synthesized {
  const stack = new Stack(new App(), 'Stack', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const patch = new DistributionConfigurationPatch(stack, 'Patch', {
    distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Shared', ARN),
  });
  build(stack, patch);
  const world = IamRoles.fromTemplates({ [stack.stackName]: Template.fromStack(stack).toJSON() }, { account: ACCOUNT, region: 'us-east-1' });
  const { ServiceToken: _, ...resolved } = world.propertiesOf(PATCH_TYPE, 'Patch');
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries<unknown>(resolved)) {
    if (typeof v !== 'string') throw new Error(`${k} is not a literal: ${JSON.stringify(v)}`);
    props[k] = v;
  }
  return { world, props, providerRoleArn: world.byLogicalId('ImageBuilderDistributionProviderRole').arn };
}

/** Every call from here on authorized against `world`: the Lambda's keys are the provider role's; the local STS issues the patch role's. */
function authorize(world: IamRoles, providerRoleArn: string): IamAuthorizer {
  authorizer = new IamAuthorizer(world, { account: ACCOUNT, keys: { test: providerRoleArn } }).attach(server);
  new Roles(server, { iam: authorizer });
  return authorizer;
}

const exportsAndShares = (stack: Stack, patch: DistributionConfigurationPatch) => {
  patch.addTargetAccounts('eu-west-1', '222222222222', '333333333333');
  patch.addLaunchPermission('eu-west-1', { accountIds: ['444444444444'], organizationArns: ['arn:aws:organizations::111111111111:organization/o-abcdefghij'] });
  patch.setS3Export('us-west-2', {
    role: iam.Role.fromRoleName(stack, 'VmImport', 'vmimport'), bucket: s3.Bucket.fromBucketName(stack, 'B', 'disk-images'), diskImageFormat: DiskImageFormat.RAW, prefix: 'raw/',
  });
};

test.each<[string, (stack: Stack, patch: DistributionConfigurationPatch) => void]>([
  ['target accounts, launch permissions and an S3 export', exportsAndShares],
  ['whole Regions replaced: AMI and container', (stack, patch) => {
    patch.addAmiDistribution({ region: 'ap-south-1', amiName: 'golden-{{ imagebuilder:buildDate }}', targetAccountIds: ['222222222222'] });
    patch.addContainerDistribution({ region: 'ap-south-1', repository: ecr.Repository.fromRepositoryName(stack, 'Repo', 'golden'), containerTags: ['latest'] });
  }],
])('%s: create and delete send only what the model accepts and the synthesized roles allow, and leave the configuration as it was', async (_name, build) => {
  const { world, props, providerRoleArn } = synthesized(build);
  expect(world.get(props.RoleArn)).toBeDefined();
  const iamUsed = authorize(world, providerRoleArn);
  const start = ib.get(ARN)!.distributions;
  const created = await route(createEvent(props));
  expect(ib.applied).toBe(1);
  expect(ib.get(ARN)!.distributions).not.toEqual(start);
  await route(deleteEvent(created.PhysicalResourceId!, props));
  expect(ib.get(ARN)!.distributions).toEqual(start);
  expect(ssm.params.size).toBe(0);
  expect(server.calls.filter((c) => c.faulted)).toEqual([]);
  // The handler assumed the synthesized patch role, and every call (STS, Image Builder, SSM) was evaluated.
  expect(server.callsTo('AssumeRole').map((c) => c.body.RoleArn)).toEqual([props.RoleArn, props.RoleArn]);
  expect([...new Set(iamUsed.evaluated.filter((e) => e.allowed).map((e) => e.action))]).toEqual(expect.arrayContaining([
    'sts:AssumeRole', 'imagebuilder:GetDistributionConfiguration', 'imagebuilder:UpdateDistributionConfiguration',
    'ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter',
  ]));
});

test('without UpdateDistributionConfiguration in the patch role\'s statement, the create is denied and the configuration is untouched', async () => {
  const { world, props, providerRoleArn } = synthesized(exportsAndShares);
  const index = world.statementsOf(props.RoleArn).findIndex(({ statement }) =>
    [statement.Action ?? []].flat().includes('imagebuilder:UpdateDistributionConfiguration'));
  expect(index).toBeGreaterThanOrEqual(0);
  authorize(world.withoutAction(props.RoleArn, index, 'imagebuilder:UpdateDistributionConfiguration'), providerRoleArn);
  const start = ib.get(ARN)!;
  const session = `assumed-role/${props.RoleArn.split('/').pop()}/`;
  expectedDenials = [expect.objectContaining({ principal: expect.stringContaining(session), action: 'imagebuilder:UpdateDistributionConfiguration', resource: ARN })];
  await expect(route(createEvent(props))).rejects.toThrow(/UpdateDistributionConfiguration on .* failed: AccessDeniedException \(HTTP 403\)/);
  expect(ib.get(ARN)).toEqual(start);
  expect(ib.applied).toBe(0);
});
