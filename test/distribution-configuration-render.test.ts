import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { DiskImageFormat } from '../src';
import { renderApiDistribution, renderCfnDistribution } from '../src/private/distribution-render';
import { validateAmiDistribution, validateContainerDistribution } from '../src/private/distribution-validation';
import { ValidationErrors } from '../src/private/validation';

const ACCOUNT = '111111111111';
const stack = new Stack(new App(), 'Stack', { env: { account: ACCOUNT, region: 'us-east-1' } });
const key = kms.Key.fromKeyArn(stack, 'Key', `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
const template = ec2.LaunchTemplate.fromLaunchTemplateAttributes(stack, 'Template', { launchTemplateId: 'lt-0123456789abcdef0', versionNumber: '2' });
const parameter = ssm.StringParameter.fromStringParameterAttributes(stack, 'Param', { parameterName: '/ami/latest', simpleName: false });
const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'apps/web');
const role = iam.Role.fromRoleName(stack, 'Role', 'vmimport');
const bucket = s3.Bucket.fromBucketName(stack, 'Bucket', 'exports');

const ami = {
  amiName: 'golden {{ imagebuilder:buildDate }}',
  amiDescription: 'Golden',
  targetAccountIds: ['222222222222'],
  amiTags: { 'Mixed:Case': 'v' },
  kmsKey: key,
  launchPermission: { accountIds: ['333333333333'], isPublicUserGroup: true },
  licenseConfigurationArns: [`arn:aws:license-manager:us-east-1:${ACCOUNT}:license-configuration:lic-0123456789abcdef0123456789abcdef`],
  launchTemplates: [{ launchTemplate: template, accountId: '222222222222', setDefaultVersion: false }],
  fastLaunchConfigurations: [{ launchTemplate: template, maxParallelLaunches: 8, targetSnapshotCount: 3 }],
  ssmParameters: [{ parameter, accountId: '222222222222', dataType: ssm.ParameterDataType.AWS_EC2_IMAGE }],
  s3Export: { role, bucket, diskImageFormat: DiskImageFormat.VMDK, prefix: 'exports/' },
};

test('renderApiDistribution renders the Image Builder API shape (camelCase, with S3 export)', () => {
  expect(stack.resolve(renderApiDistribution('us-east-1', ami, { repository, containerTags: ['v1'], description: 'Web' }))).toEqual({
    region: 'us-east-1',
    amiDistributionConfiguration: {
      name: 'golden {{ imagebuilder:buildDate }}',
      description: 'Golden',
      targetAccountIds: ['222222222222'],
      amiTags: { 'Mixed:Case': 'v' },
      kmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      launchPermission: { userIds: ['333333333333'], userGroups: ['all'] },
    },
    containerDistributionConfiguration: {
      description: 'Web',
      containerTags: ['v1'],
      targetRepository: { service: 'ECR', repositoryName: 'apps/web' },
    },
    licenseConfigurationArns: [`arn:aws:license-manager:us-east-1:${ACCOUNT}:license-configuration:lic-0123456789abcdef0123456789abcdef`],
    launchTemplateConfigurations: [{ launchTemplateId: 'lt-0123456789abcdef0', accountId: '222222222222', setDefaultVersion: false }],
    s3ExportConfiguration: { roleName: 'vmimport', diskImageFormat: 'VMDK', s3Bucket: 'exports', s3Prefix: 'exports/' },
    fastLaunchConfigurations: [{
      enabled: true,
      snapshotConfiguration: { targetResourceCount: 3 },
      maxParallelLaunches: 8,
      launchTemplate: { launchTemplateId: 'lt-0123456789abcdef0', launchTemplateVersion: '2' },
    }],
    ssmParameterConfigurations: [{ amiAccountId: '222222222222', parameterName: '/ami/latest', dataType: 'aws:ec2:image' }],
  });
});

test('renderApiDistribution leaves out what is not set', () => {
  expect(renderApiDistribution('eu-west-1', {})).toEqual({ region: 'eu-west-1' });
  expect(renderApiDistribution('eu-west-1', { launchPermission: { isPublicUserGroup: false } })).toEqual({ region: 'eu-west-1' });
});

test('renderCfnDistribution writes PascalCase keys where the L1 is untyped and drops S3 export', () => {
  const cfn: any = renderCfnDistribution(renderApiDistribution('us-east-1', ami, { repository }));
  expect(Object.keys(cfn.amiDistributionConfiguration).sort()).toEqual(
    ['AmiTags', 'Description', 'KmsKeyId', 'LaunchPermissionConfiguration', 'Name', 'TargetAccountIds']);
  expect(cfn.amiDistributionConfiguration.LaunchPermissionConfiguration).toEqual({ UserIds: ['333333333333'], UserGroups: ['all'] });
  expect(cfn.amiDistributionConfiguration.AmiTags).toEqual({ 'Mixed:Case': 'v' });
  expect(cfn.containerDistributionConfiguration).toEqual({ TargetRepository: { Service: 'ECR', RepositoryName: 'apps/web' } });
  expect(cfn).not.toHaveProperty('s3ExportConfiguration');
  // Typed members stay camelCase: the L1 converts them.
  expect(Object.keys(cfn).sort()).toEqual([
    'amiDistributionConfiguration', 'containerDistributionConfiguration', 'fastLaunchConfigurations',
    'launchTemplateConfigurations', 'licenseConfigurationArns', 'region', 'ssmParameterConfigurations',
  ]);
});

test('per-entry validators are usable on their own', () => {
  const errors = new ValidationErrors();
  const context = { region: 'us-east-1', stackRegion: 'us-east-1', account: '111111111111', warn: () => undefined };
  validateAmiDistribution(errors, 'amiDistributions[0]', { ...ami, targetAccountIds: ['1'] }, context);
  validateContainerDistribution(errors, 'containerDistributions[0]', { repository, description: '' }, context);
  expect(errors.messages).toEqual([
    'amiDistributions[0].targetAccountIds[0]: "1" is invalid; must be a 12-digit AWS account ID',
    'amiDistributions[0].ssmParameters[0].accountId: "222222222222" is invalid; must be one of the distribution\'s targetAccountIds (1)',
    'containerDistributions[0].description: "" is invalid; must be 1 to 1024 characters long (got 0)',
  ]);
});
