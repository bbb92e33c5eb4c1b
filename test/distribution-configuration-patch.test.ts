import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { DiskImageFormat, DistributionConfiguration, DistributionConfigurationPatch } from '../src';

const ARN = 'arn:aws:imagebuilder:us-east-1:111111111111:distribution-configuration/shared';

function setup() {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111111111111', region: 'us-east-1' } });
  const config = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Shared', ARN);
  return { stack, config };
}

function patchOf(stack: Stack): any {
  const resources = Template.fromStack(stack).findResources('Custom::ImageBuilderDistributionConfigurationPatch');
  const [resource] = Object.values(resources) as any[];
  return JSON.parse(resource.Properties.Patch);
}

function synthErrors(s: Stack): string {
  try {
    Template.fromStack(s);
  } catch (e: any) {
    return e.message;
  }
  throw new Error('expected synth to fail');
}

test('replaces whole Regions in the Image Builder API shape, AMI and container of one Region together', () => {
  const { stack, config } = setup();
  const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'golden');
  new DistributionConfigurationPatch(stack, 'Patch', {
    distributionConfiguration: config,
    amiDistributions: [{ region: 'eu-west-1', amiName: 'golden-{{ imagebuilder:buildDate }}', targetAccountIds: ['222222222222'] }],
    containerDistributions: [
      { region: 'eu-west-1', repository, containerTags: ['latest'] },
      { repository },
    ],
  });
  expect(patchOf(stack)).toEqual({
    distributions: [
      {
        region: 'eu-west-1',
        replace: {
          amiDistributionConfiguration: { name: 'golden-{{ imagebuilder:buildDate }}', targetAccountIds: ['222222222222'] },
          containerDistributionConfiguration: { containerTags: ['latest'], targetRepository: { service: 'ECR', repositoryName: 'golden' } },
        },
      },
      { region: 'us-east-1', replace: { containerDistributionConfiguration: { targetRepository: { service: 'ECR', repositoryName: 'golden' } } } },
    ],
  });
});

test('adds target accounts, launch permissions and S3 export to existing Regions as merges', () => {
  const { stack, config } = setup();
  const patch = new DistributionConfigurationPatch(stack, 'Patch', { distributionConfiguration: config });
  patch.addTargetAccounts('eu-west-1', '222222222222', '333333333333');
  patch.addTargetAccounts('eu-west-1', '222222222222');
  patch.addLaunchPermission('eu-west-1', { accountIds: ['444444444444'] });
  patch.addLaunchPermission('eu-west-1', { organizationArns: ['arn:aws:organizations::111111111111:organization/o-abcdefghij'], isPublicUserGroup: false });
  const role = iam.Role.fromRoleName(stack, 'VmImport', 'vmimport');
  const bucket = s3.Bucket.fromBucketName(stack, 'B', 'disk-images');
  patch.setS3Export('us-west-2', { role, bucket, diskImageFormat: DiskImageFormat.RAW, prefix: 'raw/' });

  expect(patchOf(stack)).toEqual({
    distributions: [
      {
        region: 'eu-west-1',
        merge: {
          amiDistributionConfiguration: {
            targetAccountIds: ['222222222222', '333333333333'],
            launchPermission: { userIds: ['444444444444'], organizationArns: ['arn:aws:organizations::111111111111:organization/o-abcdefghij'] },
          },
        },
      },
      { region: 'us-west-2', merge: { s3ExportConfiguration: { roleName: 'vmimport', diskImageFormat: 'RAW', s3Bucket: 'disk-images', s3Prefix: 'raw/' } } },
    ],
  });
});

test('keeps the baseline in one SSM parameter and grants the handler exactly that and this configuration', () => {
  const { stack, config } = setup();
  const patch = new DistributionConfigurationPatch(stack, 'Patch', { distributionConfiguration: config });
  patch.addTargetAccounts('eu-west-1', '222222222222');
  const t = Template.fromStack(stack);
  t.hasResourceProperties('Custom::ImageBuilderDistributionConfigurationPatch', {
    DistributionConfigurationArn: ARN,
    BaselineParameterName: patch.baselineParameterName,
    BaseHash: Match.absent(),
  });
  expect(patch.baselineParameterName).toMatch(/^\/cdk-imagebuilder-distribution\/baselines\/[0-9a-f]{40}$/);
  const statements = Object.values(t.findResources('AWS::IAM::Policy'))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
  const imagebuilder = statements.filter((s: any) => JSON.stringify(s.Action).includes('DistributionConfiguration'));
  expect(imagebuilder).toEqual([expect.objectContaining({
    Action: ['imagebuilder:GetDistributionConfiguration', 'imagebuilder:UpdateDistributionConfiguration'], Resource: ARN,
  })]);
  const ssmStatements = statements.filter((s: any) => JSON.stringify(s.Action).includes('ssm:'));
  expect(ssmStatements).toHaveLength(1);
  expect(ssmStatements[0].Action).toEqual(['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter']);
  expect(JSON.stringify(ssmStatements[0].Resource)).toContain(`:ssm:us-east-1:111111111111:parameter${patch.baselineParameterName}"`);
  expect(JSON.stringify(statements)).not.toMatch(/"Resource":"\*"/);
});

