import { Arn, Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeManagedPolicies } from './nag';

/*
 * The default role and instance profile of an infrastructure configuration.
 *
 * aws-cdk-lib's `iam.Role` and `iam.InstanceProfile` add about half the synth time of the same stack in raw L1 (an
 * aspect, validations, lazy policy documents and stack traces per role; bench/synth.ts, infrastructure half). Most users
 * never touch the default role, so it starts as the plain `AWS::IAM::Role` and `AWS::IAM::InstanceProfile` resources
 * those L2s would render, at the construct paths they would have, and so with the same logical IDs and template. The
 * construct swaps in the real L2s the first time anyone reads its `role` or `instanceProfile`.
 * test/infrastructure-configuration.test.ts compares both templates, with and without feature flags and Regions.
 */

const ROLE_ID = 'InstanceRole';
export const PROFILE_ID = 'InstanceProfile';

/** Where `iam.Role.customizeRoles()` leaves its options (aws-cdk-lib core/lib/helpers-internal/customize-roles). */
const CUSTOMIZE_ROLES_CONTEXT_KEY = '@aws-cdk/iam:customizeRoles';

const DESCRIPTION = 'EC2 Image Builder build and test instances';
const NAG_REASON = 'EC2 Image Builder documents this AWS managed policy for the instance profile of build and test '
  + 'instances; AWS keeps it in step with what the Image Builder agent and Systems Manager need.';

function managedPolicyNames(containerBuilds: boolean): string[] {
  return [
    'EC2InstanceProfileForImageBuilder',
    'AmazonSSMManagedInstanceCore',
    ...(containerBuilds ? ['EC2InstanceProfileForImageBuilderECRContainerBuilds'] : []),
  ];
}

/** The default role and its instance profile as aws-cdk-lib L2 constructs, under `scope`. */
export function createInstanceRole(scope: Construct, containerBuilds: boolean): iam.InstanceProfile {
  const role = new iam.Role(scope, ROLE_ID, {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    description: DESCRIPTION,
    managedPolicies: managedPolicyNames(containerBuilds).map(name => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
  });
  acknowledgeManagedPolicies(role, managedPolicyNames(containerBuilds), NAG_REASON);
  return new iam.InstanceProfile(scope, PROFILE_ID, { role });
}

/**
 * The same role and instance profile as `createInstanceRole`, as L1 resources under plain constructs of the same ids
 * (`InstanceRole/Resource`, `InstanceProfile/Resource`). Returns the instance profile's name, or undefined when the
 * L2s are needed from the start: `iam.Role.customizeRoles()` acts in the `iam.Role` constructor.
 */
export function createDeferredInstanceRole(scope: Construct, containerBuilds: boolean): string | undefined {
  if (scope.node.tryGetContext(CUSTOMIZE_ROLES_CONTEXT_KEY) !== undefined) return undefined;
  const roleScope = new Construct(scope, ROLE_ID);
  const role = new iam.CfnRole(roleScope, 'Resource', {
    assumeRolePolicyDocument: {
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } }],
      Version: '2012-10-17',
    },
    // What ManagedPolicy.fromAwsManagedPolicyName renders: always the partition pseudo parameter, whatever the stack.
    managedPolicyArns: managedPolicyNames(containerBuilds).map(name =>
      Arn.format({ partition: Aws.PARTITION, service: 'iam', region: '', account: 'aws', resource: 'policy', resourceName: name })),
    description: DESCRIPTION,
  });
  acknowledgeManagedPolicies(roleScope, managedPolicyNames(containerBuilds), NAG_REASON);
  const profile = new iam.CfnInstanceProfile(new Construct(scope, PROFILE_ID), 'Resource', { roles: [role.ref] });
  return profile.ref;
}

/** Removes what `createDeferredInstanceRole` added, so that `createInstanceRole` can take its place. */
export function removeDeferredInstanceRole(scope: Construct): void {
  scope.node.tryRemoveChild(ROLE_ID);
  scope.node.tryRemoveChild(PROFILE_ID);
}
