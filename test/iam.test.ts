// IAM of the synthesized roles, evaluated with a real policy evaluator (test/util/iam-*.ts):
// - every grant names a resource of a type its action takes (else it allows nothing);
// - mutation: the handler's wire scenarios, replayed with any one statement removed from its role, are denied somewhere
//   (so every statement is needed, and the scenarios would notice a missing one);
// - the execution role allows what each feature of the configuration makes Image Builder do.
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as clients from '../lambda/clients';
import { isComplete, onEvent } from '../lambda/distribute-image';
import { entryPoints } from '../lambda/index';
import {
  DiskImageFormat, DistributeImage, DistributeImageSource, DistributionConfiguration, DistributionRoleCheck, ExecutionRolePolicy,
  OrganizationDistributionTargets, OrganizationsReaderRole, TargetAccounts,
} from '../src';
import { setLambdaEnvironment } from './lambda/lambda-environment';
import { LocalServer } from './lambda/local-server';
import { DISTRIBUTE_IMAGE_RESOURCE_TYPE } from '../src/private/handler-contract';
import { DistributedImages, Ec2Images } from './lambda/server/distribute-routes';
import { IamAuthorizer } from './lambda/server/iam';
import { DistributionConfigurations } from './lambda/server/imagebuilder';
import { ARN, createEvent, deleteEvent, exportPatch, fullDistribution, S3_EXPORT, sharePatch, updateEvent } from './lambda/server/patch-fixtures';
import { Parameters } from './lambda/server/ssm';
import { Roles } from './lambda/server/sts';
import { isAllowed, mismatchedResources } from './util/iam-evaluate';
import { distributeWorld, patchWorld, WireWorld } from './util/iam-stacks';
import { IamRoles } from './util/iam-template';

const ACCOUNT = '111111111111';
const CONFIG_ARN = `arn:aws:imagebuilder:us-east-1:${ACCOUNT}:distribution-configuration/wire-config`;
const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'IMAGEBUILDER_ENDPOINT', 'EC2_ENDPOINT',
  'SSM_ENDPOINT', 'STS_ENDPOINT', 'AWS_EC2_METADATA_DISABLED'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
