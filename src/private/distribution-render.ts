/**
 * Pure renderers from the typed distribution props to the Image Builder API shape (camelCase, as the SDK and the
 * custom-resource handlers use it) and from there to the CloudFormation shape of CfnDistributionConfiguration.
 */
import type { CfnDistributionConfiguration } from 'aws-cdk-lib/aws-imagebuilder';
import type {
  AmiDistribution,
  AmiLaunchPermission,
  ContainerDistribution,
  FastLaunchConfiguration,
  LaunchTemplateDistribution,
  S3ExportConfiguration,
  SsmParameterDistribution,
} from '../distribution-configuration';

// The Image Builder API's `Distribution` shape (see @aws-sdk/client-imagebuilder), with values that may be tokens.
export interface ApiLaunchPermission {
  readonly userIds?: string[];
  readonly userGroups?: string[];
  readonly organizationArns?: string[];
  readonly organizationalUnitArns?: string[];
}

export interface ApiAmiDistributionConfiguration {
  readonly name?: string;
  readonly description?: string;
  readonly targetAccountIds?: string[];
  readonly amiTags?: Record<string, string>;
  readonly kmsKeyId?: string;
  readonly launchPermission?: ApiLaunchPermission;
}

export interface ApiContainerDistributionConfiguration {
  readonly description?: string;
  readonly containerTags?: string[];
  readonly targetRepository: { readonly service: string; readonly repositoryName: string };
}

export interface ApiLaunchTemplateConfiguration {
  readonly launchTemplateId: string;
  readonly accountId?: string;
  readonly setDefaultVersion?: boolean;
}

export interface ApiFastLaunchConfiguration {
  readonly enabled: boolean;
  readonly snapshotConfiguration?: { readonly targetResourceCount?: number };
  readonly maxParallelLaunches?: number;
  readonly launchTemplate?: { readonly launchTemplateId?: string; readonly launchTemplateName?: string; readonly launchTemplateVersion?: string };
  readonly accountId?: string;
}

export interface ApiSsmParameterConfiguration {
  readonly amiAccountId?: string;
  readonly parameterName: string;
  readonly dataType?: string;
}

export interface ApiS3ExportConfiguration {
  readonly roleName: string;
  readonly diskImageFormat: string;
  readonly s3Bucket: string;
  readonly s3Prefix?: string;
}

export interface ApiDistribution {
  readonly region: string;
  readonly amiDistributionConfiguration?: ApiAmiDistributionConfiguration;
  readonly containerDistributionConfiguration?: ApiContainerDistributionConfiguration;
  readonly licenseConfigurationArns?: string[];
  readonly launchTemplateConfigurations?: ApiLaunchTemplateConfiguration[];
  readonly s3ExportConfiguration?: ApiS3ExportConfiguration;
  readonly fastLaunchConfigurations?: ApiFastLaunchConfiguration[];
  readonly ssmParameterConfigurations?: ApiSsmParameterConfiguration[];
}

/**
 * Renders one regional distribution in the Image Builder API's shape. License configurations, launch templates,
 * Fast Launch, SSM parameters and S3 export are Region-level in the API but belong to the AMI distribution in the
 * props. Unset values are left out rather than rendered as undefined.
 */
export function renderApiDistribution(region: string, ami?: AmiDistribution, container?: ContainerDistribution): ApiDistribution {
  const out: Writable<ApiDistribution> = { region };
  put(out, 'amiDistributionConfiguration', ami && renderApiAmiDistributionConfiguration(ami));
  put(out, 'containerDistributionConfiguration', container && renderApiContainerDistributionConfiguration(container));
  put(out, 'licenseConfigurationArns', ami?.licenseConfigurationArns);
  put(out, 'launchTemplateConfigurations', ami?.launchTemplates?.map(renderApiLaunchTemplate));
  put(out, 's3ExportConfiguration', ami?.s3Export && renderApiS3Export(ami.s3Export));
  put(out, 'fastLaunchConfigurations', ami?.fastLaunchConfigurations?.map(renderApiFastLaunch));
  put(out, 'ssmParameterConfigurations', ami?.ssmParameters?.map(renderApiSsmParameter));
  return out;
}

export function renderApiAmiDistributionConfiguration(ami: AmiDistribution): ApiAmiDistributionConfiguration | undefined {
  const out: Writable<ApiAmiDistributionConfiguration> = {};
  put(out, 'name', ami.amiName);
  put(out, 'description', ami.amiDescription);
  put(out, 'targetAccountIds', ami.targetAccountIds);
  put(out, 'amiTags', ami.amiTags);
  put(out, 'kmsKeyId', ami.kmsKey?.keyArn);
  put(out, 'launchPermission', ami.launchPermission && renderApiLaunchPermission(ami.launchPermission));
  return Object.keys(out).length > 0 ? out : undefined;
}

export function renderApiLaunchPermission(permission: AmiLaunchPermission): ApiLaunchPermission | undefined {
  const out: Writable<ApiLaunchPermission> = {};
  put(out, 'userIds', permission.accountIds);
  put(out, 'userGroups', permission.isPublicUserGroup ? ['all'] : undefined);
  put(out, 'organizationArns', permission.organizationArns);
  put(out, 'organizationalUnitArns', permission.organizationalUnitArns);
  return Object.keys(out).length > 0 ? out : undefined;
}

