import { App, Aws, Lazy, Stack, Tags, Token, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import {
  AmiDistribution,
  ContainerDistribution,
  DiskImageFormat,
  DistributionConfiguration,
  DistributionConfigurationProps,
} from '../src';
import { withoutSchemaValidation } from './util/jest-setup';
import { arnResourceName, validateTags, ValidationErrors } from '../src/private/validation';

const ACCOUNT = '111111111111';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';

function newStack(): Stack {
  return new Stack(new App(), 'Stack', { env: { account: ACCOUNT, region: 'us-east-1' } });
}

function agnosticStack(): Stack {
  return new Stack(new App(), 'Stack');
}

function distributions(stack: Stack): any[] {
  const resources = Template.fromStack(stack).findResources('AWS::ImageBuilder::DistributionConfiguration');
  const [resource] = Object.values(resources);
  return resource.Properties.Distributions;
}

/** The validation message of a synth that must fail (empty when it does not). */
function errorsOf(stack: Stack): string {
  try {
    Template.fromStack(stack);
  } catch (e: any) {
    return e.message;
  }
  return '';
}

function expectErrors(props: DistributionConfigurationProps, ...expected: string[]): void {
  const stack = newStack();
  new DistributionConfiguration(stack, 'Dist', props);
  const message = errorsOf(stack);
  expect(message).toContain('Validation failed');
  for (const e of expected) expect(message).toContain(e);
}

function expectValid(stack: Stack): void {
  expect(errorsOf(stack)).toBe('');
}

describe('CloudFormation rendering', () => {
  test('renders every AMI prop with the exact CloudFormation keys', () => {
    const stack = newStack();
    const key = kms.Key.fromKeyArn(stack, 'Key', `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY_ID}`);
    new DistributionConfiguration(stack, 'Dist', {
      amiDistributions: [{
        amiName: 'golden-{{ imagebuilder:buildDate }}',
        amiDescription: 'Golden image',
        targetAccountIds: ['222222222222', '333333333333'],
        amiTags: { 'CostCenter': 'A1', 'team:Owner': 'platform' },
        kmsKey: key,
        launchPermission: {
          accountIds: ['444444444444'],
          organizationArns: ['arn:aws:organizations::111111111111:organization/o-abcdefghij'],
          organizationalUnitArns: ['arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdef3456'],
          isPublicUserGroup: true,
        },
      }],
    });

    expect(distributions(stack)).toEqual([{
      Region: 'us-east-1',
      AmiDistributionConfiguration: {
        Name: 'golden-{{ imagebuilder:buildDate }}',
        Description: 'Golden image',
        TargetAccountIds: ['222222222222', '333333333333'],
        // Tag keys are user data: never case-converted.
        AmiTags: { 'CostCenter': 'A1', 'team:Owner': 'platform' },
        KmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY_ID}`,
        LaunchPermissionConfiguration: {
          UserIds: ['444444444444'],
          UserGroups: ['all'],
          OrganizationArns: ['arn:aws:organizations::111111111111:organization/o-abcdefghij'],
          OrganizationalUnitArns: ['arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdef3456'],
        },
      },
    }]);
  });

  test('renders Region-level AMI settings: licenses, launch templates, Fast Launch, SSM parameters', () => {
    const stack = newStack();
    const created = new ec2.LaunchTemplate(stack, 'Created', {});
    const byId = ec2.LaunchTemplate.fromLaunchTemplateAttributes(stack, 'ById', { launchTemplateId: 'lt-0123456789abcdef0', versionNumber: '4' });
    const byName = ec2.LaunchTemplate.fromLaunchTemplateAttributes(stack, 'ByName', { launchTemplateName: 'fast-launch-template' });
    const parameter = ssm.StringParameter.fromStringParameterName(stack, 'Param', '/images/golden/latest');
    Validations.of(stack).acknowledge({ id: 'CloudFormation-Validate::W2001', reason: 'the unused parameter of the SSM import under test' });
    new DistributionConfiguration(stack, 'Dist', {
      amiDistributions: [{
        amiName: 'golden',
        targetAccountIds: ['222222222222'],
        licenseConfigurationArns: [`arn:aws:license-manager:us-east-1:${ACCOUNT}:license-configuration:lic-0123456789abcdef0123456789abcdef`],
        launchTemplates: [
          { launchTemplate: byId, accountId: '222222222222', setDefaultVersion: true },
          { launchTemplate: created },
        ],
        fastLaunchConfigurations: [
          { launchTemplate: byId, maxParallelLaunches: 6, targetSnapshotCount: 10, accountId: '222222222222' },
          { enabled: false, launchTemplate: byName },
        ],
        ssmParameters: [
          { parameter, accountId: '222222222222' },
          { parameterName: '/images/golden/text', dataType: ssm.ParameterDataType.TEXT },
        ],
      }],
    });

    const [distribution] = distributions(stack);
    expect(distribution.LicenseConfigurationArns).toEqual([
      `arn:aws:license-manager:us-east-1:${ACCOUNT}:license-configuration:lic-0123456789abcdef0123456789abcdef`,
    ]);
    expect(distribution.LaunchTemplateConfigurations).toEqual([
      { LaunchTemplateId: 'lt-0123456789abcdef0', AccountId: '222222222222', SetDefaultVersion: true },
      { LaunchTemplateId: { Ref: stack.getLogicalId(created.node.defaultChild as ec2.CfnLaunchTemplate) } },
    ]);
    expect(distribution.FastLaunchConfigurations).toEqual([
      {
        Enabled: true,
        MaxParallelLaunches: 6,
        SnapshotConfiguration: { TargetResourceCount: 10 },
        LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0', LaunchTemplateVersion: '4' },
        AccountId: '222222222222',
      },
      { Enabled: false, LaunchTemplate: { LaunchTemplateName: 'fast-launch-template', LaunchTemplateVersion: '$Default' } },
    ]);
    expect(distribution.SsmParameterConfigurations).toEqual([
      { ParameterName: '/images/golden/latest', AmiAccountId: '222222222222', DataType: 'aws:ec2:image' },
      { ParameterName: '/images/golden/text', DataType: 'text' },
    ]);
  });

  test('renders a container distribution with the exact CloudFormation keys', () => {
    const stack = newStack();
    const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'apps/web');
    new DistributionConfiguration(stack, 'Dist', {
      containerDistributions: [{ repository, description: 'Web image', containerTags: ['latest', 'v1'] }],
    });
    expect(distributions(stack)).toEqual([{
      Region: 'us-east-1',
      ContainerDistributionConfiguration: {
        Description: 'Web image',
        ContainerTags: ['latest', 'v1'],
        TargetRepository: { Service: 'ECR', RepositoryName: 'apps/web' },
      },
    }]);
  });

  test('merges an AMI and a container distribution of the same Region into one entry', () => {
    const stack = newStack();
    const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'apps/web');
    new DistributionConfiguration(stack, 'Dist', {
      amiDistributions: [{ amiName: 'a-{{ imagebuilder:buildDate }}' }, { region: 'eu-west-1', amiName: 'b-{{ imagebuilder:buildDate }}' }],
      containerDistributions: [{ repository, region: 'eu-west-1' }, { repository }],
    });
    expect(distributions(stack)).toEqual([
      {
        Region: 'us-east-1',
        AmiDistributionConfiguration: { Name: 'a-{{ imagebuilder:buildDate }}' },
        ContainerDistributionConfiguration: { TargetRepository: { Service: 'ECR', RepositoryName: 'apps/web' } },
      },
      {
        Region: 'eu-west-1',
        AmiDistributionConfiguration: { Name: 'b-{{ imagebuilder:buildDate }}' },
        ContainerDistributionConfiguration: { TargetRepository: { Service: 'ECR', RepositoryName: 'apps/web' } },
      },
    ]);
  });

  test('regions default to the stack Region, a token in an environment-agnostic stack', () => {
    const stack = agnosticStack();
    new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'golden' }] });
    expect(distributions(stack)).toEqual([{ Region: { Ref: 'AWS::Region' }, AmiDistributionConfiguration: { Name: 'golden' } }]);
  });

  test('addAmiDistribution and addContainerDistribution after construction', () => {
    const stack = newStack();
    const dist = new DistributionConfiguration(stack, 'Dist');
    dist.addAmiDistribution({ region: 'us-west-2', amiName: 'golden' });
    dist.addContainerDistribution({ region: 'us-west-2', repository: ecr.Repository.fromRepositoryName(stack, 'Repo', 'web') });
    expect(distributions(stack)).toEqual([{
      Region: 'us-west-2',
      AmiDistributionConfiguration: { Name: 'golden' },
      ContainerDistributionConfiguration: { TargetRepository: { Service: 'ECR', RepositoryName: 'web' } },
    }]);
  });

  test('name, description and tags', () => {
    const stack = newStack();
    new DistributionConfiguration(stack, 'Dist', {
      distributionConfigurationName: 'golden-images',
      description: 'Where golden images go',
      tags: { Team: 'platform' },
      amiDistributions: [{ amiName: 'golden' }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ImageBuilder::DistributionConfiguration', {
      Name: 'golden-images',
      Description: 'Where golden images go',
      Tags: { Team: 'platform' },
    });
  });

  test('the generated name is lowercase, valid and at most 128 characters', () => {
    const stack = new Stack(new App(), 'A-Very-Long-Stack-Name'.repeat(4), { env: { account: ACCOUNT, region: 'us-east-1' } });
    new DistributionConfiguration(stack, 'Distribution-Configuration'.repeat(4), { amiDistributions: [{ amiName: 'golden' }] });
    const [resource] = Object.values(Template.fromStack(stack).findResources('AWS::ImageBuilder::DistributionConfiguration'));
    const name: string = resource.Properties.Name;
    expect(name).toMatch(/^[a-z0-9][a-z0-9-]{1,126}[a-z0-9]$/);
  });

  test('S3 export is not rendered into CloudFormation but offered in the API shape', () => {
    const stack = newStack();
    const role = iam.Role.fromRoleName(stack, 'Role', 'vmimport');
    const bucket = s3.Bucket.fromBucketName(stack, 'Bucket', 'exports');
    const dist = new DistributionConfiguration(stack, 'Dist', {
      amiDistributions: [
        { amiName: 'golden', s3Export: { role, bucket, diskImageFormat: DiskImageFormat.VHD, prefix: 'vms/' } },
        { region: 'eu-west-1', amiName: 'golden', s3Export: { role, bucket, diskImageFormat: DiskImageFormat.RAW } },
        { region: 'eu-west-2', amiName: 'golden' },
      ],
    });
    expect(JSON.stringify(distributions(stack))).not.toMatch(/S3Export/i);
    expect(dist._s3Exports()).toEqual([
      { region: 'us-east-1', s3ExportConfiguration: { roleName: 'vmimport', diskImageFormat: 'VHD', s3Bucket: 'exports', s3Prefix: 'vms/' } },
      { region: 'eu-west-1', s3ExportConfiguration: { roleName: 'vmimport', diskImageFormat: 'RAW', s3Bucket: 'exports' } },
    ]);
    expect(dist._resource.cfnResourceType).toBe('AWS::ImageBuilder::DistributionConfiguration');
  });

  test('_onS3Export is called for each AMI distribution with s3Export, in the constructor and later', () => {
    const calls: number[] = [];
    class Probe extends DistributionConfiguration {
      protected _onS3Export(): void {
        calls.push(this._s3Exports().length);
      }
    }
    const stack = newStack();
    const s3Export = {
      role: iam.Role.fromRoleName(stack, 'Role', 'vmimport'),
      bucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'exports'),
      diskImageFormat: DiskImageFormat.VMDK,
    };
    const dist = new Probe(stack, 'Dist', { amiDistributions: [{ amiName: 'golden', s3Export }, { region: 'eu-west-1', amiName: 'img-x' }] });
    expect(calls).toEqual([1]);
    dist.addAmiDistribution({ region: 'eu-west-2', amiName: 'golden', s3Export });
    expect(calls).toEqual([1, 2]);
  });

  test('_forEachAmiDistribution sees existing and later AMI distributions with their Regions', () => {
    const stack = newStack();
    const dist = new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'img-a' }] });
    const seen: string[] = [];
    dist._forEachAmiDistribution((d, region) => seen.push(`${d.amiName}@${region}`));
    dist.addAmiDistribution({ region: 'eu-west-1', amiName: 'img-b' });
    expect(seen).toEqual(['img-a@us-east-1', 'img-b@eu-west-1']);
  });

  test('public AMIs are flagged with a warning', () => {
    const stack = newStack();
    new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'golden', launchPermission: { isPublicUserGroup: true } }] });
    Annotations.fromStack(stack).hasWarning('/Stack/Dist', Match.stringLikeRegexp('amiDistributions\\[0\\].launchPermission.isPublicUserGroup makes the AMI public'));
  });

  test('no warning for private AMIs', () => {
    const stack = newStack();
    new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'golden', launchPermission: { accountIds: ['222222222222'] } }] });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('attributes, imports and grants', () => {
  test('ARN and name attributes come from the resource', () => {
    const stack = newStack();
    const dist = new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'golden' }] });
    const logicalId = stack.getLogicalId(dist._resource);
    expect(stack.resolve(dist.distributionConfigurationArn)).toEqual({ 'Fn::GetAtt': [logicalId, 'Arn'] });
    expect(stack.resolve(dist.distributionConfigurationName)).toEqual({ 'Fn::GetAtt': [logicalId, 'Name'] });
  });

  test('grant and grantRead', () => {
    const stack = newStack();
    const dist = new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'golden' }] });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    dist.grantRead(role);
    dist.grant(role, 'imagebuilder:UpdateDistributionConfiguration');
    const arn = { 'Fn::GetAtt': [stack.getLogicalId(dist._resource), 'Arn'] };
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: 'imagebuilder:GetDistributionConfiguration', Effect: 'Allow', Resource: arn },
          { Action: 'imagebuilder:UpdateDistributionConfiguration', Effect: 'Allow', Resource: arn },
        ],
      },
    });
  });

  test('grant uses no deprecated aws-cdk-lib API (JSII_DEPRECATED=fail would throw)', () => {
    const stack = newStack();
    const dist = new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'golden' }] });
    const imported = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Imported',
      `arn:aws:imagebuilder:us-east-1:${ACCOUNT}:distribution-configuration/shared`);
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const previous = process.env.JSII_DEPRECATED;
    process.env.JSII_DEPRECATED = 'fail';
    try {
      expect(() => dist.grantRead(role)).not.toThrow();
      expect(() => dist.grant(role, 'imagebuilder:UpdateDistributionConfiguration')).not.toThrow();
      expect(() => imported.grantRead(role)).not.toThrow();
    } finally {
      if (previous === undefined) delete process.env.JSII_DEPRECATED;
      else process.env.JSII_DEPRECATED = previous;
    }
  });

  test('fromDistributionConfigurationName builds the ARN like Image Builder (lowercase, spaces and underscores to hyphens)', () => {
    const stack = newStack();
    const imported = DistributionConfiguration.fromDistributionConfigurationName(stack, 'Imported', 'Golden Images_v2');
    expect(imported.distributionConfigurationName).toBe('Golden Images_v2');
    expect(stack.resolve(imported.distributionConfigurationArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:imagebuilder:us-east-1:${ACCOUNT}:distribution-configuration/golden-images-v2`]],
    });
    expectValid(stack);
  });

  test('names are normalized for ARNs with the rule shared with InfrastructureConfiguration', () => {
    expect(arnResourceName('My_Config Name')).toBe('my-config-name');
    const stack = newStack();
    const imported = DistributionConfiguration.fromDistributionConfigurationName(stack, 'Imported', 'My_Config Name');
    expect(stack.resolve(imported.distributionConfigurationArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:imagebuilder:us-east-1:${ACCOUNT}:distribution-configuration/my-config-name`]],
    });
    // The ARN attribute of a configuration seen from another environment is built from the name the same way.
    const app = new App();
    const producer = new Stack(app, 'Producer', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const consumer = new Stack(app, 'Consumer', { env: { account: '222222222222', region: 'eu-west-1' } });
    const dist = new DistributionConfiguration(producer, 'Dist', { distributionConfigurationName: 'My_Config Name', amiDistributions: [{ amiName: 'golden' }] });
    expect(consumer.resolve(dist.distributionConfigurationArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:imagebuilder:us-east-1:${ACCOUNT}:distribution-configuration/my-config-name`]],
    });
  });

  test('fromDistributionConfigurationName grants on the ARN', () => {
    const stack = newStack();
    const imported = DistributionConfiguration.fromDistributionConfigurationName(stack, 'Imported', 'golden');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    imported.grantRead(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{
          Action: 'imagebuilder:GetDistributionConfiguration',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:imagebuilder:us-east-1:${ACCOUNT}:distribution-configuration/golden`]] },
        }],
      },
    });
  });

  test('fromDistributionConfigurationName keeps unresolved names', () => {
    const stack = newStack();
    const name = Lazy.string({ produce: () => 'late' });
    const imported = DistributionConfiguration.fromDistributionConfigurationName(stack, 'Imported', name);
    expect(stack.resolve(imported.distributionConfigurationArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:imagebuilder:us-east-1:${ACCOUNT}:distribution-configuration/late`]],
    });
  });

  test('fromDistributionConfigurationArn parses the name', () => {
    const stack = newStack();
    const arn = `arn:aws:imagebuilder:us-east-1:${ACCOUNT}:distribution-configuration/golden-images`;
    const imported = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Imported', arn);
    expect(imported.distributionConfigurationArn).toBe(arn);
    expect(imported.distributionConfigurationName).toBe('golden-images');
    expectValid(stack);
  });

  test('fromDistributionConfigurationArn takes the account and Region from the ARN', () => {
    const stack = newStack();
    const imported = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Imported',
      'arn:aws:imagebuilder:eu-west-1:222222222222:distribution-configuration/shared');
    expect(imported.env.account).toBe('222222222222');
    expect(imported.env.region).toBe('eu-west-1');
    expectValid(stack);
  });

  test('fromDistributionConfigurationArn does not throw for a string that is not an ARN, and fails at synth', () => {
    const stack = newStack();
    let imported: any;
    expect(() => {
      imported = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Imported', 'not-an-arn');
    }).not.toThrow();
    // A placeholder name; the stack's environment.
    expect(imported.distributionConfigurationName).toBe('not-an-arn');
    expect(imported.env.account).toBe(ACCOUNT);
    const message = errorsOf(stack);
    expect(message).toContain('Validation failed');
    expect(message).toContain('distributionConfigurationArn: "not-an-arn" is invalid; must be an Image Builder distribution '
      + 'configuration ARN such as "arn:aws:imagebuilder:us-east-1:111122223333:distribution-configuration/my-config"');
    expect(message).not.toMatch(/ARNs must/);
  });

  test('fromDistributionConfigurationArn accepts a token', () => {
    const stack = newStack();
    const arn = new ssm.StringParameter(stack, 'P', { stringValue: 'x' }).stringValue;
    const imported = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Imported', arn);
    expect(Token.isUnresolved(imported.distributionConfigurationName)).toBe(true);
    const resolved = stack.resolve(imported.distributionConfigurationName);
    expect(resolved['Fn::Select'][0]).toBe(1);
    expect(JSON.stringify(resolved)).toContain('"Fn::Split":["/"');
    expectValid(stack);
  });

  test('fromDistributionConfigurationArn rejects a malformed ARN at synth', () => {
    const stack = newStack();
    DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Imported',
      `arn:aws:imagebuilder:us-east-1:${ACCOUNT}:image-recipe/golden`);
    expect(errorsOf(stack)).toContain('distributionConfigurationArn: "arn:aws:imagebuilder:us-east-1:111111111111:image-recipe/golden" is invalid');
  });

  test('fromDistributionConfigurationName rejects an invalid name at synth', () => {
    const stack = newStack();
    DistributionConfiguration.fromDistributionConfigurationName(stack, 'Imported', 'bad/name');
    expect(errorsOf(stack)).toContain('distributionConfigurationName: "bad/name" is invalid');
  });

  test('isDistributionConfiguration', () => {
    const stack = newStack();
    const dist = new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'golden' }] });
    expect(DistributionConfiguration.isDistributionConfiguration(dist)).toBe(true);
    expect(DistributionConfiguration.isDistributionConfiguration(stack)).toBe(false);
    expect(DistributionConfiguration.isDistributionConfiguration(null)).toBe(false);
  });
});

