/**
 * What `OrganizationDistributionTargets` does with resolved accounts that have no
 * `EC2ImageBuilderDistributionCrossAccountRole` the distributing account may assume.
 *
 * Each resolution checks every resolved account by assuming that role, as Image Builder does, with a session policy
 * that denies everything. An account fails the check when the role is missing, does not trust the distributing
 * account, or STS is disabled in the handler's Region for it. Every mode reports such accounts: the
 * `MissingRoleAccountCount` metric, the `missingRoleAccountCount` and `missingRoleAccountIds` attributes, and a log line.
 */
export enum DistributionRoleCheck {
  /** The accounts are reported and still written into `targetAccountIds` (their distribution fails at build time). */
  REPORT = 'REPORT',
  /**
   * The accounts are reported and left out of `targetAccountIds` until a later resolution finds their role. They are
   * also left out of `accountCount`, `accountIds` and the `ResolvedAccountCount` metric.
   */
  EXCLUDE = 'EXCLUDE',
  /**
   * The resolution fails, naming the accounts, and changes nothing: the deployment fails, or a refresh sets
   * `RefreshFailed` to 1.
   */
  FAIL = 'FAIL',
}
