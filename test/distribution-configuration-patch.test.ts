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
  expect(patch.baselineParameterName).toMatch(/^\/cdk-imagebuilder-distribution\/baselines\/c8[0-9a-f]{40}$/);
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