test('the baseline parameter is named after the stack and the configuration, not the construct: a renamed patch finds it', () => {
  const name = (patchId: string, arn = ARN, stackName = 'Stack') => {
    const stack = new Stack(new App(), stackName, { env: { account: '111111111111', region: 'us-east-1' } });
    const config = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Shared', arn);
    const patch = new DistributionConfigurationPatch(stack, patchId, { distributionConfiguration: config });
    return patch.baselineParameterName;
  };
  expect(name('Renamed')).toBe(name('Patch'));
  expect(name('Patch', ARN.replace('shared', 'other'))).not.toBe(name('Patch'));
  expect(name('Patch', ARN, 'OtherStack')).not.toBe(name('Patch'));
});

test('two patches share one provider', () => {
  const { stack, config } = setup();
  new DistributionConfigurationPatch(stack, 'A', { distributionConfiguration: config }).addTargetAccounts('eu-west-1', '222222222222');
  new DistributionConfigurationPatch(stack, 'B', { distributionConfiguration: config }).addTargetAccounts('us-west-2', '222222222222');
  const t = Template.fromStack(stack);
  t.resourceCountIs('Custom::ImageBuilderDistributionConfigurationPatch', 2);
  t.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.onEvent' }, 1);
});

test('patches of one configuration run one after another; patches of different configurations do not wait', () => {
  const { stack, config } = setup();
  const other = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Other',
    'arn:aws:imagebuilder:us-east-1:111111111111:distribution-configuration/other');
  new DistributionConfigurationPatch(stack, 'A', { distributionConfiguration: config }).addTargetAccounts('eu-west-1', '222222222222');
  new DistributionConfigurationPatch(stack, 'B', { distributionConfiguration: config }).addTargetAccounts('us-west-2', '222222222222');
  new DistributionConfigurationPatch(stack, 'C', { distributionConfiguration: other }).addTargetAccounts('us-west-2', '222222222222');
  new DistributionConfigurationPatch(stack, 'D', { distributionConfiguration: config }).addTargetAccounts('us-east-1', '222222222222');
  const patches = Template.fromStack(stack).findResources('Custom::ImageBuilderDistributionConfigurationPatch');
  const idOf = (prefix: string) => Object.keys(patches).find((id) => id.startsWith(prefix))!;
  const patchDependencies = (prefix: string) => ((patches[idOf(prefix)].DependsOn ?? []) as string[])
    .filter((id) => id in patches);
  // Each read-modify-write of the shared configuration waits for the previous one.
  expect(patchDependencies('A')).toEqual([]);
  expect(patchDependencies('B')).toEqual([idOf('A')]);
  expect(patchDependencies('D')).toEqual([idOf('B')]);
  expect(patchDependencies('C')).toEqual([]);
});

test('patches of one configuration are ordered whatever form it was given in: by ARN, by name, as the owning construct', () => {
  const { stack, config } = setup();
  const byName = DistributionConfiguration.fromDistributionConfigurationName(stack, 'ByName', 'Shared');
  const owned = new DistributionConfiguration(stack, 'Owned', {
    distributionConfigurationName: 'owned',
    amiDistributions: [{
      s3Export: {
        role: iam.Role.fromRoleName(stack, 'VmImport', 'vmimport'),
        bucket: s3.Bucket.fromBucketName(stack, 'Exports', 'exports'),
        diskImageFormat: DiskImageFormat.VMDK,
      },
    }],
  });
  const ownedByName = DistributionConfiguration.fromDistributionConfigurationName(stack, 'OwnedByName', 'owned');
  new DistributionConfigurationPatch(stack, 'A', { distributionConfiguration: config }).addTargetAccounts('eu-west-1', '222222222222');
  new DistributionConfigurationPatch(stack, 'B', { distributionConfiguration: byName }).addTargetAccounts('us-west-2', '222222222222');
  new DistributionConfigurationPatch(stack, 'C', { distributionConfiguration: ownedByName }).addTargetAccounts('us-east-1', '222222222222');
  new DistributionConfigurationPatch(stack, 'D', { distributionConfiguration: owned }).addTargetAccounts('us-east-1', '333333333333');
  const t = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
  const patches = Object.keys(t).filter((id) => t[id].Type === 'Custom::ImageBuilderDistributionConfigurationPatch');
  const idOf = (prefix: string) => patches.find((id) => id.startsWith(prefix))!;
  const patchDependencies = (prefix: string) => ((t[idOf(prefix)].DependsOn ?? []) as string[]).filter((id) => patches.includes(id));
  // The import by name renders another ARN (the partition is a token) than the literal one: the name orders them.
  expect(JSON.stringify(t[idOf('B')].Properties.DistributionConfigurationArn)).not.toBe(JSON.stringify(ARN));
  expect(patchDependencies('B')).toEqual([idOf('A')]);
  // The owning construct's own S3 export patch, a patch of an import by its name, a patch of the construct itself.
  expect(patchDependencies('C')).toEqual([idOf('OwnedS3Export')]);
  expect(patchDependencies('D')).toContain(idOf('C'));
});

