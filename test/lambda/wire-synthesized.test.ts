// Patches as the construct synthesizes them, applied and undone over the wire against the model-checked fakes: every
// request the handler makes from a synthesized template must be one the Image Builder API model accepts.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LocalServer } from './local-server';
import { DistributionConfigurations } from './server/imagebuilder';
import { createEvent, deleteEvent, fullDistribution } from './server/patch-fixtures';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import * as clients from '../../lambda/clients';
import { entryPoints } from '../../lambda/index';
import { DiskImageFormat, DistributionConfiguration, DistributionConfigurationPatch } from '../../src';

jest.mock('../../lambda/distribute-image', () => ({ onEvent: jest.fn(), isComplete: jest.fn() }), { virtual: true });

/** The handler's entry points with the tests' backoff: no real sleeping. */
const { onEvent: route } = entryPoints({ retry: { maxAttempts: 2, sleep: async () => {} } });

const ARN = 'arn:aws:imagebuilder:us-east-1:111111111111:distribution-configuration/shared';
const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'IMAGEBUILDER_ENDPOINT', 'SSM_ENDPOINT', 'STS_ENDPOINT'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

let server: LocalServer;
let ib: DistributionConfigurations;
let ssm: Parameters;
let roles: Roles;

beforeEach(async () => {
  server = await LocalServer.start();
  ib = new DistributionConfigurations(server);
  ssm = new Parameters(server);
  roles = new Roles(server);
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: 't',
    AWS_REGION: 'us-east-1',
    IMAGEBUILDER_ENDPOINT: server.endpoint,
    SSM_ENDPOINT: server.endpoint,
    STS_ENDPOINT: server.endpoint,
  });
  clients.resetClients();
  ib.put({ arn: ARN, name: 'shared', distributions: ['us-east-1', 'eu-west-1', 'us-west-2'].map(fullDistribution) });
});

afterEach(async () => {
  clients.resetClients();
  await server.close();
});

afterAll(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

/** The patch resource's properties as the template has them. */
function synthesized(build: (stack: Stack, patch: DistributionConfigurationPatch) => void): Record<string, string> {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111111111111', region: 'us-east-1' } });
  const patch = new DistributionConfigurationPatch(stack, 'Patch', {
    distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Shared', ARN),
  });
  build(stack, patch);
  const [resource] = Object.values(Template.fromStack(stack).findResources('Custom::ImageBuilderDistributionConfigurationPatch')) as any[];
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries<any>(resource.Properties)) {
    if (k === 'ServiceToken') continue;
    // The role the construct makes for the handler's calls: as CloudFormation would resolve its Arn.
    if (k === 'RoleArn' && v['Fn::GetAtt']?.[1] === 'Arn') props[k] = `arn:aws:iam::111111111111:role/${v['Fn::GetAtt'][0]}`;
    else if (typeof v === 'string') props[k] = v;
    else throw new Error(`${k} is not a literal: ${JSON.stringify(v)}`);
  }
  if (props.RoleArn) roles.add(props.RoleArn);
  return props;
}

test.each<[string, (stack: Stack, patch: DistributionConfigurationPatch) => void]>([
  ['target accounts, launch permissions and an S3 export', (stack, patch) => {
    patch.addTargetAccounts('eu-west-1', '222222222222', '333333333333');
    patch.addLaunchPermission('eu-west-1', { accountIds: ['444444444444'], organizationArns: ['arn:aws:organizations::111111111111:organization/o-abcdefghij'] });
    patch.setS3Export('us-west-2', {
      role: iam.Role.fromRoleName(stack, 'VmImport', 'vmimport'), bucket: s3.Bucket.fromBucketName(stack, 'B', 'disk-images'), diskImageFormat: DiskImageFormat.RAW, prefix: 'raw/',
    });
  }],
  ['whole Regions replaced: AMI and container', (stack, patch) => {
    patch.addAmiDistribution({ region: 'ap-south-1', amiName: 'golden-{{ imagebuilder:buildDate }}', targetAccountIds: ['222222222222'] });
    patch.addContainerDistribution({ region: 'ap-south-1', repository: ecr.Repository.fromRepositoryName(stack, 'Repo', 'golden'), containerTags: ['latest'] });
  }],
])('%s: create and delete send only what the model accepts and leave the configuration as it was', async (_name, build) => {
  const props = synthesized(build);
  const start = ib.get(ARN)!.distributions;
  const created = await route(createEvent(props));
  expect(ib.applied).toBe(1);
  expect(ib.get(ARN)!.distributions).not.toEqual(start);
  await route(deleteEvent(created.PhysicalResourceId!, props));
  expect(ib.get(ARN)!.distributions).toEqual(start);
  expect(ssm.params.size).toBe(0);
  expect(server.calls.filter((c) => c.faulted)).toEqual([]);
});
