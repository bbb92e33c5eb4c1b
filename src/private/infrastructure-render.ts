import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { CfnInfrastructureConfigurationProps } from 'aws-cdk-lib/aws-imagebuilder';
import type { InfrastructureConfigurationProps } from '../infrastructure-configuration';
import { MIN_CONTAINER_HOP_LIMIT, type PlacementInput } from './infrastructure-validation';

/*
 * Pure functions that turn the typed props of InfrastructureConfiguration into CloudFormation properties. Nothing here
 * creates constructs, so each can be tested on plain values. The rules live in infrastructure-validation.ts.
 */

/**
 * The object key pattern the build instances may write their logs to: everything under the prefix, or the whole
 * bucket when there is no prefix. A trailing slash of the prefix is ignored so that `logs` and `logs/` both give
 * `logs/*` (never `logs//*`, and never `logs*`, which would also match `logs-of-another-team/...`).
 */
export function logObjectKeyPattern(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '') return '*';
  if (Token.isUnresolved(prefix)) return `${prefix}/*`;
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '*' : `${trimmed}/*`;
}

/** The CloudFormation `Placement` property, or undefined when nothing is set (Image Builder's defaults). */
export function renderPlacement(placement: PlacementInput | undefined): PlacementInput | undefined {
  if (!placement) return undefined;
  const rendered: PlacementInput = {
    availabilityZone: placement.availabilityZone,
    tenancy: placement.tenancy,
    hostId: placement.hostId,
    hostResourceGroupArn: placement.hostResourceGroupArn,
  };
  return Object.values(rendered).some(v => v !== undefined) ? rendered : undefined;
}

/** The default hop limit: one hop, the API's own default, except for container builds, which need two. */
export function defaultHopLimit(containerBuilds: boolean): number {
  return containerBuilds ? MIN_CONTAINER_HOP_LIMIT : 1;
}

/** The instance metadata options with their defaults: IMDSv2, and the hop limit of `defaultHopLimit`. */
export interface MetadataOptions {
  readonly httpTokens: string;
  readonly hopLimit: number;
}

export function renderMetadataOptions(props: InfrastructureConfigurationProps): MetadataOptions {
  return {
    httpTokens: props.httpTokens ?? ec2.HttpTokens.REQUIRED,
    hopLimit: props.httpPutResponseHopLimit ?? defaultHopLimit(props.containerBuilds ?? false),
  };
}

/** What the construct decides before rendering: the names and IDs of what it created, chose or was given. */
export interface InfrastructureRenderInput {
  readonly props: InfrastructureConfigurationProps;
  readonly name: string;
  readonly instanceProfileName: string;
  /** Undefined outside a VPC, or when the subnet cannot be known at synth. */
  readonly subnetId?: string;
  readonly securityGroupIds: readonly string[];
  readonly metadata: MetadataOptions;
}

/** The properties of `AWS::ImageBuilder::InfrastructureConfiguration`. */
export function renderInfrastructureConfiguration(input: InfrastructureRenderInput): CfnInfrastructureConfigurationProps {
  const { props, metadata } = input;
  return {
    name: input.name,
    description: props.description,
    instanceProfileName: input.instanceProfileName,
    instanceTypes: props.instanceTypes?.map(t => t.toString()),
    subnetId: input.subnetId,
    securityGroupIds: input.securityGroupIds.length > 0 ? [...input.securityGroupIds] : undefined,
    keyPair: props.keyPair?.keyPairName,
    terminateInstanceOnFailure: props.terminateInstanceOnFailure ?? true,
    instanceMetadataOptions: { httpTokens: metadata.httpTokens, httpPutResponseHopLimit: metadata.hopLimit },
    snsTopicArn: props.notificationTopic?.topicArn,
    logging: props.logging ? {
      s3Logs: { s3BucketName: props.logging.s3Bucket.bucketName, s3KeyPrefix: props.logging.s3KeyPrefix },
    } : undefined,
    placement: renderPlacement(props.placement),
    resourceTags: props.resourceTags,
    tags: props.tags,
  };
}
