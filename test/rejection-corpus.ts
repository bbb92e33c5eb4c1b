/**
 * A corpus of inputs that a deployment would reject (or that the library must warn about because synth cannot decide),
 * one per case, each with where the rejection comes from and a valid control: the same input made valid, which must
 * synthesize without the error or warning. test/rejection-corpus.test.ts runs every case; every rule of
 * src/private/rules.ts has at least one.
 */
import { App, Fn, Lazy, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import {
  AmiDistribution, DiskImageFormat, DistributeImage, ExecutionRolePolicy, DistributeImageProps, DistributeImageSource, DistributionConfiguration,
  DistributionConfigurationPatch, InfrastructureConfiguration, InfrastructureConfigurationProps, S3ExportConfiguration, Tenancy,
} from '../src';
import type { RuleConstruct, RuleId } from '../src/private/rules';

export const ACCOUNT = '111111111111';
export const REGION = 'us-east-1';
const OTHER_ACCOUNT = '222222222222';
const AMI_NAME = 'golden-{{ imagebuilder:buildDate }}';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const LT_ID = 'lt-0123456789abcdef0';
const CONFIG_ARN = `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:distribution-configuration/golden`;

export interface CorpusCase {
  /** What the case shows. */
  readonly name: string;
  readonly construct: RuleConstruct;
  readonly rule: RuleId;
  /** Where the deploy-time rejection (or the reason for the warning) comes from. */
  readonly source: string;
  /** The prop path the error or warning names first. */
  readonly path: string;
  /** Builds the rejected input. */
  readonly invalid: (stack: Stack) => void;
  /** The same input made valid: it must synthesize, without the rule's error or warning. */
  readonly valid: (stack: Stack) => void;
  /** An environment-agnostic stack instead of account 111111111111 in us-east-1. */
  readonly agnostic?: boolean;
}

// ---- builders ------------------------------------------------------------------------------------------------------

function config(stack: Stack, ami: Partial<AmiDistribution> = {}, more: Partial<AmiDistribution>[] = []): DistributionConfiguration {
  return new DistributionConfiguration(stack, 'Config', {
    amiDistributions: [{ amiName: AMI_NAME, ...ami }, ...more.map(m => ({ amiName: AMI_NAME, ...m }))],
  });
}

function exportRole(stack: Stack, service = 'vmie.amazonaws.com'): iam.IRole {
  return new iam.Role(stack, 'ExportRole', { assumedBy: new iam.ServicePrincipal(service) });
}

function s3Export(stack: Stack, change: Partial<S3ExportConfiguration> = {}): S3ExportConfiguration {
  return {
    role: change.role ?? exportRole(stack),
    bucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'exports'),
    diskImageFormat: DiskImageFormat.VMDK,
    ...change,
  };
}

function ownTemplate(stack: Stack): ec2.LaunchTemplate {
  return new ec2.LaunchTemplate(stack, 'Template', { instanceType: new ec2.InstanceType('t3.micro') });
}

function importedTemplate(stack: Stack): ec2.ILaunchTemplate {
  return ec2.LaunchTemplate.fromLaunchTemplateAttributes(stack, 'Template', { launchTemplateId: LT_ID });
}

function infra(stack: Stack, props: InfrastructureConfigurationProps = {}): InfrastructureConfiguration {
  return new InfrastructureConfiguration(stack, 'Infra', props);
}

function patch(stack: Stack, arn = CONFIG_ARN): DistributionConfigurationPatch {
  return new DistributionConfigurationPatch(stack, 'Patch', {
    distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Target', arn),
  });
}

function distribute(stack: Stack, props: Partial<DistributeImageProps> = {}): DistributeImage {
  return new DistributeImage(stack, 'Distribute', {
    source: DistributeImageSource.fromAmiId('ami-0123456789abcdef0'),
    distributionConfiguration: props.distributionConfiguration ?? config(stack),
    ...props,
  });
}

function hierarchy(levels: number): string {
  return Array.from({ length: levels }, (_, i) => `/l${i}`).join('');
}

const DOC_SSM = 'SSM API Reference, PutParameter Name naming constraints';
const DOC_MODEL = 'Image Builder API model (botocore imagebuilder-2019-12-02)';

// ---- the corpus ----------------------------------------------------------------------------------------------------

