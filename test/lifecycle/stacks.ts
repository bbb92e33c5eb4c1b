// The stacks the lifecycle tests deploy: each variant is a new App with the same construct tree (so the same logical
// IDs), as successive versions of one user's stack.
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ACCOUNT, DeployedTemplate, REGION } from './harness';
import { DiskImageFormat, DistributeImage, DistributeImageSource, DistributionConfiguration, DistributionConfigurationPatch } from '../../src';
import { DISTRIBUTE_IMAGE_RESOURCE_TYPE, PATCH_RESOURCE_TYPE } from '../../src/private/handler-contract';

export const CONFIG_ARN = `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:distribution-configuration/shared`;
export const OTHER_CONFIG_ARN = `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:distribution-configuration/other`;

export interface PatchVariant {
  readonly configArn?: string;
  readonly bucket?: string;
  readonly format?: DiskImageFormat;
  /** Also share the AMI with this account (a merge into amiDistributionConfiguration). */
  readonly shareWith?: string;
}

export function patchStack(v: PatchVariant = {}): { stack: Stack; template: DeployedTemplate; logicalId: string } {
  const stack = new Stack(new App(), 'Lifecycle', { env: { account: ACCOUNT, region: REGION } });
  const config = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Shared', v.configArn ?? CONFIG_ARN);
  const patch = new DistributionConfigurationPatch(stack, 'Patch', { distributionConfiguration: config });
  patch.setS3Export(REGION, {
    role: iam.Role.fromRoleName(stack, 'VmImport', 'vmimport'),
    bucket: s3.Bucket.fromBucketName(stack, 'Bucket', v.bucket ?? 'disk-images'),
    diskImageFormat: v.format ?? DiskImageFormat.RAW,
  });
  if (v.shareWith) patch.addTargetAccounts(REGION, v.shareWith);
  const template = DeployedTemplate.of(stack);
  return { stack, template, logicalId: template.logicalIdOfType(PATCH_RESOURCE_TYPE) };
}

export interface DistributeVariant {
  readonly source?: string;
  readonly configArn?: string;
  readonly tags?: Record<string, string>;
  readonly removalPolicy?: RemovalPolicy;
  readonly timeout?: Duration;
}

export function distributeStack(v: DistributeVariant = {}): { stack: Stack; template: DeployedTemplate; logicalId: string } {
  const stack = new Stack(new App(), 'Lifecycle', { env: { account: ACCOUNT, region: REGION } });
  const config = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Shared', v.configArn ?? CONFIG_ARN);
  new DistributeImage(stack, 'Distribute', {
    source: DistributeImageSource.fromAmiId(v.source ?? 'ami-0123456789abcdef0'),
    distributionConfiguration: config,
    tags: v.tags ?? { release: '1' },
    removalPolicy: v.removalPolicy ?? RemovalPolicy.DESTROY,
    ...(v.timeout ? { timeout: v.timeout } : {}),
  });
  const template = DeployedTemplate.of(stack);
  return { stack, template, logicalId: template.logicalIdOfType(DISTRIBUTE_IMAGE_RESOURCE_TYPE) };
}
