/**
 * The contract between OrganizationDistributionTargets (which writes these resource properties) and the handler's
 * lambda/organization-targets.ts (which reads them). Types and constants only, no CDK imports: the handler bundle
 * imports this file too.
 */
import type { PatchResourceProperties } from './handler-contract';

export const ORGANIZATION_TARGETS_RESOURCE_TYPE = 'Custom::ImageBuilderOrganizationTargets';

/** Image Builder's limit on `targetAccountIds` (the API model's AccountList max). */
export const MAX_TARGET_ACCOUNTS = 1536;

/** What one resolution asks Organizations for. Field names as in the handler; `TargetAccountsQuery` in JSON. */
export interface TargetAccountsQuery {
  /** Accounts given by ID: kept whatever Organizations says (unless excluded). */
  readonly accountIds: string[];
  /** Roots (`r-...`) or OUs (`ou-...`) whose accounts are targets. */
  readonly parents: string[];
  /** Whether the accounts of the parents' nested OUs are targets too. */
  readonly recursive: boolean;
  /** The whole organization (ListAccounts): `parents` is then empty. */
  readonly organization: boolean;
  /** Account IDs, or OU IDs whose whole subtree is left out. */
  readonly exclude: string[];
  /** Account states (Organizations `AccountState`) whose accounts are targets. */
  readonly states: string[];
}

/** Properties of `Custom::ImageBuilderOrganizationTargets`: a patch whose target accounts are resolved at deploy time. */
export interface OrganizationTargetsResourceProperties extends PatchResourceProperties {
  /** JSON list of `TargetAccountsQuery`: the targets are the union of their accounts. */
  readonly Query: string;
  /** `true`: an empty resolution is accepted; else it fails the deployment. */
  readonly AllowEmpty?: string;
  /** JSON list of the Regions whose AMI distribution gets the accounts (merged into `targetAccountIds`). */
  readonly Regions: string;
  /** Role in the management or delegated-administrator account that the resource's role assumes to read Organizations. */
  readonly OrganizationsRoleArn?: string;
  /** Changes to force a new resolution on deploy. Not read. */
  readonly ResolutionKey?: string;
  /** Value of the `DistributionTargets` dimension of the metrics the handler emits (Embedded Metric Format). */
  readonly MetricDimension?: string;
  /**
   * One of {@link DISTRIBUTION_ROLE_CHECKS}: each resolved account is checked for a cross-account distribution role
   * this account may assume, and the accounts without one are reported, left out, or fail the resolution. Absent:
   * not checked.
   */
  readonly DistributionRoleCheck?: string;
}

/** What the handler does with accounts whose cross-account distribution role it cannot assume (DistributionRoleCheck). */
export const DISTRIBUTION_ROLE_CHECKS = ['REPORT', 'EXCLUDE', 'FAIL'] as const;
export type DistributionRoleCheckMode = typeof DISTRIBUTION_ROLE_CHECKS[number];

/**
 * The event the scheduled refresh sends (an EventBridge rule's constant input): shaped like CloudFormation's Update
 * with the same old and new properties, plus `Refresh`, so that it takes the same path and confinement.
 */
export interface OrganizationTargetsRefreshEvent {
  readonly Refresh: true;
  readonly RequestType: 'Update';
  readonly ResourceType: typeof ORGANIZATION_TARGETS_RESOURCE_TYPE;
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId: string;
  readonly ResourceProperties: OrganizationTargetsResourceProperties;
}

/** Namespace and names of the metrics of the resolution (CloudWatch Embedded Metric Format in the handler's log). */
export const ORGANIZATION_TARGETS_METRICS = {
  NAMESPACE: 'cdk-imagebuilder-distribution',
  DIMENSION: 'DistributionTargets',
  /** Accounts resolved (each successful resolution). */
  ACCOUNT_COUNT: 'ResolvedAccountCount',
  /** 1 for a scheduled refresh that failed, 0 for one that succeeded. */
  REFRESH_FAILED: 'RefreshFailed',
  /** Resolved accounts whose cross-account distribution role could not be assumed (each checked resolution). */
  MISSING_ROLE_ACCOUNT_COUNT: 'MissingRoleAccountCount',
} as const;

/** Attributes of `Custom::ImageBuilderOrganizationTargets` (Fn::GetAtt names). */
export const OrganizationTargetsAttributes = {
  /** How many accounts the last resolution found. */
  ACCOUNT_COUNT: 'AccountCount',
  /** sha256 (hex, 16 characters) of the sorted account IDs, comma-joined: changes exactly when the set changes. */
  ACCOUNT_SET_DIGEST: 'AccountSetDigest',
  /** The sorted account IDs, comma-joined, while they fit a custom-resource answer; else empty (see the parameter). */
  ACCOUNT_IDS: 'AccountIds',
  /** How many resolved accounts lack an assumable distribution role; empty when not checked. */
  MISSING_ROLE_ACCOUNT_COUNT: 'MissingRoleAccountCount',
  /** Their sorted IDs, comma-joined, while they fit the answer; else (and when not checked) empty. */
  MISSING_ROLE_ACCOUNT_IDS: 'MissingRoleAccountIds',
} as const;