export const CORPUS: CorpusCase[] = [
  // DistributionConfiguration
  {
    name: 'AMI name with a slash',
    construct: 'DistributionConfiguration',
    rule: 'imageBuilderModel',
    source: `${DOC_MODEL}: AmiNameString`,
    path: 'amiDistributions[0].amiName',
    invalid: s => config(s, { amiName: 'golden/{{ imagebuilder:buildDate }}' }),
    valid: s => config(s, { amiName: 'golden-{{ imagebuilder:buildDate }}' }),
  },
  {
    name: 'launch template ID of the wrong form',
    construct: 'DistributionConfiguration',
    rule: 'imageBuilderModel',
    source: `${DOC_MODEL}: LaunchTemplateId`,
    path: 'amiDistributions[0].launchTemplates[0].launchTemplate.launchTemplateId',
    invalid: s => config(s, { launchTemplates: [{ launchTemplate: ec2.LaunchTemplate.fromLaunchTemplateAttributes(s, 'T', { launchTemplateId: 'lt-123' }) }] }),
    valid: s => config(s, { launchTemplates: [{ launchTemplate: ec2.LaunchTemplate.fromLaunchTemplateAttributes(s, 'T', { launchTemplateId: LT_ID }) }] }),
  },
  {
    name: 'license configuration ARN of another service',
    construct: 'DistributionConfiguration',
    rule: 'imageBuilderModel',
    source: `${DOC_MODEL}: LicenseConfigurationArn`,
    path: 'amiDistributions[0].licenseConfigurationArns[0]',
    invalid: s => config(s, { licenseConfigurationArns: [`arn:aws:iam::${ACCOUNT}:role/license`] }),
    valid: s => config(s, { licenseConfigurationArns: [`arn:aws:license-manager:${REGION}:${ACCOUNT}:license-configuration:lic-0123456789abcdef0123456789abcdef`] }),
  },
  {
    name: 'Region name without its number',
    construct: 'DistributionConfiguration',
    rule: 'regionName',
    source: 'AWS General Reference, Region codes',
    path: 'amiDistributions[0].region',
    invalid: s => config(s, { region: 'eu-west' }),
    valid: s => config(s, { region: 'eu-west-1' }),
  },
  {
    name: 'a European Sovereign Cloud Region is valid (issue 13)',
    construct: 'DistributionConfiguration',
    rule: 'regionName',
    source: 'AWS European Sovereign Cloud, Region code eusc-de-east-1',
    path: 'amiDistributions[0].region',
    invalid: s => config(s, { region: 'eusc-de-east' }),
    valid: s => config(s, { region: 'eusc-de-east-1' }),
  },
  {
    name: 'AMI tag key with the reserved prefix in capitals',
    construct: 'DistributionConfiguration',
    rule: 'ec2TagKeys',
    source: 'Amazon EC2 User Guide, tag restrictions (aws: in any case)',
    path: 'amiDistributions[0].amiTags.AWS:Team',
    invalid: s => config(s, { amiTags: { 'AWS:Team': 'images' } }),
    valid: s => config(s, { amiTags: { Team: 'images' } }),
  },
  {
    name: 'configuration tag key with the lowercase reserved prefix; "AWS:" follows the model and is valid',
    construct: 'DistributionConfiguration',
    rule: 'imageBuilderTagKeys',
    source: `${DOC_MODEL}: TagKey ^(?!aws:)`,
    path: 'tags.aws:team',
    invalid: s => new DistributionConfiguration(s, 'Config', { amiDistributions: [{ amiName: AMI_NAME }], tags: { 'aws:team': 'x' } }),
    valid: s => new DistributionConfiguration(s, 'Config', { amiDistributions: [{ amiName: AMI_NAME }], tags: { 'AWS:team': 'x' } }),
  },
  {
    name: 'two AMI distributions to one Region',
    construct: 'DistributionConfiguration',
    rule: 'oneDistributionPerRegion',
    source: 'Image Builder API Reference, CreateDistributionConfiguration',
    path: 'amiDistributions[1].region',
    invalid: s => config(s, { region: 'eu-west-1' }, [{ region: 'eu-west-1' }]),
    valid: s => config(s, { region: 'eu-west-1' }, [{ region: 'eu-west-2' }]),
  },
  {
    name: 'launch template imported by name',
    construct: 'DistributionConfiguration',
    rule: 'launchTemplateById',
    source: `${DOC_MODEL}: LaunchTemplateConfiguration.launchTemplateId`,
    path: 'amiDistributions[0].launchTemplates[0].launchTemplate',
    invalid: s => config(s, { launchTemplates: [{ launchTemplate: ec2.LaunchTemplate.fromLaunchTemplateAttributes(s, 'T', { launchTemplateName: 'web' }) }] }),
    valid: s => config(s, { launchTemplates: [{ launchTemplate: importedTemplate(s) }] }),
  },
  {
    name: 'Fast Launch with 5 parallel launches',
    construct: 'DistributionConfiguration',
    rule: 'fastLaunchParallelLaunches',
    source: 'EC2 API Reference, EnableFastLaunch MaxParallelLaunches',
    path: 'amiDistributions[0].fastLaunchConfigurations[0].maxParallelLaunches',
    invalid: s => config(s, { fastLaunchConfigurations: [{ maxParallelLaunches: 5 }] }),
    valid: s => config(s, { fastLaunchConfigurations: [{ maxParallelLaunches: 6 }] }),
  },
  {
    name: 'output parameter for an account the AMI does not go to',
    construct: 'DistributionConfiguration',
    rule: 'ssmOutputAccountIsTarget',
    source: `${DOC_MODEL}: SsmParameterConfiguration.amiAccountId`,
    path: 'amiDistributions[0].ssmParameters[0].accountId',
    invalid: s => config(s, { targetAccountIds: ['333333333333'], ssmParameters: [{ parameterName: '/golden/ami', accountId: OTHER_ACCOUNT }] }),
    valid: s => config(s, { targetAccountIds: [OTHER_ACCOUNT], ssmParameters: [{ parameterName: '/golden/ami', accountId: OTHER_ACCOUNT }] }),
  },
  {
    name: 'output parameter under /aws',
    construct: 'DistributionConfiguration',
    rule: 'ssmOutputReservedName',
    source: DOC_SSM,
    path: 'amiDistributions[0].ssmParameters[0].parameterName',
    invalid: s => config(s, { ssmParameters: [{ parameterName: '/aws/golden/ami' }] }),
    valid: s => config(s, { ssmParameters: [{ parameterName: '/golden/aws/ami' }] }),
  },
  {
    name: 'output parameter named SSM...',
    construct: 'DistributionConfiguration',
    rule: 'ssmOutputReservedName',
    source: DOC_SSM,
    path: 'amiDistributions[0].ssmParameters[0].parameterName',
    invalid: s => config(s, { ssmParameters: [{ parameterName: 'SSMGoldenAmi' }] }),
    valid: s => config(s, { ssmParameters: [{ parameterName: 'GoldenAmiSSM' }] }),
  },
  {
    name: 'hierarchical output parameter without its leading slash',
    construct: 'DistributionConfiguration',
    rule: 'ssmOutputHierarchy',
    source: 'SSM User Guide, parameter hierarchies (fully qualified names)',
    path: 'amiDistributions[0].ssmParameters[0].parameterName',
    invalid: s => config(s, { ssmParameters: [{ parameterName: 'golden/ami' }] }),
    valid: s => config(s, { ssmParameters: [{ parameterName: '/golden/ami' }] }),
  },
  {
    name: 'output parameter 16 levels deep',
    construct: 'DistributionConfiguration',
    rule: 'ssmOutputHierarchy',
    source: 'SSM API Reference, HierarchyLevelLimitExceededException (15 levels)',
    path: 'amiDistributions[0].ssmParameters[0].parameterName',
    invalid: s => config(s, { ssmParameters: [{ parameterName: hierarchy(16) }] }),
    valid: s => config(s, { ssmParameters: [{ parameterName: hierarchy(15) }] }),
  },
  {
    name: 'disk image format a Python caller misspelled',
    construct: 'DistributionConfiguration',
    rule: 'enumValue',
    source: `${DOC_MODEL}: DiskImageFormat enum`,
    path: 'amiDistributions[0].s3Export.diskImageFormat',
    invalid: s => config(s, { s3Export: s3Export(s, { diskImageFormat: 'vmdk' as DiskImageFormat }) }),
    valid: s => config(s, { s3Export: s3Export(s, { diskImageFormat: DiskImageFormat.VMDK }) }),
  },
  {
    name: 'SSM data type given as a CloudFormation parameter type',
    construct: 'DistributionConfiguration',
    rule: 'enumValue',
    source: `${DOC_MODEL}: SsmParameterDataType enum`,
    path: 'amiDistributions[0].ssmParameters[0].dataType',
    invalid: s => config(s, { ssmParameters: [{ parameterName: '/golden/ami', dataType: 'AWS::EC2::Image::Id' as ssm.ParameterDataType }] }),
    valid: s => config(s, { ssmParameters: [{ parameterName: '/golden/ami', dataType: ssm.ParameterDataType.AWS_EC2_IMAGE }] }),
  },
  {
    name: 'S3 export role created in the app for the wrong service',
    construct: 'DistributionConfiguration',
    rule: 's3ExportRoleTrust',
    source: 'VM Import/Export User Guide, required service role',
    path: 'amiDistributions[0].s3Export.role',
    invalid: s => config(s, { s3Export: s3Export(s, { role: exportRole(s, 'ec2.amazonaws.com') }) }),
    valid: s => config(s, { s3Export: s3Export(s, { role: exportRole(s) }) }),
  },
  {
    name: 'imported S3 export role: trust checked at deploy',
    construct: 'DistributionConfiguration',
    rule: 'roleTrustUnknown',
    source: 'VM Import/Export User Guide, required service role',
    path: 'amiDistributions[0].s3Export.role',
    invalid: s => config(s, { s3Export: s3Export(s, { role: iam.Role.fromRoleName(s, 'R', 'vmimport') }) }),
    valid: s => config(s, { s3Export: s3Export(s) }),
  },
  {
    name: 'KMS key of another Region',
    construct: 'DistributionConfiguration',
    rule: 'kmsKeyInDistributionRegion',
    source: 'EC2 API Reference, CopyImage KmsKeyId',
    path: 'amiDistributions[0].kmsKey',
    invalid: s => config(s, { region: 'eu-west-1', kmsKey: kms.Key.fromKeyArn(s, 'K', `arn:aws:kms:us-west-2:${ACCOUNT}:key/${KEY_ID}`) }),
    valid: s => config(s, { region: 'eu-west-1', kmsKey: kms.Key.fromKeyArn(s, 'K', `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${KEY_ID}`) }),
  },
  {
    name: 'launch template of the app distributed to another Region',
    construct: 'DistributionConfiguration',
    rule: 'resourceInDistributionEnvironment',
    source: 'EC2 launch template IDs are Regional; Image Builder looks them up in the distribution Region',
    path: 'amiDistributions[0].launchTemplates[0].launchTemplate',
    invalid: s => config(s, { region: 'eu-west-1', launchTemplates: [{ launchTemplate: ownTemplate(s) }] }),
    valid: s => config(s, { region: REGION, launchTemplates: [{ launchTemplate: ownTemplate(s) }] }),
  },
  {
    name: 'launch template of the app said to be of another account',
    construct: 'DistributionConfiguration',
    rule: 'resourceInDistributionEnvironment',
    source: `${DOC_MODEL}: LaunchTemplateConfiguration.accountId`,
    path: 'amiDistributions[0].launchTemplates[0].launchTemplate',
    invalid: s => config(s, { targetAccountIds: [OTHER_ACCOUNT], launchTemplates: [{ launchTemplate: ownTemplate(s), accountId: OTHER_ACCOUNT }] }),
    valid: s => config(s, { targetAccountIds: [OTHER_ACCOUNT], launchTemplates: [{ launchTemplate: ownTemplate(s) }] }),
  },
  {
    name: 'Fast Launch template of the app in another Region',
    construct: 'DistributionConfiguration',
    rule: 'resourceInDistributionEnvironment',
    source: 'EC2 API Reference, EnableFastLaunch LaunchTemplate (Regional)',
    path: 'amiDistributions[0].fastLaunchConfigurations[0].launchTemplate',
    invalid: s => config(s, { region: 'eu-west-1', fastLaunchConfigurations: [{ launchTemplate: ownTemplate(s) }] }),
    valid: s => config(s, { region: REGION, fastLaunchConfigurations: [{ launchTemplate: ownTemplate(s) }] }),
  },
  {
    name: 'Fast Launch for a target account',
    construct: 'DistributionConfiguration',
    rule: 'crossAccountFastLaunch',
    source: 'Image Builder User Guide, cross-account distribution role (no ec2:EnableFastLaunch)',
    path: 'amiDistributions[0].fastLaunchConfigurations[0].accountId',
    invalid: s => config(s, { targetAccountIds: [OTHER_ACCOUNT], fastLaunchConfigurations: [{ accountId: OTHER_ACCOUNT }] }),
    valid: s => config(s, { targetAccountIds: [OTHER_ACCOUNT], fastLaunchConfigurations: [{ accountId: ACCOUNT }] }),
  },
  {
    name: 'ECR repository of the app used by name in another Region',
    construct: 'DistributionConfiguration',
    rule: 'namedResourceElsewhere',
    source: `${DOC_MODEL}: TargetContainerRepository.repositoryName`,
    path: 'containerDistributions[0].repository',
    invalid: s => new DistributionConfiguration(s, 'Config', { containerDistributions: [{ region: 'eu-west-1', repository: new ecr.Repository(s, 'Repo') }] }),
    valid: s => new DistributionConfiguration(s, 'Config', { containerDistributions: [{ region: 'eu-west-1', repository: ecr.Repository.fromRepositoryName(s, 'Repo', 'images') }] }),
  },
  {
    name: 'SSM output parameter of the app written in another Region',
    construct: 'DistributionConfiguration',
    rule: 'namedResourceElsewhere',
    source: `${DOC_MODEL}: SsmParameterConfiguration.parameterName`,
    path: 'amiDistributions[0].ssmParameters[0].parameter',
    invalid: s => config(s, { region: 'eu-west-1', ssmParameters: [{ parameter: new ssm.StringParameter(s, 'P', { parameterName: '/golden/ami', stringValue: 'x' }) }] }),
    valid: s => config(s, { region: REGION, ssmParameters: [{ parameter: new ssm.StringParameter(s, 'P', { parameterName: '/golden/ami', stringValue: 'x' }) }] }),
  },
  {
    name: 'S3 export role of another account, sent by name',
    construct: 'DistributionConfiguration',
    rule: 'namedResourceElsewhere',
    source: `${DOC_MODEL}: S3ExportConfiguration.roleName`,
    path: 'amiDistributions[0].s3Export.role',
    invalid: s => config(s, { s3Export: s3Export(s, { role: iam.Role.fromRoleArn(s, 'R', `arn:aws:iam::${OTHER_ACCOUNT}:role/vmimport`) }) }),
    valid: s => config(s, { s3Export: s3Export(s, { role: iam.Role.fromRoleArn(s, 'R', `arn:aws:iam::${ACCOUNT}:role/vmimport`) }) }),
  },
  {
    name: 'KMS key Region against the deploy-time Region of an environment-agnostic stack',
    construct: 'DistributionConfiguration',
    rule: 'environmentUndecided',
    source: 'EC2 API Reference, CopyImage KmsKeyId',
    path: 'amiDistributions[0].kmsKey',
    agnostic: true,
    invalid: s => config(s, { kmsKey: kms.Key.fromKeyArn(s, 'K', `arn:aws:kms:us-west-2:${ACCOUNT}:key/${KEY_ID}`) }),
    valid: s => config(s, { region: 'us-west-2', kmsKey: kms.Key.fromKeyArn(s, 'K', `arn:aws:kms:us-west-2:${ACCOUNT}:key/${KEY_ID}`) }),
  },
  {
    name: 'imported launch template for another Region than the stack',
    construct: 'DistributionConfiguration',
    rule: 'environmentUndecided',
    source: 'EC2 launch template IDs are Regional',
    path: 'amiDistributions[0].launchTemplates[0].launchTemplate',
    invalid: s => config(s, { region: 'eu-west-1', launchTemplates: [{ launchTemplate: importedTemplate(s) }] }),
    valid: s => config(s, { region: REGION, launchTemplates: [{ launchTemplate: importedTemplate(s) }] }),
  },
  {
    name: 'public AMI',
    construct: 'DistributionConfiguration',
    rule: 'publicAmi',
    source: 'EC2 User Guide, public AMIs',
    path: 'amiDistributions[0].launchPermission.isPublicUserGroup',
    invalid: s => config(s, { launchPermission: { isPublicUserGroup: true } }),
    valid: s => config(s, { launchPermission: { accountIds: [OTHER_ACCOUNT] } }),
  },
  {
    name: 'output parameter imported as a CloudFormation parameter',
    construct: 'DistributionConfiguration',
    rule: 'ssmParameterResolvedAtDeployment',
    source: 'CloudFormation User Guide, SSM parameter types',
    path: 'amiDistributions[0].ssmParameters[0].parameter',
    invalid: s => {
      // aws-cdk-lib reports the same hazard as an unused template parameter (CloudFormation Validate W2001): expected.
      Validations.of(s).acknowledge({ id: 'CloudFormation-Validate::W2001', reason: 'the SSM import this rule is about' });
      config(s, { ssmParameters: [{ parameter: ssm.StringParameter.fromStringParameterName(s, 'P', '/golden/ami') }] });
    },
    valid: s => config(s, { ssmParameters: [{ parameterName: '/golden/ami' }] }),
  },

  {
    name: 'output parameter name known only at deploy time',
    construct: 'DistributionConfiguration',
    rule: 'deployTimeValue',
    source: DOC_SSM,
    path: 'amiDistributions[0].ssmParameters[0].parameterName',
    invalid: s => config(s, { ssmParameters: [{ parameterName: Fn.importValue('GoldenParameterName') }] }),
    valid: s => config(s, { ssmParameters: [{ parameterName: '/golden/ami' }] }),
  },
  {
    name: 'output parameter of the app: its literal name is checked (its attribute is a token)',
    construct: 'DistributionConfiguration',
    rule: 'ssmOutputReservedName',
    source: DOC_SSM,
    path: 'amiDistributions[0].ssmParameters[0].parameter.parameterName',
    invalid: s => config(s, { ssmParameters: [{ parameter: new ssm.StringParameter(s, 'P', { parameterName: '/aws/golden', stringValue: 'x' }) }] }),
    valid: s => config(s, { ssmParameters: [{ parameter: new ssm.StringParameter(s, 'P', { parameterName: '/golden/ami', stringValue: 'x' }) }] }),
  },

  // InfrastructureConfiguration
  {
    name: 'name of two characters',
    construct: 'InfrastructureConfiguration',
    rule: 'imageBuilderModel',
    source: `${DOC_MODEL}: ResourceName`,
    path: 'infrastructureConfigurationName',
    invalid: s => infra(s, { infrastructureConfigurationName: 'ab' }),
    valid: s => infra(s, { infrastructureConfigurationName: 'abc' }),
  },
  {
    name: 'hop limit 65',
    construct: 'InfrastructureConfiguration',
    rule: 'imageBuilderModel',
    source: `${DOC_MODEL}: HttpPutResponseHopLimit`,
    path: 'httpPutResponseHopLimit',
    invalid: s => infra(s, { httpPutResponseHopLimit: 65 }),
    valid: s => infra(s, { httpPutResponseHopLimit: 64 }),
  },
  {
    name: 'Dedicated Host without host tenancy',
    construct: 'InfrastructureConfiguration',
    rule: 'placementHost',
    source: `${DOC_MODEL}: Placement`,
    path: 'placement.tenancy',
    invalid: s => infra(s, { placement: { tenancy: Tenancy.DEDICATED, hostId: 'h-0123456789abcdef0' } }),
    valid: s => infra(s, { placement: { tenancy: Tenancy.HOST, hostId: 'h-0123456789abcdef0' } }),
  },
  {
    name: 'host resource group ARN with its ID is valid (issue 13)',
    construct: 'InfrastructureConfiguration',
    rule: 'placementHost',
    source: 'AWS Resource Groups ARN format group/<name>/<id>',
    path: 'placement.hostResourceGroupArn',
    invalid: s => infra(s, { placement: { tenancy: Tenancy.HOST, hostResourceGroupArn: `arn:aws:ec2:${REGION}:${ACCOUNT}:host/h-0123456789abcdef0` } }),
    valid: s => infra(s, { placement: { tenancy: Tenancy.HOST, hostResourceGroupArn: `arn:aws:resource-groups:${REGION}:${ACCOUNT}:group/hosts/0123456789abcdef0123456789abcdef` } }),
  },
  {
    name: 'subnet selection of two subnets',
    construct: 'InfrastructureConfiguration',
    rule: 'vpcSubnet',
    source: `${DOC_MODEL}: InfrastructureConfiguration.subnetId`,
    path: 'subnetSelection',
    invalid: s => infra(s, { vpc: new ec2.Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 1 }), subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }),
    valid: s => infra(s, { vpc: new ec2.Vpc(s, 'Vpc', { maxAzs: 1, natGateways: 1 }), subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }),
  },
  {
    name: 'container builds with one hop',
    construct: 'InfrastructureConfiguration',
    rule: 'containerHopLimit',
    source: 'Image Builder User Guide, container builds with IMDSv2',
    path: 'httpPutResponseHopLimit',
    invalid: s => infra(s, { containerBuilds: true, httpPutResponseHopLimit: 1 }),
    valid: s => infra(s, { containerBuilds: true, httpPutResponseHopLimit: 2 }),
  },
  {
    name: 'build instance tag key "Aws:"',
    construct: 'InfrastructureConfiguration',
    rule: 'ec2TagKeys',
    source: 'Amazon EC2 User Guide, tag restrictions',
    path: 'resourceTags.Aws:owner',
    invalid: s => infra(s, { resourceTags: { 'Aws:owner': 'images' } }),
    valid: s => infra(s, { resourceTags: { owner: 'images' } }),
  },
  {
    name: 'tenancy a Java caller spelled "shared"',
    construct: 'InfrastructureConfiguration',
    rule: 'enumValue',
    source: `${DOC_MODEL}: TenancyType enum`,
    path: 'placement.tenancy',
    invalid: s => infra(s, { placement: { tenancy: 'shared' as Tenancy } }),
    valid: s => infra(s, { placement: { tenancy: Tenancy.DEFAULT } }),
  },
  {
    name: 'httpTokens in capitals from a .NET caller',
    construct: 'InfrastructureConfiguration',
    rule: 'enumValue',
    source: `${DOC_MODEL}: HttpTokens`,
    path: 'httpTokens',
    invalid: s => infra(s, { httpTokens: 'REQUIRED' as ec2.HttpTokens }),
    valid: s => infra(s, { httpTokens: ec2.HttpTokens.REQUIRED }),
  },
  {
    name: 'FIFO topic of the app (issue 13)',
    construct: 'InfrastructureConfiguration',
    rule: 'notificationTopicStandard',
    source: `${DOC_MODEL}: SnsTopicArn pattern`,
    path: 'notificationTopic',
    invalid: s => infra(s, { notificationTopic: new sns.Topic(s, 'Topic', { fifo: true, topicName: 'builds' }) }),
    valid: s => infra(s, { notificationTopic: new sns.Topic(s, 'Topic', { topicName: 'builds' }) }),
  },
  {
    name: 'imported FIFO topic',
    construct: 'InfrastructureConfiguration',
    rule: 'notificationTopicStandard',
    source: `${DOC_MODEL}: SnsTopicArn pattern`,
    path: 'notificationTopic',
    invalid: s => infra(s, { notificationTopic: sns.Topic.fromTopicArn(s, 'Topic', `arn:aws:sns:${REGION}:${ACCOUNT}:builds.fifo`) }),
    valid: s => infra(s, { notificationTopic: sns.Topic.fromTopicArn(s, 'Topic', `arn:aws:sns:${REGION}:${ACCOUNT}:builds`) }),
  },
  {
    name: 'notification topic imported by a deploy-time ARN',
    construct: 'InfrastructureConfiguration',
    rule: 'deployTimeValue',
    source: `${DOC_MODEL}: SnsTopicArn pattern`,
    path: 'notificationTopic',
    invalid: s => infra(s, { notificationTopic: sns.Topic.fromTopicArn(s, 'Topic', Fn.importValue('BuildTopicArn')) }),
    valid: s => infra(s, { notificationTopic: sns.Topic.fromTopicArn(s, 'Topic', `arn:aws:sns:${REGION}:${ACCOUNT}:builds`) }),
  },
  {
    name: 'instance role of the app trusted by Image Builder instead of EC2',
    construct: 'InfrastructureConfiguration',
    rule: 'instanceRoleTrust',
    source: 'IAM User Guide, roles for applications on EC2 instances',
    path: 'role',
    invalid: s => infra(s, { role: new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('imagebuilder.amazonaws.com') }) }),
    valid: s => infra(s, { role: new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }) }),
  },
  {
    name: 'imported instance role: trust checked at deploy',
    construct: 'InfrastructureConfiguration',
    rule: 'roleTrustUnknown',
    source: 'IAM User Guide, roles for applications on EC2 instances',
    path: 'role',
    invalid: s => infra(s, { role: iam.Role.fromRoleName(s, 'Role', 'builders') }),
    valid: s => infra(s, { role: new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }) }),
  },
  {
    name: 'KMS-encrypted notification topic',
    construct: 'InfrastructureConfiguration',
    rule: 'infrastructureEncryptedTopic',
    source: `${DOC_MODEL}: InfrastructureConfiguration.snsTopicArn`,
    path: 'notificationTopic',
    invalid: s => infra(s, { notificationTopic: new sns.Topic(s, 'Topic', { masterKey: new kms.Key(s, 'Key') }) }),
    valid: s => infra(s, { notificationTopic: new sns.Topic(s, 'Topic') }),
  },
  {
    name: 'S3 logs with an instance profile whose role is unknown',
    construct: 'InfrastructureConfiguration',
    rule: 'infrastructureLoggingNoRole',
    source: 'Image Builder User Guide, S3 logs',
    path: 'logging',
    invalid: s => infra(s, {
      instanceProfile: iam.InstanceProfile.fromInstanceProfileName(s, 'Profile', 'builders'),
      logging: { s3Bucket: s3.Bucket.fromBucketName(s, 'Logs', 'logs') },
    }),
    valid: s => infra(s, { logging: { s3Bucket: s3.Bucket.fromBucketName(s, 'Logs', 'logs') } }),
  },
  {
    name: 'subnet zone that cannot be compared at synth',
    construct: 'InfrastructureConfiguration',
    rule: 'infrastructureSubnetUnknown',
    source: `${DOC_MODEL}: InfrastructureConfiguration.subnetId`,
    path: 'subnetSelection',
    agnostic: true,
    invalid: s => infra(s, {
      vpc: new ec2.Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 1 }),
      subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: [Token.asString(Lazy.string({ produce: () => 'us-east-1a' }))] },
    }),
    valid: s => {
      const vpc = new ec2.Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 1 });
      infra(s, { vpc, subnetSelection: { subnets: [vpc.privateSubnets[0]] } });
    },
  },

  // DistributionConfigurationPatch
  {
    name: 'patch of a configuration of another account; another Region of this account is fine',
    construct: 'DistributionConfigurationPatch',
    rule: 'configurationEnvironment',
    source: 'Image Builder: UpdateDistributionConfiguration acts in the caller\'s account only',
    path: 'distributionConfiguration',
    invalid: s => patch(s, `arn:aws:imagebuilder:${REGION}:${OTHER_ACCOUNT}:distribution-configuration/golden`).addTargetAccounts(REGION, OTHER_ACCOUNT),
    valid: s => patch(s, `arn:aws:imagebuilder:eu-west-1:${ACCOUNT}:distribution-configuration/golden`).addTargetAccounts(REGION, OTHER_ACCOUNT),
  },
  {
    name: 'patch of a configuration given as a deploy-time ARN',
    construct: 'DistributionConfigurationPatch',
    rule: 'environmentUndecided',
    source: 'Image Builder: UpdateDistributionConfiguration acts in the caller\'s account only',
    path: 'distributionConfiguration',
    invalid: s => patch(s, Fn.importValue('GoldenConfigArn')).addTargetAccounts(REGION, OTHER_ACCOUNT),
    valid: s => patch(s).addTargetAccounts(REGION, OTHER_ACCOUNT),
  },
  {
    name: 'merge into a Region the known configuration does not distribute to',
    construct: 'DistributionConfigurationPatch',
    rule: 'patchTargetHasRegion',
    source: 'lambda/merge.ts: nothing to merge into',
    path: 'regions.eu-west-1',
    invalid: s => new DistributionConfigurationPatch(s, 'Patch', { distributionConfiguration: config(s, { region: REGION }) }).addTargetAccounts('eu-west-1', OTHER_ACCOUNT),
    valid: s => new DistributionConfigurationPatch(s, 'Patch', { distributionConfiguration: config(s, { region: REGION }) }).addTargetAccounts(REGION, OTHER_ACCOUNT),
  },
  {
    name: 'target account of four digits',
    construct: 'DistributionConfigurationPatch',
    rule: 'imageBuilderModel',
    source: `${DOC_MODEL}: AccountId`,
    path: `regions.${REGION}.targetAccountIds[0]`,
    invalid: s => patch(s).addTargetAccounts(REGION, '1234'),
    valid: s => patch(s).addTargetAccounts(REGION, OTHER_ACCOUNT),
  },
  {
    name: 'merge into a Region name without its number',
    construct: 'DistributionConfigurationPatch',
    rule: 'regionName',
    source: 'AWS General Reference, Region codes',
    path: 'regions.eu-west.region',
    invalid: s => patch(s).addTargetAccounts('eu-west', OTHER_ACCOUNT),
    valid: s => patch(s).addTargetAccounts('eu-west-1', OTHER_ACCOUNT),
  },
  {
    name: 'patch writes an output parameter under /ssm',
    construct: 'DistributionConfigurationPatch',
    rule: 'ssmOutputReservedName',
    source: DOC_SSM,
    path: 'amiDistributions[0].ssmParameters[0].parameterName',
    invalid: s => patch(s).addAmiDistribution({ region: 'eu-west-1', amiName: AMI_NAME, ssmParameters: [{ parameterName: '/ssm/golden' }] }),
    valid: s => patch(s).addAmiDistribution({ region: 'eu-west-1', amiName: AMI_NAME, ssmParameters: [{ parameterName: '/golden/ssm' }] }),
  },
  {
    name: 'patch S3 export with a role trusted by EC2',
    construct: 'DistributionConfigurationPatch',
    rule: 's3ExportRoleTrust',
    source: 'VM Import/Export User Guide, required service role',
    path: `regions.${REGION}.s3Export.role`,
    invalid: s => patch(s).setS3Export(REGION, s3Export(s, { role: exportRole(s, 'ec2.amazonaws.com') })),
    valid: s => patch(s).setS3Export(REGION, s3Export(s)),
  },
  {
    name: 'patch replaces a Region with an AMI tag "AWS:"',
    construct: 'DistributionConfigurationPatch',
    rule: 'ec2TagKeys',
    source: 'Amazon EC2 User Guide, tag restrictions',
    path: 'amiDistributions[0].amiTags.AWS:x',
    invalid: s => patch(s).addAmiDistribution({ region: 'eu-west-1', amiName: AMI_NAME, amiTags: { 'AWS:x': 'y' } }),
    valid: s => patch(s).addAmiDistribution({ region: 'eu-west-1', amiName: AMI_NAME, amiTags: { x: 'y' } }),
  },

  // DistributeImage
  {
    name: 'image ARN with wildcards and a build number (issue 13)',
    construct: 'DistributeImage',
    rule: 'distributeImageSource',
    source: `${DOC_MODEL}: ImageVersionArnOrBuildVersionArn`,
    path: 'source',
    invalid: s => distribute(s, { source: DistributeImageSource.fromImageArn(`arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image/golden/x.x.x/1`) }),
    valid: s => distribute(s, { source: DistributeImageSource.fromImageArn(`arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image/golden/1.0.0/1`) }),
  },
  {
    name: 'SSM source given with the ssm: prefix',
    construct: 'DistributeImage',
    rule: 'distributeImageSource',
    source: 'Image Builder User Guide, enhanced AMI distribution (ssm:<parameter>)',
    path: 'source',
    invalid: s => distribute(s, { source: DistributeImageSource.fromSsmParameterName('ssm:/golden/ami') }),
    valid: s => distribute(s, { source: DistributeImageSource.fromSsmParameterName('/golden/ami') }),
  },
  {
    name: 'SSM parameter ARN as the source is valid (issue 13); a malformed one is not',
    construct: 'DistributeImage',
    rule: 'imageBuilderModel',
    source: 'Image Builder User Guide, enhanced AMI distribution (SSM parameter source)',
    path: 'source',
    invalid: s => distribute(s, { source: DistributeImageSource.fromSsmParameterName(`arn:aws:ssm:${REGION}:${OTHER_ACCOUNT}:golden/ami`) }),
    valid: s => distribute(s, { source: DistributeImageSource.fromSsmParameterName(`arn:aws:ssm:${REGION}:${OTHER_ACCOUNT}:parameter/golden/ami`) }),
  },
  {
    name: 'source AMI known only at deploy time',
    construct: 'DistributeImage',
    rule: 'deployTimeValue',
    source: 'DistributeImage API Reference, sourceImage',
    path: 'source',
    invalid: s => distribute(s, { source: DistributeImageSource.fromAmiId(Fn.importValue('GoldenAmiId')) }),
    // A parameter of the app is a token too, but aws-cdk-lib checks its name: no warning.
    valid: s => distribute(s, { source: DistributeImageSource.fromSsmParameter(new ssm.StringParameter(s, 'P', { stringValue: 'ami-12345678' })) }),
  },
  {
    name: 'AMI ID of three hex digits',
    construct: 'DistributeImage',
    rule: 'imageBuilderModel',
    source: 'DistributeImage API Reference, sourceImage',
    path: 'source',
    invalid: s => distribute(s, { source: DistributeImageSource.fromAmiId('ami-123') }),
    valid: s => distribute(s, { source: DistributeImageSource.fromAmiId('ami-12345678') }),
  },
  {
    name: 'log group of the app named with "#" (issue 13)',
    construct: 'DistributeImage',
    rule: 'logGroupName',
    source: `${DOC_MODEL}: LogGroupName`,
    path: 'logGroup',
    invalid: s => distribute(s, { logGroup: new logs.LogGroup(s, 'Logs', { logGroupName: '/images/#golden' }) }),
    valid: s => distribute(s, { logGroup: new logs.LogGroup(s, 'Logs', { logGroupName: '/images/golden' }) }),
  },
  {
    name: 'imported log group named with "#"',
    construct: 'DistributeImage',
    rule: 'logGroupName',
    source: `${DOC_MODEL}: LogGroupName`,
    path: 'logGroup',
    invalid: s => distribute(s, { logGroup: logs.LogGroup.fromLogGroupName(s, 'Logs', 'images#golden') }),
    valid: s => distribute(s, { logGroup: logs.LogGroup.fromLogGroupName(s, 'Logs', 'images-golden') }),
  },
  {
    name: 'configuration of another Region',
    construct: 'DistributeImage',
    rule: 'configurationEnvironment',
    source: 'DistributeImage API Reference ("must be in the same Region")',
    path: 'distributionConfiguration',
    invalid: s => distribute(s, { distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', `arn:aws:imagebuilder:eu-west-1:${ACCOUNT}:distribution-configuration/golden`) }),
    valid: s => distribute(s, { distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', CONFIG_ARN) }),
  },
  {
    name: 'configuration of another account',
    construct: 'DistributeImage',
    rule: 'configurationEnvironment',
    source: 'Image Builder: distribution configurations have no resource policies',
    path: 'distributionConfiguration',
    invalid: s => distribute(s, { distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', `arn:aws:imagebuilder:${REGION}:${OTHER_ACCOUNT}:distribution-configuration/golden`) }),
    valid: s => distribute(s, { distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', CONFIG_ARN) }),
  },
  {
    name: 'configuration given as a deploy-time ARN',
    construct: 'DistributeImage',
    rule: 'environmentUndecided',
    source: 'DistributeImage API Reference ("must be in the same Region")',
    path: 'distributionConfiguration',
    invalid: s => distribute(s, { distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', Fn.importValue('GoldenConfigArn')) }),
    valid: s => distribute(s, { distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', CONFIG_ARN) }),
  },
  {
    name: 'execution role of the app trusted by EC2',
    construct: 'DistributeImage',
    rule: 'executionRoleTrust',
    source: 'Image Builder User Guide, execution role',
    path: 'executionRole',
    invalid: s => distribute(s, { executionRole: new iam.Role(s, 'Exec', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }) }),
    valid: s => distribute(s, { executionRole: new iam.Role(s, 'Exec', { assumedBy: new iam.ServicePrincipal('imagebuilder.amazonaws.com') }) }),
  },
  {
    name: 'execution role of another account',
    construct: 'DistributeImage',
    rule: 'executionRoleAccount',
    source: 'IAM User Guide, passing a role to a service (same account)',
    path: 'executionRole',
    invalid: s => distribute(s, { executionRole: iam.Role.fromRoleArn(s, 'Exec', `arn:aws:iam::${OTHER_ACCOUNT}:role/distribution`) }),
    valid: s => distribute(s, { executionRole: iam.Role.fromRoleArn(s, 'Exec', `arn:aws:iam::${ACCOUNT}:role/distribution`) }),
  },
  {
    name: 'imported execution role: trust checked at deploy',
    construct: 'DistributeImage',
    rule: 'roleTrustUnknown',
    source: 'Image Builder User Guide, execution role',
    path: 'executionRole',
    invalid: s => distribute(s, { executionRole: iam.Role.fromRoleName(s, 'Exec', 'distribution') }),
    valid: s => distribute(s),
  },
  {
    name: 'removal policy SNAPSHOT, which DistributeImage does not implement',
    construct: 'DistributeImage',
    rule: 'enumValue',
    source: 'DistributeImage: RETAIN or DESTROY',
    path: 'removalPolicy',
    invalid: s => distribute(s, { removalPolicy: RemovalPolicy.SNAPSHOT }),
    valid: s => distribute(s, { removalPolicy: RemovalPolicy.DESTROY }),
  },
  {
    name: 'AMI ID attribute of a Region without AMI distribution',
    construct: 'DistributeImage',
    rule: 'amiAttributeProduced',
    source: 'Image Builder User Guide, AMI distribution (AMIs per Region)',
    path: 'amiIdInRegion',
    invalid: s => distribute(s).amiIdInRegion('eu-west-1'),
    valid: s => distribute(s).amiIdInRegion(REGION),
  },
  {
    name: 'AMI ID attribute of an account the AMI does not go to',
    construct: 'DistributeImage',
    rule: 'amiAttributeProduced',
    source: 'Image Builder User Guide, cross-account distribution (targetAccountIds)',
    path: 'amiId',
    invalid: s => distribute(s, { distributionConfiguration: config(s, { targetAccountIds: [OTHER_ACCOUNT] }) }).amiId(REGION, '333333333333'),
    valid: s => distribute(s, { distributionConfiguration: config(s, { targetAccountIds: [OTHER_ACCOUNT] }) }).amiId(REGION, OTHER_ACCOUNT),
  },
  {
    name: 'AMI ID attribute of an imported configuration',
    construct: 'DistributeImage',
    rule: 'amiAttributeUnchecked',
    source: 'CloudFormation Fn::GetAtt of a custom resource attribute',
    path: 'amiIdInRegion',
    invalid: s => distribute(s, { distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', CONFIG_ARN) }).amiIdInRegion(REGION),
    valid: s => distribute(s).amiIdInRegion(REGION),
  },
  {
    name: 'DistributeImage with a launch template of another account',
    construct: 'DistributeImage',
    rule: 'sourceAccountOnlyConfigurations',
    source: 'Image Builder User Guide, ApplyImageConfigurations step action',
    path: 'distributionConfiguration',
    invalid: s => distribute(s, {
      executionRole: new iam.Role(s, 'Exec', { assumedBy: new iam.ServicePrincipal('imagebuilder.amazonaws.com') }),
      distributionConfiguration: config(s, {
        targetAccountIds: [OTHER_ACCOUNT],
        launchTemplates: [{ launchTemplate: importedTemplate(s), accountId: OTHER_ACCOUNT }],
      }),
    }),
    valid: s => distribute(s, {
      executionRole: new iam.Role(s, 'Exec', { assumedBy: new iam.ServicePrincipal('imagebuilder.amazonaws.com') }),
      distributionConfiguration: config(s, { targetAccountIds: [OTHER_ACCOUNT], launchTemplates: [{ launchTemplate: importedTemplate(s) }] }),
    }),
  },
  {
    name: 'AMI-ID source shared by a given execution role',
    construct: 'DistributeImage',
    rule: 'untaggedSourceAmi',
    source: 'AWS managed policy EC2ImageBuilderExecutionPolicy: ec2:ModifyImageAttribute needs the tag CreatedBy "EC2 Image Builder"',
    path: 'executionRole',
    invalid: s => distribute(s, {
      executionRole: new iam.Role(s, 'Exec', { assumedBy: new iam.ServicePrincipal('imagebuilder.amazonaws.com') }),
      distributionConfiguration: config(s, { launchPermission: { accountIds: [OTHER_ACCOUNT] } }),
    }),
    valid: s => distribute(s, { distributionConfiguration: config(s, { launchPermission: { accountIds: [OTHER_ACCOUNT] } }) }),
  },
  {
    name: 'executionRolePolicy with a given execution role',
    construct: 'DistributeImage',
    rule: 'executionRolePolicyWithRole',
    source: 'this library: docs/iam.md',
    path: 'executionRolePolicy',
    invalid: s => distribute(s, {
      executionRole: new iam.Role(s, 'Exec', { assumedBy: new iam.ServicePrincipal('imagebuilder.amazonaws.com') }),
      executionRolePolicy: ExecutionRolePolicy.MANAGED_POLICY,
    }),
    valid: s => distribute(s, { executionRolePolicy: ExecutionRolePolicy.MANAGED_POLICY }),
  },
  {
    name: 'distributed image tag with the lowercase reserved prefix',
    construct: 'DistributeImage',
    rule: 'imageBuilderTagKeys',
    source: `${DOC_MODEL}: TagKey`,
    path: 'tags.aws:team',
    invalid: s => distribute(s, { tags: { 'aws:team': 'images' } }),
    valid: s => distribute(s, { tags: { team: 'images' } }),
  },
];

/** A stack for a case: account 111111111111 in us-east-1, or environment-agnostic. */
export function caseStack(c: CorpusCase): Stack {
  return new Stack(new App(), 'Corpus', c.agnostic ? {} : { env: { account: ACCOUNT, region: REGION } });
}