describe('validation', () => {
  const repoStack = newStack();
  const repository = ecr.Repository.fromRepositoryName(repoStack, 'Repo', 'web');

  test('collects every problem in one message with paths', () => {
    expectErrors(
      {
        description: '',
        amiDistributions: [
          { amiName: 'img-ok' },
          { region: 'eu-west-1', amiName: 'x'.repeat(128), targetAccountIds: ['222222222222', '12'] },
        ],
      },
      'description: "" is invalid; must be 1 to 1024 characters long (got 0)',
      'amiDistributions[1].amiName: ',
      'must be 3 to 127 characters long (got 128)',
      'amiDistributions[1].targetAccountIds[1]: "12" is invalid; must be a 12-digit AWS account ID',
    );
  });

  test('at least one distribution', () => {
    expectErrors({}, 'amiDistributions: a distribution configuration needs at least one AMI or container distribution');
  });

  test('configuration name', () => {
    expectErrors({ distributionConfigurationName: 'no/slashes', amiDistributions: [{ amiName: 'img-a' }] },
      'distributionConfigurationName: "no/slashes" is invalid; must be 3 to 128 characters');
    expectErrors({ distributionConfigurationName: 'x'.repeat(129), amiDistributions: [{ amiName: 'img-a' }] },
      'distributionConfigurationName: "xxx');
    // Image Builder's ResourceName, the rule of infrastructure configuration names too: at least 3 characters, no edge space.
    expectErrors({ distributionConfigurationName: 'ab', amiDistributions: [{ amiName: 'img-a' }] },
      'distributionConfigurationName: "ab" is invalid; must be 3 to 128 characters');
    expectErrors({ distributionConfigurationName: 'trailing ', amiDistributions: [{ amiName: 'img-a' }] },
      'distributionConfigurationName: "trailing " is invalid; must be 3 to 128 characters');
  });

  test('configuration description length', () => {
    expectErrors({ description: 'd'.repeat(1025), amiDistributions: [{ amiName: 'img-a' }] }, 'description: ', '(got 1025)');
  });

  test('configuration tags', () => {
    expectErrors({ tags: { 'aws:reserved': 'x' }, amiDistributions: [{ amiName: 'img-a' }] },
      'tags.aws:reserved: "aws:reserved" is invalid; tag keys must not start with the reserved prefix "aws:"');
    const many: Record<string, string> = {};
    for (let i = 0; i < 51; i++) many[`k${i}`] = 'v';
    expectErrors({ tags: many, amiDistributions: [{ amiName: 'img-a' }] }, 'tags: has 51 tags; at most 50 are allowed');
  });

  test('configuration tags: empty map, key too long, invalid key characters', () => {
    expectErrors({ tags: {}, amiDistributions: [{ amiName: 'img-a' }] },
      'tags: {} is invalid; must have at least one tag, or be left out');
    const longKey = 'k'.repeat(129);
    expectErrors({ tags: { [longKey]: 'v' }, amiDistributions: [{ amiName: 'img-a' }] },
      `tags.${longKey}: "${'k'.repeat(116)}... is invalid; tag keys must be 1 to 128 characters long (got 129)`);
    expectErrors({ tags: { 'bad#key': 'v' }, amiDistributions: [{ amiName: 'img-a' }] },
      'tags.bad#key: "bad#key" is invalid; tag keys may contain only letters, digits, spaces and _ . : / = + - @');
  });

  test('a configuration without tags, and one whose tags Tags.of removed, are valid', () => {
    const stack = newStack();
    new DistributionConfiguration(stack, 'Plain', { amiDistributions: [{ amiName: 'img-a' }] });
    new DistributionConfiguration(stack, 'Removed', { tags: { team: 'x' }, amiDistributions: [{ region: 'eu-west-1', amiName: 'img-a' }] });
    Tags.of(stack).remove('team');
    expectValid(stack);
    for (const r of Object.values(Template.fromStack(stack).findResources('AWS::ImageBuilder::DistributionConfiguration'))) {
      expect((r as any).Properties.Tags).toBeUndefined();
    }
  });

  test('tags added with Tags.of are validated with the props tags, under the path tags', () => {
    const stack = newStack();
    new DistributionConfiguration(stack, 'Dist', { tags: { team: 'platform' }, amiDistributions: [{ amiName: 'img-a' }] });
    Tags.of(stack).add('bad#key', 'v');
    Tags.of(stack).add('long', 'v'.repeat(257));
    for (let i = 0; i < 49; i++) Tags.of(stack).add(`k${i}`, 'v');
    const message = errorsOf(stack);
    expect(message).toContain('Validation failed');
    // 1 from the props + 51 from Tags.of, all in one message.
    expect(message).toContain('tags: has 52 tags; at most 50 are allowed');
    expect(message).toContain('tags.bad#key: "bad#key" is invalid; tag keys may contain only letters, digits, spaces and _ . : / = + - @');
    expect(message).toContain('tags.long: ');
    expect(message).toContain('tag values must be at most 256 characters long (got 257)');
  });

  test('Tags.of tags within the rules are valid and rendered', () => {
    const stack = newStack();
    new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'img-a' }] });
    Tags.of(stack).add('cost-center', '42');
    expectValid(stack);
    Template.fromStack(stack).hasResourceProperties('AWS::ImageBuilder::DistributionConfiguration', { Tags: { 'cost-center': '42' } });
  });

  test('duplicate AMI Regions, including two defaults', () => {
    expectErrors({ amiDistributions: [{ amiName: 'img-a' }, { amiName: 'img-b', region: 'us-east-1' }] },
      'amiDistributions[1].region: "us-east-1" is invalid; amiDistributions[0] already distributes to this Region; '
      + 'Image Builder allows one AMI distribution per Region');
    const stack = agnosticStack();
    new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'img-a' }, { amiName: 'img-b' }] });
    expect(errorsOf(stack)).toContain('amiDistributions[1].region');
  });

  test('duplicate container Regions', () => {
    expectErrors({ containerDistributions: [{ repository }, { repository, region: 'us-east-1' }] },
      'containerDistributions[1].region: "us-east-1" is invalid; containerDistributions[0] already distributes to this Region; '
      + 'Image Builder allows one container distribution per Region');
  });

  test('an AMI distribution must set more than its Region', () => {
    expectErrors({ amiDistributions: [{ region: 'eu-west-1' }] },
      'amiDistributions[0]: sets nothing but the Region, which Image Builder rejects');
  });

  test('an AMI distribution with nothing but its Region is fine next to a container distribution', () => {
    const stack = newStack();
    new DistributionConfiguration(stack, 'Dist', {
      amiDistributions: [{}],
      containerDistributions: [{ repository: ecr.Repository.fromRepositoryName(stack, 'Repo', 'web') }],
    });
    expectValid(stack);
  });

  test('region format', () => {
    expectErrors({
      amiDistributions: [{ region: 'US_EAST_1', amiName: 'img-a' }],
      containerDistributions: [{ repository, region: 'mars' }],
    },
    'amiDistributions[0].region: "US_EAST_1" is invalid; must be an AWS Region name',
    'containerDistributions[0].region: "mars" is invalid');
  });

  test('AMI name characters', () => {
    expectErrors({ amiDistributions: [{ amiName: 'golden (v1)' }] },
      'amiDistributions[0].amiName: "golden (v1)" is invalid; may contain only letters, digits, spaces and - _ . : { }');
    expectErrors({ amiDistributions: [{ amiName: 'ab ' }] }, 'amiDistributions[0].amiName: "ab " is invalid');
  });

  test('AMI name with Image Builder placeholders is valid', () => {
    const stack = newStack();
    new DistributionConfiguration(stack, 'Dist', {
      amiDistributions: [{ amiName: 'Golden_v1.2 {{ imagebuilder:buildDate }}-{{imagebuilder:buildVersion}}' }],
    });
    expectValid(stack);
  });

  test('AMI name length: 3 to 127 characters', () => {
    expectErrors({ amiDistributions: [{ amiName: '' }] }, 'amiDistributions[0].amiName: "" is invalid; must be 3 to 127 characters long (got 0)');
    expectErrors({ amiDistributions: [{ amiName: 'ab' }] }, 'amiDistributions[0].amiName: "ab" is invalid; must be 3 to 127 characters long (got 2)');
    expectErrors({ amiDistributions: [{ amiName: 'x'.repeat(128) }] }, 'must be 3 to 127 characters long (got 128)');
    const stack = newStack();
    new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'abc' }, { region: 'eu-west-1', amiName: 'x'.repeat(127) }] });
    expectValid(stack);
  });

  test('AMI description length', () => {
    expectErrors({ amiDistributions: [{ amiName: 'img-a', amiDescription: '' }] }, 'amiDistributions[0].amiDescription: "" is invalid');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', amiDescription: 'd'.repeat(1025) }] }, 'amiDistributions[0].amiDescription: ', '(got 1025)');
  });

  test('target account IDs: format, empty list, duplicates, count', () => {
    expectErrors({ amiDistributions: [{ amiName: 'img-a', targetAccountIds: ['1234'] }] },
      'amiDistributions[0].targetAccountIds[0]: "1234" is invalid; must be a 12-digit AWS account ID');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', targetAccountIds: [] }] },
      'amiDistributions[0].targetAccountIds: must not be an empty list');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', targetAccountIds: ['222222222222', '222222222222'] }] },
      'amiDistributions[0].targetAccountIds: "222222222222" is invalid; each value may appear only once');
    const many = Array.from({ length: 1537 }, (_, i) => String(100000000000 + i));
    expectErrors({ amiDistributions: [{ amiName: 'img-a', targetAccountIds: many }] },
      'amiDistributions[0].targetAccountIds: has 1537 items; at most 1536 are allowed');
  });

  test('AMI tags: empty, reserved prefix, value length, key length, key characters', () => {
    expectErrors({ amiDistributions: [{ amiName: 'img-a', amiTags: {} }] },
      'amiDistributions[0].amiTags: {} is invalid; must have at least one tag, or be left out');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', amiTags: { ['k'.repeat(129)]: 'v' } }] },
      `amiDistributions[0].amiTags.${'k'.repeat(129)}: `, 'tag keys must be 1 to 128 characters long (got 129)');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', amiTags: { 'bad#key': 'v' } }] },
      'amiDistributions[0].amiTags.bad#key: "bad#key" is invalid; tag keys may contain only letters, digits, spaces and _ . : / = + - @');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', amiTags: { 'AWS:x': 'y' } }] },
      'amiDistributions[0].amiTags.AWS:x: "AWS:x" is invalid; EC2 applies these tags and reserves the prefix "aws:" in any case (AWS:, Aws:) [rule ec2TagKeys]');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', amiTags: { k: 'v'.repeat(257) } }] },
      'amiDistributions[0].amiTags.k: ', 'tag values must be at most 256 characters long (got 257)');
  });

  test('KMS key must be in the distribution Region', () => {
    const stack = newStack();
    const key = kms.Key.fromKeyArn(stack, 'Key', `arn:aws:kms:us-west-2:${ACCOUNT}:key/${KEY_ID}`);
    new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ region: 'eu-west-1', amiName: 'img-a', kmsKey: key }] });
    expect(errorsOf(stack)).toContain(
      `amiDistributions[0].kmsKey: the KMS key arn:aws:kms:us-west-2:${ACCOUNT}:key/${KEY_ID} is in us-west-2, but the distribution `
      + 'goes to eu-west-1, where Image Builder looks it up: use one of eu-west-1 [rule kmsKeyInDistributionRegion]');
  });

  test('KMS key of the stack is fine for the default Region', () => {
    const stack = newStack();
    new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'img-a', kmsKey: new kms.Key(stack, 'Key') }] });
    expectValid(stack);
  });

  test('launch permission lists', () => {
    expectErrors({ amiDistributions: [{ amiName: 'img-a', launchPermission: { accountIds: ['x'] } }] },
      'amiDistributions[0].launchPermission.accountIds[0]: "x" is invalid; must be a 12-digit AWS account ID');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', launchPermission: { organizationArns: ['o-abcdefghij'] } }] },
      'amiDistributions[0].launchPermission.organizationArns[0]: "o-abcdefghij" is invalid; must be an AWS Organizations organization ARN');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', launchPermission: { organizationalUnitArns: ['ou-ab12-cdef3456'] } }] },
      'amiDistributions[0].launchPermission.organizationalUnitArns[0]: "ou-ab12-cdef3456" is invalid; must be an AWS Organizations organizational unit ARN');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', launchPermission: { organizationArns: [] } }] },
      'amiDistributions[0].launchPermission.organizationArns: must not be an empty list');
    const orgs = Array.from({ length: 26 }, (_, i) => `arn:aws:organizations::111111111111:organization/o-abcdefgh${String(i).padStart(2, '0')}`);
    expectErrors({ amiDistributions: [{ amiName: 'img-a', launchPermission: { organizationArns: orgs } }] },
      'amiDistributions[0].launchPermission.organizationArns: has 26 items; at most 25 are allowed');
  });

  test('license configuration ARNs', () => {
    expectErrors({ amiDistributions: [{ amiName: 'img-a', licenseConfigurationArns: ['lic-1'] }] },
      'amiDistributions[0].licenseConfigurationArns[0]: "lic-1" is invalid; must be a License Manager license configuration ARN');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', licenseConfigurationArns: [] }] },
      'amiDistributions[0].licenseConfigurationArns: must not be an empty list');
  });

  test('launch templates imported by name are rejected with a hint', () => {
    const stack = newStack();
    const byName = ec2.LaunchTemplate.fromLaunchTemplateAttributes(stack, 'ByName', { launchTemplateName: 'web' });
    new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'img-a', launchTemplates: [{ launchTemplate: byName }] }] });
    expect(errorsOf(stack)).toContain('amiDistributions[0].launchTemplates[0].launchTemplate: "web" is invalid; must have a launchTemplateId');
  });

  test('launch templates: ID format, account, empty list, count', () => {
    const stack = newStack();
    const bad = ec2.LaunchTemplate.fromLaunchTemplateAttributes(stack, 'Bad', { launchTemplateId: 'lt-123' });
    const good = ec2.LaunchTemplate.fromLaunchTemplateAttributes(stack, 'Good', { launchTemplateId: 'lt-0123456789abcdef0' });
    new DistributionConfiguration(stack, 'Dist', {
      amiDistributions: [
        { amiName: 'img-a', launchTemplates: [{ launchTemplate: bad }, { launchTemplate: good, accountId: 'me' }] },
        { region: 'eu-west-1', amiName: 'img-a', launchTemplates: [] },
        { region: 'eu-west-2', amiName: 'img-a', launchTemplates: Array.from({ length: 101 }, () => ({ launchTemplate: good })) },
      ],
    });
    const message = errorsOf(stack);
    expect(message).toContain('amiDistributions[0].launchTemplates[0].launchTemplate.launchTemplateId: "lt-123" is invalid; must be a launch template ID');
    expect(message).toContain('amiDistributions[0].launchTemplates[1].accountId: "me" is invalid; must be a 12-digit AWS account ID');
    expect(message).toContain('amiDistributions[1].launchTemplates: must not be an empty list');
    expect(message).toContain('amiDistributions[2].launchTemplates: has 101 items; at most 100 are allowed');
  });

  test('Fast Launch bounds', () => {
    expectErrors({ amiDistributions: [{ amiName: 'img-a', fastLaunchConfigurations: [{ maxParallelLaunches: 5 }] }] },
      'amiDistributions[0].fastLaunchConfigurations[0].maxParallelLaunches: 5 is invalid; must be an integer of at least 6');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', fastLaunchConfigurations: [{ maxParallelLaunches: 6.5 }] }] },
      'amiDistributions[0].fastLaunchConfigurations[0].maxParallelLaunches: 6.5 is invalid');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', fastLaunchConfigurations: [{ targetSnapshotCount: 0 }, { targetSnapshotCount: 10001 }] }] },
      'amiDistributions[0].fastLaunchConfigurations[0].targetSnapshotCount: 0 is invalid; must be an integer from 1 to 10000',
      'amiDistributions[0].fastLaunchConfigurations[1].targetSnapshotCount: 10001 is invalid');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', fastLaunchConfigurations: [{ accountId: '1' }] }] },
      'amiDistributions[0].fastLaunchConfigurations[0].accountId: "1" is invalid');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', fastLaunchConfigurations: [] }] },
      'amiDistributions[0].fastLaunchConfigurations: must not be an empty list');
    expectErrors({ amiDistributions: [{ amiName: 'img-a', fastLaunchConfigurations: Array.from({ length: 1001 }, () => ({})) }] },
      'amiDistributions[0].fastLaunchConfigurations: has 1001 items; at most 1000 are allowed');
  });

  test('Fast Launch launch template needs an ID or a name', () => {
    const stack = newStack();
    const noIdentity = ec2.LaunchTemplate.fromLaunchTemplateAttributes(stack, 'ById', { launchTemplateId: 'lt-0123456789abcdef0' });
    // A hand-made ILaunchTemplate without ID or name.
    const anonymous: ec2.ILaunchTemplate = Object.assign(Object.create(noIdentity), { launchTemplateId: undefined, launchTemplateName: undefined });
    const badId = ec2.LaunchTemplate.fromLaunchTemplateAttributes(stack, 'BadId', { launchTemplateId: 'template' });
    const longName = ec2.LaunchTemplate.fromLaunchTemplateAttributes(stack, 'LongName', { launchTemplateName: 'n'.repeat(1025) });
    new DistributionConfiguration(stack, 'Dist', {
      amiDistributions: [{
        amiName: 'img-a',
        fastLaunchConfigurations: [{ launchTemplate: anonymous }, { launchTemplate: badId }, { launchTemplate: longName }],
      }],
    });
    const message = errorsOf(stack);
    expect(message).toContain('amiDistributions[0].fastLaunchConfigurations[0].launchTemplate: "Stack/ById" is invalid; must have a launchTemplateId or a launchTemplateName');
    expect(message).toContain('amiDistributions[0].fastLaunchConfigurations[1].launchTemplate.launchTemplateId: "template" is invalid');
    expect(message).toContain('amiDistributions[0].fastLaunchConfigurations[2].launchTemplate.launchTemplateName: ');
  });

  test('SSM parameters: account must be a target account, name length, empty list', () => {
    const stack = newStack();
    const parameter = ssm.StringParameter.fromStringParameterName(stack, 'P', '/ami/latest');
    const longName = ssm.StringParameter.fromStringParameterName(stack, 'Long', `/${'p'.repeat(1011)}`);
    new DistributionConfiguration(stack, 'Dist', {
      amiDistributions: [
        { amiName: 'img-a', targetAccountIds: ['222222222222'], ssmParameters: [{ parameter, accountId: '333333333333' }, { parameter, accountId: 'x' }] },
        { region: 'eu-west-1', amiName: 'img-a', ssmParameters: [] },
        { region: 'eu-west-2', amiName: 'img-a', ssmParameters: [{ parameter: longName }] },
      ],
    });
    const message = errorsOf(stack);
    expect(message).toContain('amiDistributions[0].ssmParameters[0].accountId: "333333333333" is invalid; must be one of the distribution\'s targetAccountIds (222222222222)');
    expect(message).toContain('amiDistributions[0].ssmParameters[1].accountId: "x" is invalid; must be a 12-digit AWS account ID');
    expect(message).toContain('amiDistributions[1].ssmParameters: must not be an empty list');
    expect(message).toContain('amiDistributions[2].ssmParameters[0].parameter.parameterName: ');
    expect(message).toContain('must be 1 to 1011 characters long (got 1012)');
  });

  test('SSM parameters: exactly one of parameterName and parameter, name pattern', () => {
    const stack = newStack();
    const parameter = new ssm.StringParameter(stack, 'P', { parameterName: '/ami/latest', stringValue: 'ami-12345678' });
    new DistributionConfiguration(stack, 'Dist', {
      amiDistributions: [{
        amiName: 'img-a',
        ssmParameters: [
          {},
          { parameterName: '/ami/latest', parameter },
          { parameterName: '/ami/bad name!' },
          { parameterName: '' },
          { parameterName: Lazy.string({ produce: () => '/ami/from-a-token' }) },
          { parameterName: '/ami/ok_1.2-3' },
        ],
      }],
    });
    const message = errorsOf(stack);
    expect(message).toContain("amiDistributions[0].ssmParameters[0]: give the parameter's name in parameterName (or the parameter in parameter)");
    expect(message).toContain('amiDistributions[0].ssmParameters[1]: give parameterName or parameter, not both');
    expect(message).toContain('amiDistributions[0].ssmParameters[2].parameterName: "/ami/bad name!" is invalid; must contain only letters, digits, "_", ".", "-" and "/"');
    expect(message).toContain('amiDistributions[0].ssmParameters[3].parameterName: "" is invalid; must be 1 to 1011 characters long (got 0)');
    expect(message).not.toContain('ssmParameters[4]');
    expect(message).not.toContain('ssmParameters[5]');
  });

  test('SSM parameters: an import that CloudFormation resolves at deployment is warned about; a name, an owned parameter or a dynamic reference is not', () => {
    const stack = newStack();
    const byName = ssm.StringParameter.fromStringParameterName(stack, 'ByName', '/golden/by-name');
    Validations.of(stack).acknowledge({ id: 'CloudFormation-Validate::W2001', reason: 'the unused parameter of the SSM import under test' });
    const byArn = ssm.StringParameter.fromStringParameterArn(stack, 'ByArn', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/golden/by-arn`);
    const dynamic = ssm.StringParameter.fromStringParameterAttributes(stack, 'Dynamic', { parameterName: '/golden/dynamic', forceDynamicReference: true });
    const owned = new ssm.StringParameter(stack, 'Owned', { parameterName: '/golden/owned', stringValue: 'ami-12345678' });
    const config = new DistributionConfiguration(stack, 'Dist', {
      amiDistributions: [{
        amiName: 'img-a',
        ssmParameters: [{ parameter: byName }, { parameterName: '/golden/name' }, { parameter: dynamic }, { parameter: owned }],
      }],
    });
    config.addAmiDistribution({ region: 'eu-west-1', amiName: 'img-a', ssmParameters: [{ parameterName: '/golden/name' }, { parameter: byArn }] });
    const warnings = Annotations.fromStack(stack).findWarning('/Stack/Dist', Match.anyValue()).map(w => String(w.entry.data));
    expect(warnings.filter(w => w.includes('ssmParameterResolvedAtDeployment'))).toEqual([
      'amiDistributions[0].ssmParameters[0].parameter: the import of "/golden/by-name" added the CloudFormation parameter '
      + 'Stack/ByName.Parameter, which CloudFormation resolves on every deployment in this stack\'s account and Region: the '
      + 'deployment fails while the SSM parameter does not exist there. Image Builder only needs the name: give '
      + 'parameterName: "/golden/by-name" instead of parameter. [ack: Annotation::cdk-imagebuilder-distribution:ssmParameterResolvedAtDeployment]',
      // aws-cdk-lib's fromStringParameterArn keeps only the last segment of a hierarchical name as parameterName.
      expect.stringMatching(/^amiDistributions\[1\]\.ssmParameters\[1\]\.parameter: the import of "\/golden\/by-arn" added the CloudFormation parameter Stack\/ByArn\.Parameter,.* give parameterName: "\/golden\/by-arn" instead of parameter \(the import's parameterName, which would be written, is "by-arn"\)\. \[ack/),
    ]);
    const names = distributions(stack).map((d: any) => d.SsmParameterConfigurations.map((p: any) => p.ParameterName));
    expect(names).toEqual([
      ['/golden/by-name', '/golden/name', '/golden/dynamic', { Ref: stack.getLogicalId(owned.node.defaultChild as ssm.CfnParameter) }],
      ['/golden/name', 'by-arn'],
    ]);
  });

  test('S3 export prefix', () => {
    const stack = newStack();
    new DistributionConfiguration(stack, 'Dist', {
      amiDistributions: [{
        amiName: 'img-a',
        s3Export: {
          role: iam.Role.fromRoleName(stack, 'Role', 'vmimport'),
          bucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'exports'),
          diskImageFormat: DiskImageFormat.VMDK,
          prefix: '',
        },
      }],
    });
    expect(errorsOf(stack)).toContain('amiDistributions[0].s3Export.prefix: "" is invalid; must be 1 to 1024 characters long');
  });

  test('container description and tags', () => {
    expectErrors({ containerDistributions: [{ repository, description: '' }] },
      'containerDistributions[0].description: "" is invalid');
    expectErrors({ containerDistributions: [{ repository, containerTags: [] }] },
      'containerDistributions[0].containerTags: must not be an empty list');
    expectErrors({ containerDistributions: [{ repository, containerTags: ['latest', ''] }] },
      'containerDistributions[0].containerTags[1]: "" is invalid; must be 1 to 1024 characters long');
    expectErrors({ containerDistributions: [{ repository, containerTags: ['latest', 'latest'] }] },
      'containerDistributions[0].containerTags: "latest" is invalid; each value may appear only once');
  });

  test('distributions added later are validated too', () => {
    const stack = newStack();
    const dist = new DistributionConfiguration(stack, 'Dist', { amiDistributions: [{ amiName: 'img-a' }] });
    dist.addAmiDistribution({ region: 'eu-west-1', amiName: 'img-a', targetAccountIds: ['nope'] });
    dist.addContainerDistribution({ repository: ecr.Repository.fromRepositoryName(stack, 'R', 'web'), description: '' });
    const message = errorsOf(stack);
    expect(message).toContain('amiDistributions[1].targetAccountIds[0]: "nope" is invalid');
    expect(message).toContain('containerDistributions[0].description: "" is invalid');
  });

  test('unresolved tokens are never rejected', () => {
    const stack = agnosticStack();
    const token = (s: string) => Lazy.string({ produce: () => s });
    const repo = ecr.Repository.fromRepositoryName(stack, 'Repo', 'web');
    new DistributionConfiguration(stack, 'Dist', {
      distributionConfigurationName: token('!!'),
      description: token(''),
      amiDistributions: [
        {
          amiName: token('(bad)'),
          amiDescription: token(''),
          targetAccountIds: [Aws.ACCOUNT_ID, token('1')],
          amiTags: { k: token('v'.repeat(300)) },
          kmsKey: new kms.Key(stack, 'Key'),
          launchPermission: { accountIds: [token('x')], organizationArns: [token('x')] },
          licenseConfigurationArns: [token('x')],
          fastLaunchConfigurations: [{
            maxParallelLaunches: Lazy.number({ produce: () => 1 }),
            targetSnapshotCount: Lazy.number({ produce: () => 0 }),
            accountId: Aws.ACCOUNT_ID,
          }],
          ssmParameters: [{ parameter: ssm.StringParameter.fromStringParameterAttributes(stack, 'P', { parameterName: token('x'), simpleName: true }), accountId: Aws.ACCOUNT_ID }],
        },
        { region: token('eu-west-1'), amiName: 'img-a' },
        { region: token('eu-west-1'), amiName: 'img-b' },
      ],
      containerDistributions: [{ repository: repo, region: token('x'), containerTags: [token('')] }],
    });
    // The tokens resolve to invalid values on purpose: only the construct's own synth-time checks are under test
    // here, so CloudFormation's schema check (which sees the resolved values) is off for this one synth.
    withoutSchemaValidation(() => expectValid(stack));
  });
});

describe('shared tag rules (validateTags)', () => {
  function messages(tags: Record<string, string> | undefined, rules?: { maxTags?: number; allowEmpty?: boolean }): string[] {
    const errors = new ValidationErrors();
    validateTags(errors, 'tags', tags, rules);
    return errors.messages;
  }

  test('an empty map is rejected unless allowed; a missing one is fine', () => {
    expect(messages({})).toEqual(['tags: {} is invalid; must have at least one tag, or be left out']);
    expect(messages({}, { allowEmpty: true })).toEqual([]);
    expect(messages(undefined)).toEqual([]);
  });

  test('keys: 1 to 128 characters', () => {
    expect(messages({ ['k'.repeat(128)]: 'v' })).toEqual([]);
    expect(messages({ ['k'.repeat(129)]: 'v' })).toEqual([
      `tags.${'k'.repeat(129)}: "${'k'.repeat(116)}... is invalid; tag keys must be 1 to 128 characters long (got 129)`,
    ]);
    expect(messages({ '': 'v' })).toEqual(['tags.: "" is invalid; tag keys must be 1 to 128 characters long (got 0)']);
  });

  test('keys: letters, digits, spaces and _ . : / = + - @ only', () => {
    expect(messages({ 'ok key_1.a:b/c=d+e-f@g': 'v' })).toEqual([]);
    expect(messages({ 'bad#key': 'v' })).toEqual([
      'tags.bad#key: "bad#key" is invalid; tag keys may contain only letters, digits, spaces and _ . : / = + - @',
    ]);
  });

  test('the limit, and unresolved keys and values', () => {
    const many = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, 'v']));
    expect(messages(many, { maxTags: 30 })).toEqual(['tags: has 31 tags; at most 30 are allowed']);
    const token = Lazy.string({ produce: () => 'bad#key' });
    expect(messages({ [token]: Lazy.string({ produce: () => 'v'.repeat(300) }) })).toEqual([]);
    expect(messages(Lazy.any({ produce: () => ({}) }) as any)).toEqual([]);
  });
});