export function renderApiContainerDistributionConfiguration(container: ContainerDistribution): ApiContainerDistributionConfiguration {
  return compact({
    description: container.description,
    containerTags: container.containerTags,
    targetRepository: { service: 'ECR', repositoryName: container.repository.repositoryName },
  });
}

export function renderApiLaunchTemplate(config: LaunchTemplateDistribution): ApiLaunchTemplateConfiguration {
  return compact({
    // Validation reports a template without an ID; the API requires one.
    launchTemplateId: config.launchTemplate.launchTemplateId!,
    accountId: config.accountId,
    setDefaultVersion: config.setDefaultVersion,
  });
}

export function renderApiFastLaunch(config: FastLaunchConfiguration): ApiFastLaunchConfiguration {
  const template = config.launchTemplate;
  return compact({
    enabled: config.enabled ?? true,
    snapshotConfiguration: config.targetSnapshotCount !== undefined ? { targetResourceCount: config.targetSnapshotCount } : undefined,
    maxParallelLaunches: config.maxParallelLaunches,
    // The API takes an ID or a name, not both.
    launchTemplate: template && compact({
      launchTemplateId: template.launchTemplateId,
      launchTemplateName: template.launchTemplateId === undefined ? template.launchTemplateName : undefined,
      launchTemplateVersion: template.versionNumber,
    }),
    accountId: config.accountId,
  });
}

/** The name of an SSM output parameter: `parameterName`, or the name of `parameter` (validation requires one). */
export function ssmParameterName(config: SsmParameterDistribution): string {
  return config.parameterName ?? config.parameter?.parameterName ?? '';
}

export function renderApiSsmParameter(config: SsmParameterDistribution): ApiSsmParameterConfiguration {
  return compact({
    amiAccountId: config.accountId,
    parameterName: ssmParameterName(config),
    dataType: config.dataType ?? 'aws:ec2:image',
  });
}

export function renderApiS3Export(config: S3ExportConfiguration): ApiS3ExportConfiguration {
  return compact({
    roleName: config.role.roleName,
    diskImageFormat: config.diskImageFormat,
    s3Bucket: config.bucket.bucketName,
    s3Prefix: config.prefix,
  });
}

/**
 * Turns an API-shaped distribution into CfnDistributionConfiguration's `DistributionProperty`.
 *
 * aws-cdk-lib types `amiDistributionConfiguration` and `containerDistributionConfiguration` as `any` and emits them
 * verbatim, so their keys are written in CloudFormation's PascalCase here (aws/aws-cdk#26912, #34407, #34758); the
 * AMI's `launchPermission` is `LaunchPermissionConfiguration` in CloudFormation. The other members are typed and
 * converted by the L1. Tag keys are user data and are never case-converted. S3 export is not in CloudFormation's
 * schema and is left out.
 */
export function renderCfnDistribution(api: ApiDistribution): CfnDistributionConfiguration.DistributionProperty {
  // Not compacted: the only consumer is the L1, and aws-cdk-lib's resolver leaves undefined members out of the
  // template, so copying them would only allocate (see CONTRIBUTING.md, Benchmarks).
  return {
    region: api.region,
    amiDistributionConfiguration: api.amiDistributionConfiguration && renderCfnAmiDistributionConfiguration(api.amiDistributionConfiguration),
    containerDistributionConfiguration: api.containerDistributionConfiguration
      && renderCfnContainerDistributionConfiguration(api.containerDistributionConfiguration),
    licenseConfigurationArns: api.licenseConfigurationArns,
    launchTemplateConfigurations: api.launchTemplateConfigurations,
    fastLaunchConfigurations: api.fastLaunchConfigurations,
    ssmParameterConfigurations: api.ssmParameterConfigurations,
  };
}

export function renderCfnAmiDistributionConfiguration(ami: ApiAmiDistributionConfiguration): Record<string, unknown> {
  const permission = ami.launchPermission;
  return {
    Name: ami.name,
    Description: ami.description,
    TargetAccountIds: ami.targetAccountIds,
    AmiTags: ami.amiTags,
    KmsKeyId: ami.kmsKeyId,
    LaunchPermissionConfiguration: permission && {
      UserIds: permission.userIds,
      UserGroups: permission.userGroups,
      OrganizationArns: permission.organizationArns,
      OrganizationalUnitArns: permission.organizationalUnitArns,
    },
  };
}

export function renderCfnContainerDistributionConfiguration(container: ApiContainerDistributionConfiguration): Record<string, unknown> {
  return {
    Description: container.description,
    ContainerTags: container.containerTags,
    TargetRepository: {
      Service: container.targetRepository.service,
      RepositoryName: container.targetRepository.repositoryName,
    },
  };
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Sets a member only when it has a value. The renderers that run for every Region of every configuration build their
 * objects this way, member by member, instead of `compact`ing a literal: one object instead of two.
 */
function put<T, K extends keyof T>(out: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) out[key] = value;
}

/**
 * Drops undefined members so that rendered objects only hold what was set. A plain loop: this runs several times per
 * Region of every distribution configuration, and `Object.fromEntries(Object.entries(...).filter(...))` allocates an
 * array per member and builds a dictionary-mode object that aws-cdk-lib's resolver then walks more slowly.
 */
function compact<T extends object>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) {
    const value = (obj as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as T;
}