afterAll(() => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/**
 * The KMS calls EC2 makes with the execution role's credentials while it copies an encrypted AMI, with the request
 * context it sets: kms:ViaService ec2.<Region>.amazonaws.com, kms:GrantIsForAWSResource on CreateGrant, and the EBS
 * encryption context. SOURCED: the condition keys of EC2ImageBuilderExecutionPolicy's EC2KMSPermissions,
 * EC2KMSDescribeKeyPermissions and EC2KMSGrantKeyPermissions statements (reference section 6.1); which call carries
 * which key is INFERRED from those statements.
 */
const KMS_VIA_EC2: Array<[string, Record<string, string | string[]>]> = [
  ...['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKeyWithoutPlaintext'].map(
    (action): [string, Record<string, string | string[]>] => [action, { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com', 'kms:EncryptionContextKeys': ['aws:ebs:id'] }]),
  ['kms:DescribeKey', { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' }],
  ['kms:CreateGrant', { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com', 'kms:GrantIsForAWSResource': 'true' }],
];

/** A key of this account the stack does not know (an encrypted source AMI's, say), with the default key policy. */
const UNKNOWN_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/0f0e0d0c-0b0a-0908-0706-050403020100`;
/**
 * The default key policy (what KMS gives a key created without one, and CDK renders): it lets IAM policies of the
 * account grant the key's use. KMS always requires the key policy to allow too.
 */
const DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
} as any;

/** A stack with every feature: an owned configuration, each source kind, DESTROY, and both execution-role policies. */
function fullStack(policy = ExecutionRolePolicy.PER_FEATURE): Stack {
  const stack = new Stack(new App(), 'Full', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const template = new ec2.CfnLaunchTemplate(stack, 'Template', { launchTemplateData: {} });
  const lt = ec2.LaunchTemplate.fromLaunchTemplateAttributes(stack, 'T', { launchTemplateId: template.ref });
  const output = new ssm.StringParameter(stack, 'Out', { parameterName: '/golden/owned', stringValue: 'ami-12345678' });
  const config = new DistributionConfiguration(stack, 'Config', {
    amiDistributions: [
      {
        amiName: 'golden-{{ imagebuilder:buildDate }}',
        targetAccountIds: ['222222222222', '333333333333'],
        kmsKey: new kms.Key(stack, 'Key'),
        launchPermission: { accountIds: ['222222222222'] },
        launchTemplates: [{ launchTemplate: lt, setDefaultVersion: true }],
        fastLaunchConfigurations: [{ launchTemplate: lt, maxParallelLaunches: 6 }],
        licenseConfigurationArns: [`arn:aws:license-manager:us-east-1:${ACCOUNT}:license-configuration:lic-0123456789abcdef0123456789abcdef`],
        ssmParameters: [{ parameterName: '/golden/latest' }, { parameter: output }, { parameterName: '/golden/latest', accountId: '333333333333' }],
        s3Export: {
          role: iam.Role.fromRoleName(stack, 'VmImport', 'vmimport'),
          bucket: s3.Bucket.fromBucketName(stack, 'Exports', 'exports'),
          diskImageFormat: DiskImageFormat.VMDK,
        },
      },
      { region: 'eu-west-1', amiName: 'golden-{{ imagebuilder:buildDate }}', fastLaunchConfigurations: [{ maxParallelLaunches: 6 }] },
    ],
  });
  new DistributeImage(stack, 'FromAmi', {
    source: DistributeImageSource.fromAmiId('ami-0123456789abcdef0'),
    distributionConfiguration: config,
    removalPolicy: RemovalPolicy.DESTROY,
    tags: { team: 'platform' },
    executionRolePolicy: policy,
  });
  new DistributeImage(stack, 'FromImage', {
    source: DistributeImageSource.fromImageArn('arn:aws:imagebuilder:eu-west-1:444444444444:image/golden/1.0.0/3'),
    distributionConfiguration: config,
    executionRolePolicy: policy,
  });
  new DistributeImage(stack, 'FromParameter', {
    source: DistributeImageSource.fromSsmParameter(output),
    distributionConfiguration: config,
    executionRolePolicy: policy,
  });
  return stack;
}

/** Target accounts from an OU through the management account's reader role, each account's distribution role checked. */
function organizationWorld(): IamRoles {
  const stack = new Stack(new App(), 'Organization', { env: { account: ACCOUNT, region: 'us-east-1' } });
  new OrganizationDistributionTargets(stack, 'Targets', {
    distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Config', CONFIG_ARN),
    targetAccounts: [TargetAccounts.fromOrganizationalUnits(['ou-ab12-abcdefgh'])],
    organizationsRole: OrganizationsReaderRole.fromAccount(stack, 'Reader', '999999999999'),
    distributionRoleCheck: DistributionRoleCheck.REPORT,
  });
  return IamRoles.fromTemplates({ Organization: Template.fromStack(stack).toJSON() }, { account: ACCOUNT, region: 'us-east-1' });
}

const fullWorld = (policy?: ExecutionRolePolicy) =>
  IamRoles.fromTemplates({ Full: Template.fromStack(fullStack(policy)).toJSON() }, { account: ACCOUNT, region: 'us-east-1' });

describe('every grant names a resource of a type its action takes', () => {
  const worlds: Array<[string, () => IamRoles]> = [
    ['the full stack, per-feature execution role', () => fullWorld()],
    ['the full stack, managed execution policy', () => fullWorld(ExecutionRolePolicy.MANAGED_POLICY)],
    ['the DistributeImage wire stack', () => distributeWorld(ACCOUNT, CONFIG_ARN, `arn:aws:iam::${ACCOUNT}:role/Exec`).world],
    ['the patch wire stack', () => patchWorld(ARN, 'vmimport').world],
    ['OrganizationDistributionTargets with the distribution role check', () => organizationWorld()],
  ];
  test.each(worlds)('%s', async (_, world) => {
    const mismatches = [];
    for (const role of world().all) {
      for (const p of role.identityPolicies) {
        if (p.name.startsWith('arn:')) continue; // AWS managed policies are AWS's
        for (const statement of p.policy.Statement) {
          for (const m of await mismatchedResources(statement)) mismatches.push({ role: role.logicalId, ...m });
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  test('the check bites: DistributeImage on a configuration, snapshots with an account, match nothing', async () => {
    expect(await mismatchedResources({ Effect: 'Allow', Action: 'imagebuilder:DistributeImage', Resource: CONFIG_ARN })).toEqual([
      expect.objectContaining({ action: 'imagebuilder:DistributeImage', resource: CONFIG_ARN }),
    ]);
    expect(await mismatchedResources({ Effect: 'Allow', Action: 'ec2:DeleteSnapshot', Resource: `arn:aws:ec2:*:${ACCOUNT}:snapshot/*` })).toHaveLength(1);
    expect(await mismatchedResources({ Effect: 'Allow', Action: 'ssm:PutParameter', Resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter//a` })).toHaveLength(0);
    expect(await mismatchedResources({ Effect: 'Allow', Action: 'ec2:DescribeImages', Resource: 'arn:aws:ec2:*::image/*' })).toHaveLength(1);
    expect(await mismatchedResources({ Effect: 'Allow', Action: 'ec2:DeleteSnapshot', Resource: 'arn:aws:ec2:*::snapshot/*' })).toHaveLength(0);
  });
});

// The handler's scenarios, as in the wire tests, against a given IAM world; they return the denials seen.
function env(server: LocalServer, ec2Server?: Ec2Images) {
  setLambdaEnvironment(server, {
    ...(ec2Server ? { EC2_ENDPOINT: ec2Server.endpoint } : {}),
  });
  clients.resetClients();
}

const noSleep = { maxAttempts: 2, sleep: async () => {} };

/** Create, wait, delete (DESTROY) of each DistributeImage resource; a failure is fine, the denials are what counts. */
async function distributeScenario(wire: WireWorld, world: IamRoles, only?: string): Promise<number> {
  const server = await LocalServer.start();
  const ec2Server = await Ec2Images.start();
  let now = Date.parse('2025-06-01T12:00:00.000Z');
  const images = new DistributedImages(server, { account: ACCOUNT, clock: () => now });
  images.addConfiguration(CONFIG_ARN, [{ region: 'us-east-1' }, { region: 'eu-west-1' }]);
  const authorizer = new IamAuthorizer(world, {
    account: ACCOUNT,
    keys: { test: wire.providerRoleArn },
    nextImageArn: (region) => `arn:aws:imagebuilder:${region}:${ACCOUNT}:image/distributed-image/1.0.0/${images.started + 1}`,
  }).attach(server);
  ec2Server.authorize = authorizer.ec2Check;
  new Roles(server, { clock: () => now, iam: authorizer });
  env(server, ec2Server);
  const options = { retry: { ...noSleep, now: () => now }, log: () => {} };
  try {
    for (const [id, p] of Object.entries(wire.properties).filter(([i]) => only === undefined || i === only)) {
      const base = { ServiceToken: p.ServiceToken, ResponseURL: 'https://example.invalid/', StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/wire/x', LogicalResourceId: id, ResourceType: DISTRIBUTE_IMAGE_RESOURCE_TYPE, ResourceProperties: p };
      try {
        const created = await onEvent({ ...base, RequestType: 'Create', RequestId: `create-${id}` } as any, options);
        for (let i = 0; i < 5; i++) {
          const done = await isComplete({ ...base, RequestType: 'Create', RequestId: `create-${id}`, ...created } as any, options);
          now += 30_000;
          if (done.IsComplete) break;
        }
        const image = images.images.get(created.PhysicalResourceId!)!;
        for (const ami of image.amis) {
          ec2Server.add({ imageId: ami.image, region: ami.region, creationDate: new Date(now).toISOString(), snapshotIds: [`snap-${ami.image}`], tags: { CreatedBy: 'EC2 Image Builder' } });
        }
        const del = { ...base, RequestType: 'Delete', RequestId: `delete-${id}`, PhysicalResourceId: created.PhysicalResourceId };
        await onEvent(del as any, options);
        await isComplete(del as any, options);
      } catch {
        // Denied somewhere: counted below.
      }
    }
  } finally {
    clients.resetClients();
    await server.close();
    await ec2Server.close();
  }
  return authorizer.denials.length;
}

/** Create, update, delete of each patch resource. */
async function patchScenario(wire: WireWorld, world: IamRoles, only?: string): Promise<number> {
  const server = await LocalServer.start();
  const ib = new DistributionConfigurations(server);
  ib.put({ arn: ARN, name: 'imported-dist', description: 'owned by another team', distributions: [fullDistribution('us-east-1'), fullDistribution('us-west-2')], tags: { owner: 'team-a' } });
  new Parameters(server);
  const authorizer = new IamAuthorizer(world, { account: '123456789012', keys: { test: wire.providerRoleArn } }).attach(server);
  new Roles(server, { iam: authorizer });
  env(server);
  // The handler's warnings (a denied write undone, say) are expected here: the denials are what is counted.
  const route = entryPoints({ retry: noSleep, log: () => {} }).onEvent;
  try {
    for (const [, p] of Object.entries(wire.properties).filter(([i]) => only === undefined || i === only)) {
      const props = (patch: unknown) => ({ ...p, Patch: JSON.stringify(patch) });
      try {
        const created = await route(createEvent(props(exportPatch)));
        const updated = await route(updateEvent(created.PhysicalResourceId!, props(sharePatch), props(exportPatch)));
        await route(deleteEvent(updated.PhysicalResourceId!, props(sharePatch)));
      } catch {
        // Denied somewhere: counted below.
      }
    }
  } finally {
    clients.resetClients();
    await server.close();
  }
  return authorizer.denials.length;
}

describe('mutation: each statement of each handler role is needed by some wire scenario', () => {
  const distribute = distributeWorld(ACCOUNT, CONFIG_ARN, `arn:aws:iam::${ACCOUNT}:role/ImageBuilderDistribution`);
  const patch = patchWorld(ARN, S3_EXPORT.roleName);
  const cases: Array<[string, WireWorld, typeof distributeScenario]> = [
    ...Object.keys(distribute.properties).map((id): [string, WireWorld, typeof distributeScenario] => [`DistributeImage ${id}`, distribute, distributeScenario]),
    ...Object.keys(patch.properties).map((id): [string, WireWorld, typeof distributeScenario] => [`patch ${id}`, patch, patchScenario]),
  ];

  test.each(cases)('%s: the scenarios pass as synthesized', async (name, wire, scenario) => {
    expect(await scenario(wire, wire.world, name.split(' ').pop())).toBe(0);
  });

  test.each(cases)('%s: removing any one statement is denied', async (name, wire, scenario) => {
    const id = name.split(' ').pop()!;
    const roleArn = wire.properties[id].RoleArn;
    const statements = wire.world.statementsOf(roleArn);
    expect(statements.length).toBeGreaterThan(0);
    const unneeded = [];
    for (const [i, s] of statements.entries()) {
      if (await scenario(wire, wire.world.withoutStatement(roleArn, i), id) === 0) unneeded.push(s.statement);
    }
    expect(unneeded).toEqual([]);
  });
});

describe('the execution role allows what Image Builder does for each feature', () => {
  const world = fullWorld();
  const exec = world.byLogicalId('FromAmiExecutionRole');
  const principal = `arn:aws:sts::${ACCOUNT}:assumed-role/${exec.arn.split('/').pop()}/imagebuilder`;
  const created = { 'aws:ResourceTag/CreatedBy': 'EC2 Image Builder' };
  const lt = world.resolve({ Ref: Object.keys(Template.fromStack(fullStack()).findResources('AWS::EC2::LaunchTemplate'))[0] });
  const key = world.resolve({ 'Fn::GetAtt': [Object.keys(Template.fromStack(fullStack()).findResources('AWS::KMS::Key'))[0], 'Arn'] });
  const cases: Array<[string, string, string, Record<string, string | string[]>?]> = [
    ['copy', 'ec2:CopyImage', 'arn:aws:ec2:eu-west-1::image/ami-0aaaaaaaaaaaaaaaa'],
    ['share', 'ec2:ModifyImageAttribute', 'arn:aws:ec2:us-east-1::image/ami-0aaaaaaaaaaaaaaaa', created],
    ['share the untagged source AMI', 'ec2:ModifyImageAttribute', 'arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0'],
    ['cross-account', 'sts:AssumeRole', 'arn:aws:iam::222222222222:role/EC2ImageBuilderDistributionCrossAccountRole'],
    ['cross-account SSM output', 'sts:AssumeRole', 'arn:aws:iam::333333333333:role/EC2ImageBuilderDistributionCrossAccountRole'],
    ['launch template', 'ec2:CreateLaunchTemplateVersion', `arn:aws:ec2:us-east-1:${ACCOUNT}:launch-template/${lt}`],
    ['launch template default version', 'ec2:ModifyLaunchTemplate', `arn:aws:ec2:us-east-1:${ACCOUNT}:launch-template/${lt}`],
    ['Fast Launch', 'ec2:EnableFastLaunch', 'arn:aws:ec2:us-east-1::image/ami-0aaaaaaaaaaaaaaaa', created],
    ['Fast Launch without a launch template (EC2FastLaunchFullAccess)', 'ec2:EnableFastLaunch', 'arn:aws:ec2:eu-west-1::image/ami-0bbbbbbbbbbbbbbbb'],
    ['license', 'license-manager:UpdateLicenseSpecificationsForResource', `arn:aws:license-manager:us-east-1:${ACCOUNT}:license-configuration:lic-0123456789abcdef0123456789abcdef`],
    ['SSM output', 'ssm:PutParameter', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/golden/latest`],
    ['SSM output of a parameter construct (no double slash)', 'ssm:PutParameter', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/golden/owned`],
    ['aws:ec2:image validation', 'ec2:DescribeImages', '*'],
    ['S3 export', 'ec2:ExportImage', 'arn:aws:ec2:us-east-1::image/ami-0aaaaaaaaaaaaaaaa', created],
    ['S3 export task', 'ec2:ExportImage', `arn:aws:ec2:us-east-1:${ACCOUNT}:export-image-task/export-ami-1`],
    ['S3 export role', 'iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/vmimport`, { 'iam:PassedToService': 'vmie.amazonaws.com' }],
    ['logs', 'logs:PutLogEvents', `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/imagebuilder/golden:log-stream:x`],
    // The configuration's KMS key, used by EC2 for the role while it copies encrypted snapshots: the request context
    // EC2 sets (the keys EC2ImageBuilderExecutionPolicy's KMS statements condition on, reference section 6.1).
    ...KMS_VIA_EC2.map(([action, context]): [string, string, string, Record<string, string | string[]>] => ['KMS key via EC2', action, key, context]),
  ];
  // Rest parameters: jest would take a fourth declared parameter of a three-element row for `done`.
  /** What each target account sets up (docs/iam.md): its EC2ImageBuilderDistributionCrossAccountRole trusts this account. */
  const targetTrust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] };
  /** The key's own policy, as the template gives it: KMS requires it to allow as well. */
  const keyPolicy = world.propertiesOf('AWS::KMS::Key').KeyPolicy;
  const options = (action: string, resource: string) => ({
    principal,
    resourceAccount: resource.split(':')[4] || ACCOUNT,
    ...(action === 'sts:AssumeRole' ? { resourcePolicy: targetTrust as any } : {}),
    ...(action.startsWith('kms:') ? { resourcePolicy: keyPolicy } : {}),
  });
  test.each(cases)('%s: %s', async (...[, action, resource, context]) => {
    const decision = await isAllowed(exec, { action, resource, context }, options(action, resource));
    expect(decision.result).toBe('Allowed');
  });

  test.each([
    ['an S3 export role passed to another service', 'iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/vmimport`, { 'iam:PassedToService': 'lambda.amazonaws.com' }],
    ['another account\'s role', 'sts:AssumeRole', 'arn:aws:iam::999999999999:role/EC2ImageBuilderDistributionCrossAccountRole'],
    ['another parameter', 'ssm:PutParameter', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/other`],
    ['an AMI not made by Image Builder', 'ec2:ModifyImageAttribute', 'arn:aws:ec2:us-east-1::image/ami-0cccccccccccccccc'],
    // Per feature, only the keys the configuration or `kmsKeys` names (an encrypted source AMI's key: kmsKeys).
    ['a KMS key the stack does not know, even via EC2', 'kms:CreateGrant', UNKNOWN_KEY, { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com', 'kms:GrantIsForAWSResource': 'true' }],
  ] as Array<[string, string, string, Record<string, string>?]>)('not %s', async (...[, action, resource, context]) => {
    const decision = await isAllowed(exec, { action, resource, context }, options(action, resource));
    expect(decision.allowed).toBe(false);
  });

  test('the trust policy lets Image Builder of this account assume it, not of another', async () => {
    const assume = (account: string) => isAllowed(undefined, { action: 'sts:AssumeRole', resource: exec.arn, context: { 'aws:SourceAccount': account } },
      { principal: 'imagebuilder.amazonaws.com', resourceAccount: ACCOUNT, resourcePolicy: exec.trustPolicy });
    expect((await assume(ACCOUNT)).allowed).toBe(true);
    expect((await assume('999999999999')).allowed).toBe(false);
  });
});

describe('ExecutionRolePolicy.MANAGED_POLICY: EC2ImageBuilderExecutionPolicy plus what it does not cover', () => {
  const world = fullWorld(ExecutionRolePolicy.MANAGED_POLICY);
  const exec = world.byLogicalId('FromAmiExecutionRole');
  const principal = `arn:aws:sts::${ACCOUNT}:assumed-role/${exec.arn.split('/').pop()}/imagebuilder`;
  test.each([
    ['share a copy (managed policy)', 'ec2:ModifyImageAttribute', 'arn:aws:ec2:us-east-1::image/ami-0aaaaaaaaaaaaaaaa', { 'aws:ResourceTag/CreatedBy': 'EC2 Image Builder' }],
    ['share the untagged source AMI (added)', 'ec2:ModifyImageAttribute', 'arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0'],
    ['an SSM output outside /imagebuilder/ (added)', 'ssm:PutParameter', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/golden/latest`],
    ['Fast Launch without a launch template (EC2FastLaunchFullAccess)', 'ec2:EnableFastLaunch', 'arn:aws:ec2:eu-west-1::image/ami-0bbbbbbbbbbbbbbbb'],
    // A key the stack does not know (an encrypted source AMI's, say): the managed policy allows any key, through EC2 only.
    ...KMS_VIA_EC2.map(([action, context]): [string, string, string, Record<string, string | string[]>] =>
      ['a KMS key the stack does not know, via EC2', action, UNKNOWN_KEY, context]),
  ] as Array<[string, string, string, Record<string, string | string[]>?]>)('%s: %s', async (...[, action, resource, context]) => {
    expect(exec.identityPolicies.map((p) => p.name)).toContain('arn:aws:iam::aws:policy/EC2ImageBuilderExecutionPolicy');
    const keyPolicy = action.startsWith('kms:') ? { resourcePolicy: DEFAULT_KEY_POLICY } : {};
    expect((await isAllowed(exec, { action, resource, context }, { principal, resourceAccount: ACCOUNT, ...keyPolicy })).result).toBe('Allowed');
  });

  test.each([
    ...KMS_VIA_EC2.map(([action]): [string, string, Record<string, string>] => ['called directly, not via EC2', action, {}]),
    ...KMS_VIA_EC2.map(([action, context]): [string, string, Record<string, string | string[]>] =>
      ['via another service', action, { ...context, 'kms:ViaService': 'lambda.us-east-1.amazonaws.com' }]),
    ['a grant not for an AWS resource', 'kms:CreateGrant', { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com', 'kms:GrantIsForAWSResource': 'false' }],
  ] as Array<[string, string, Record<string, string | string[]>]>)('not a KMS key the stack does not know %s: %s', async (_, action, context) => {
    const decision = await isAllowed(exec, { action, resource: UNKNOWN_KEY, context },
      { principal, resourceAccount: ACCOUNT, resourcePolicy: DEFAULT_KEY_POLICY });
    expect(decision.allowed).toBe(false);
  });
});

test('the S3 export patch of an owned configuration may pass exactly its export roles, only to VM Import/Export', async () => {
  const world = fullWorld();
  const role = world.byLogicalId('ConfigS3ExportHandlerRole');
  const principal = `arn:aws:sts::${ACCOUNT}:assumed-role/${role.arn.split('/').pop()}/patch`;
  const pass = (name: string, service: string) => isAllowed(role,
    { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/${name}`, context: { 'iam:PassedToService': service } },
    { principal, resourceAccount: ACCOUNT });
  expect((await pass('vmimport', 'vmie.amazonaws.com')).allowed).toBe(true);
  expect((await pass('vmimport', 'ec2.amazonaws.com')).allowed).toBe(false);
  expect((await pass('other', 'vmie.amazonaws.com')).allowed).toBe(false);
});

test('a request whose signature does not verify is refused before authorization and before the route', async () => {
  const server = await LocalServer.start();
  const wire = patchWorld(ARN, 'vmimport');
  const authorizer = new IamAuthorizer(wire.world, { account: '123456789012', keys: { test: wire.providerRoleArn } }).attach(server);
  let routed = 0;
  server.route('GET', '/GetDistributionConfiguration', () => {
    routed++;
    return { body: {} };
  });
  try {
    const res = await fetch(`${server.endpoint}/GetDistributionConfiguration?distributionConfigurationArn=${encodeURIComponent(ARN)}`, {
      headers: {
        'x-amz-date': '20250601T120000Z',
        'authorization': `AWS4-HMAC-SHA256 Credential=test/20250601/us-east-1/imagebuilder/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(routed).toBe(0);
    expect(authorizer.evaluated).toEqual([]);
  } finally {
    await server.close();
  }
});
