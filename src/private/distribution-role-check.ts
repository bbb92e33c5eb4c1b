import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME } from './handler-contract';
import { acknowledgeWildcardResource } from './nag';

/** Why the distribution role check may assume the role in every account (the cdk-nag acknowledgement). */
export const DISTRIBUTION_ROLE_CHECK_WILDCARD_REASON = 'The distribution role check assumes EC2ImageBuilderDistributionCrossAccountRole '
  + 'in each account resolved from AWS Organizations at deploy time, which the template cannot list; the role name is fixed, '
  + 'and the handler assumes it with a session policy that denies everything.';

/**
 * Lets `role` (a resource's handler role) assume the cross-account distribution role in any account: the permission
 * of the distribution role check (lambda/distribution-role-check.ts). The target role's trust decides the rest.
 */
export function grantDistributionRoleCheck(role: iam.IRole): void {
  const roleArns = Stack.of(role).formatArn({ service: 'iam', region: '', account: '*', resource: 'role', resourceName: CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [roleArns] }));
  acknowledgeWildcardResource(role, roleArns, DISTRIBUTION_ROLE_CHECK_WILDCARD_REASON);
}
