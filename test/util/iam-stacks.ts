/**
 * The stacks whose roles the over-the-wire tests run as: each builds the constructs the tests drive, synthesizes them,
 * and returns the roles (./iam-template.ts) and the custom resources' properties, resolved for the test account.
 * The handler's calls are then authorized against exactly what the constructs grant.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IamRoles } from './iam-template';
import { DiskImageFormat, DistributeImage, DistributeImageSource, DistributionConfiguration, DistributionConfigurationPatch } from '../../src';

export interface WireWorld {
  readonly world: IamRoles;
  /** The ARN of the provider's role: what the Lambda's own keys belong to. */
  readonly providerRoleArn: string;
  /** The resolved properties of each custom resource, by construct id. */
  readonly properties: Record<string, Record<string, string>>;
}

function synth(stack: Stack, ids: string[], type: string): WireWorld {
  const world = IamRoles.fromTemplates({ [stack.stackName]: Template.fromStack(stack).toJSON() }, { account: stack.account, region: stack.region });
  const properties = Object.fromEntries(ids.map((id) => [id, world.propertiesOf(type, id)]));
  return { world, providerRoleArn: world.byLogicalId('ImageBuilderDistributionProviderRole').arn, properties };
}

/**
 * DistributeImage of an AMI with an imported configuration and execution role, tags and a log group, as
 * wire-distribute.test.ts sends it: `Retain` (RemovalPolicy.RETAIN), `Destroy` and `Other` (RemovalPolicy.DESTROY).
 */
export function distributeWorld(account: string, configArn: string, executionRoleArn: string): WireWorld {
  const stack = new Stack(new App(), 'wire', { env: { account, region: 'us-east-1' } });
  const config = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Config', configArn);
  const executionRole = iam.Role.fromRoleArn(stack, 'Exec', executionRoleArn);
  const logGroup = logs.LogGroup.fromLogGroupName(stack, 'Logs', '/aws/imagebuilder/wire');
  const ids = { Retain: RemovalPolicy.RETAIN, Destroy: RemovalPolicy.DESTROY, Other: RemovalPolicy.DESTROY };
  for (const [id, removalPolicy] of Object.entries(ids)) {
    new DistributeImage(stack, id, {
      source: DistributeImageSource.fromAmiId('ami-0123456789abcdef0'),
      distributionConfiguration: config,
      executionRole,
      logGroup,
      tags: { team: 'platform' },
      removalPolicy,
    });
  }
  new DistributeImage(stack, 'FromParameter', {
    source: DistributeImageSource.fromSsmParameterName('/golden/ami/latest'),
    distributionConfiguration: config,
    executionRole,
  });
  return synth(stack, [...Object.keys(ids), 'FromParameter'], 'Custom::ImageBuilderDistributeImage');
}

/**
 * A DistributionConfigurationPatch of an imported configuration, as wire-update.test.ts sends it: `Patch` sets an S3
 * export with role `exportRoleName`; `Other` adds a target account.
 */
export function patchWorld(configArn: string, exportRoleName: string, stackRegion?: string): WireWorld {
  const [, , , region, account] = configArn.split(':');
  const stack = new Stack(new App(), 'TestStack', { env: { account, region: stackRegion ?? region } });
  const config = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Config', configArn);
  const patch = new DistributionConfigurationPatch(stack, 'Patch', { distributionConfiguration: config });
  patch.setS3Export(region, {
    role: iam.Role.fromRoleName(stack, 'ExportRole', exportRoleName),
    bucket: s3.Bucket.fromBucketName(stack, 'Exports', 'exports'),
    diskImageFormat: DiskImageFormat.VMDK,
    prefix: 'app/',
  });
  const other = new DistributionConfigurationPatch(stack, 'Other', { distributionConfiguration: config });
  other.addTargetAccounts(region, '333333333333');
  return synth(stack, ['Patch', 'Other'], 'Custom::ImageBuilderDistributionConfigurationPatch');
}