test('grants the handler the configuration\'s lease: in its account and Region, the lease and its takeover rights only', () => {
  const { stack, config } = setup();
  new DistributionConfigurationPatch(stack, 'Patch', { distributionConfiguration: config }).addTargetAccounts('eu-west-1', '222222222222');
  const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
    .filter((s: any) => JSON.stringify(s.Action).includes('ssm:'));
  const resources = JSON.stringify(statements[0].Resource);
  expect(resources).toContain(':ssm:us-east-1:111111111111:parameter/cdk-imagebuilder-distribution/leases/shared"');
  expect(resources).toContain(':ssm:us-east-1:111111111111:parameter/cdk-imagebuilder-distribution/leases/shared.*"');
  expect(resources).not.toMatch(/leases\/shared\*/);
});

test('a patch that makes AMIs public warns as the configuration construct does', () => {
  const { stack, config } = setup();
  const patch = new DistributionConfigurationPatch(stack, 'Patch', {
    distributionConfiguration: config,
    amiDistributions: [{ region: 'eu-west-1', launchPermission: { isPublicUserGroup: true } }],
  });
  patch.addLaunchPermission('us-east-1', { accountIds: ['222222222222'] });
  patch.addLaunchPermission('us-west-2', { isPublicUserGroup: true });
  const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('public'));
  expect(warnings.map((w) => [w.id, String(w.entry.data)])).toEqual([
    ['/Stack/Patch', expect.stringMatching(/^amiDistributions\[0\]\.launchPermission\.isPublicUserGroup makes the AMIs .* public.*\[ack: Annotation::cdk-imagebuilder-distribution:publicAmi\]$/)],
    ['/Stack/Patch', expect.stringMatching(/^regions\.us-west-2\.launchPermissions\[0\]\.isPublicUserGroup makes the AMIs .* public/)],
  ]);
});

describe('validation', () => {
  test('an empty patch is an error', () => {
    const { stack, config } = setup();
    new DistributionConfigurationPatch(stack, 'Patch', { distributionConfiguration: config });
    expect(synthErrors(stack)).toMatch(/distributionConfiguration: the patch changes nothing/);
  });

  test('collects every problem with its path', () => {
    const { stack } = setup();
    const config = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Bad', 'arn:aws:imagebuilder:us-east-1:111111111111:image/x');
    const patch = new DistributionConfigurationPatch(stack, 'Patch', {
      distributionConfiguration: config,
      amiDistributions: [{ region: 'eu-west-1', amiName: 'ok-name' }, { region: 'eu-west-1', amiName: 'other' }],
    });
    patch.addTargetAccounts('eu-west-1', '12');
    patch.addTargetAccounts('moon-1', '222222222222');
    patch.addLaunchPermission('us-west-2', { accountIds: ['abc'] });
    const message = synthErrors(stack);
    expect(message).toMatch(/distributionConfiguration: .* must be an Image Builder distribution configuration ARN/);
    expect(message).toMatch(/amiDistributions\[1\]\.region: "eu-west-1" is invalid; amiDistributions\[0\] already distributes to this Region/);
    expect(message).toMatch(/regions\.eu-west-1: this Region is replaced by a distribution of this patch/);
    expect(message).toMatch(/regions\.eu-west-1\.targetAccountIds\[0\]: "12" is invalid; must be a 12-digit AWS account ID/);
    expect(message).toMatch(/regions\.moon-1\.region: "moon-1" is invalid; must be an AWS Region name/);
    expect(message).toMatch(/regions\.us-west-2\.launchPermissions\[0\]\.accountIds\[0\]: "abc" is invalid/);
  });
});

test('SSM outputs: parameterName is sent as the API\'s parameterName; an import resolved at deployment is warned about', () => {
  const { stack, config } = setup();
  const imported = ssm.StringParameter.fromStringParameterName(stack, 'Imported', '/golden/imported');
  Validations.of(stack).acknowledge({ id: 'CloudFormation-Validate::W2001', reason: 'the unused parameter of the SSM import under test' });
  const patch = new DistributionConfigurationPatch(stack, 'Patch', { distributionConfiguration: config });
  patch.addAmiDistribution({ region: 'eu-west-1', amiName: 'golden-{{ imagebuilder:buildDate }}', ssmParameters: [{ parameterName: '/golden/named' }] });
  patch.addAmiDistribution({ region: 'eu-west-2', amiName: 'golden-{{ imagebuilder:buildDate }}', ssmParameters: [{ parameter: imported, accountId: '111111111111' }] });
  expect(JSON.stringify(patchOf(stack))).toContain('"ssmParameterConfigurations":[{"parameterName":"/golden/named","dataType":"aws:ec2:image"}]');
  const warnings = Annotations.fromStack(stack).findWarning('/Stack/Patch', Match.stringLikeRegexp('ssmParameterResolvedAtDeployment'));
  expect(warnings.map(w => String(w.entry.data))).toEqual([
    expect.stringMatching(/^amiDistributions\[1\]\.ssmParameters\[0\]\.parameter: the import of "\/golden\/imported" added the CloudFormation parameter Stack\/Imported\.Parameter,/),
  ]);
});