describe('snapshot', () => {
  test('a multi-Region, multi-account configuration', () => {
    const app = new App();
    const stack = new Stack(app, 'GoldenImages', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const euKey = kms.Key.fromKeyArn(stack, 'EuKey', `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${KEY_ID}`);
    const key = new kms.Key(stack, 'Key');
    const template = ec2.LaunchTemplate.fromLaunchTemplateAttributes(stack, 'Template', { launchTemplateId: 'lt-0123456789abcdef0', versionNumber: '1' });
    const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'golden/base');
    const shared: Partial<AmiDistribution> = {
      amiName: 'golden-windows-{{ imagebuilder:buildDate }}',
      amiTags: { Name: 'golden-windows', CostCenter: 'platform' },
    };
    const dist = new DistributionConfiguration(stack, 'Distribution', {
      distributionConfigurationName: 'golden-windows',
      description: 'Golden Windows AMIs for the workload accounts',
      tags: { Owner: 'platform' },
      amiDistributions: [
        {
          ...shared,
          kmsKey: key,
          targetAccountIds: ['222222222222', '333333333333'],
          launchPermission: { organizationalUnitArns: ['arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdef3456'] },
          launchTemplates: [{ launchTemplate: template, accountId: '222222222222', setDefaultVersion: true }],
          fastLaunchConfigurations: [{ accountId: '222222222222', maxParallelLaunches: 10, targetSnapshotCount: 5, launchTemplate: template }],
          ssmParameters: [{ parameterName: '/golden/windows/latest', accountId: '222222222222' }],
        },
        {
          ...shared,
          region: 'eu-west-1',
          kmsKey: euKey,
          targetAccountIds: ['444444444444'],
          licenseConfigurationArns: [`arn:aws:license-manager:eu-west-1:${ACCOUNT}:license-configuration:lic-0123456789abcdef0123456789abcdef`],
        },
      ],
    });
    const container: ContainerDistribution = { region: 'eu-west-1', repository, containerTags: ['latest'], description: 'Base image' };
    dist.addContainerDistribution(container);
    dist.addAmiDistribution({ ...shared, region: 'ap-southeast-2', launchPermission: { accountIds: ['555555555555'] } });
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });
});
