/**
 * The contract between the constructs (which write these resource properties) and the custom-resource handler
 * in lambda/ (which reads them). Types only, no CDK imports: the handler bundle imports this file too.
 *
 * CloudFormation passes every scalar custom-resource property as a string, so structured values travel as JSON
 * strings (rendered with `Stack.toJsonString`, which keeps deploy-time tokens resolvable).
 */

/** The role Image Builder assumes in each target account for cross-account distribution (its documented name). */
export const CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME = 'EC2ImageBuilderDistributionCrossAccountRole';

export const PATCH_RESOURCE_TYPE = 'Custom::ImageBuilderDistributionConfigurationPatch';
export const DISTRIBUTE_IMAGE_RESOURCE_TYPE = 'Custom::ImageBuilderDistributeImage';

/**
 * Environment variables of the handler functions, set by the provider construct (never by an event), that confine
 * the handler: the ARN prefix of the provider's own handler roles, and the ID of the provider's stack.
 */
export const HANDLER_ROLE_ARN_PREFIX_ENV = 'HANDLER_ROLE_ARN_PREFIX';
export const HANDLER_STACK_ID_ENV = 'HANDLER_STACK_ID';

/**
 * SSM parameters that hold the leases of distribution configurations (lambda/lease.ts), in the configuration's account
 * and Region: `<prefix>/<configuration name>`, and `<prefix>/<configuration name>.<nonce>` while a lease is taken over.
 */
export const LEASE_PARAMETER_PREFIX = '/cdk-imagebuilder-distribution/leases';

/** Properties of `Custom::ImageBuilderDistributionConfigurationPatch`. */
export interface PatchResourceProperties {
  /** ARN of the distribution configuration to change. */
  readonly DistributionConfigurationArn: string;
  /** JSON of `PatchDocument`. */
  readonly Patch: string;
  /** Name (starting with `/`) of the SSM parameter in which the handler keeps the configuration as it was before. */
  readonly BaselineParameterName: string;
  /**
   * Changes whenever the CloudFormation resource that owns the configuration changes, so that CloudFormation sends
   * an Update and the patch is applied again after CloudFormation rewrote the whole configuration. Not read.
   */
  readonly BaseHash?: string;
  /**
   * The deploy-time values (intrinsics) in the owning resource's properties, which CloudFormation resolves here too:
   * a change of one of them (a replaced KMS key, say) also updates the patch, although the template, and so
   * `BaseHash`, stays the same. Not read.
   */
  readonly BaseReferences?: unknown;
  /** ARN of the role the handler assumes for this resource's API calls. Absent: the handler's own credentials. */
  readonly RoleArn?: string;
}

/** What a patch does to a distribution configuration. Field names and shapes are the Image Builder API's. */
export interface PatchDocument {
  readonly distributions: RegionPatch[];
}

export interface RegionPatch {
  /** The Region of the distribution to change. */
  readonly region: string;
  /**
   * Replace the whole regional distribution with this one (Image Builder `Distribution` shape, camelCase, without
   * `region`), adding it when the Region is not in the configuration.
   */
  readonly replace?: Record<string, any>;
  /**
   * Merge into the existing regional distribution: objects merge key by key, lists are unioned (no duplicates),
   * scalars are set. The Region must already be in the configuration.
   */
  readonly merge?: Record<string, any>;
}

/** Properties of `Custom::ImageBuilderDistributeImage`. */
export interface DistributeImageResourceProperties {
  /** AMI ID, SSM parameter path (`ssm:/path` or `/path` form as the API accepts), or Image Builder image ARN. */
  readonly SourceImage: string;
  readonly DistributionConfigurationArn: string;
  /** Name or ARN of the role Image Builder assumes to distribute. */
  readonly ExecutionRole: string;
  readonly LogGroupName?: string;
  /** JSON of a string-to-string map. */
  readonly Tags?: string;
  /** `retain` (default) or `destroy`. */
  readonly RemovalPolicy?: 'retain' | 'destroy';
  /**
   * Upper bound, in seconds, for the wait for AVAILABLE: at most 3000 (the handler caps larger values, since
   * CloudFormation waits an hour at most and the provider's waiter needs the rest); absent: 3000.
   */
  readonly TimeoutSeconds?: string;
  /** ARN of the role the handler assumes for this resource's API calls. Absent: the handler's own credentials. */
  readonly RoleArn?: string;
}

/** Attributes of `Custom::ImageBuilderDistributeImage` (Fn::GetAtt names). */
export const DistributeImageAttributes = {
  IMAGE_BUILD_VERSION_ARN: 'ImageBuildVersionArn',
  /** JSON list of `{ region, accountId, image }`. */
  AMIS: 'Amis',
  /** `AmiId.<region>`: the AMI in the stack's account in that Region. */
  amiIdInRegion: (region: string) => `AmiId.${region}`,
  /** `AmiId.<region>.<accountId>`. */
  amiIdInRegionAndAccount: (region: string, accountId: string) => `AmiId.${region}.${accountId}`,
} as const;
