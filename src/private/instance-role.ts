import { Arn, Aws, CfnElement, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeManagedPolicies } from './nag';
import { EC2_SERVICE } from './service-principals';

/*
 * The default role and instance profile of an infrastructure configuration.
 *
 * aws-cdk-lib's `iam.Role` and `iam.InstanceProfile` cost a large share of the synth time (an aspect, validations,
 * lazy policy documents and stack traces per role; figures in CONTRIBUTING.md, Benchmarks). Most users
 * never touch the default role, so it starts as the plain `AWS::IAM::Role` and `AWS::IAM::InstanceProfile` resources
 * those L2s would render, directly under the configuration (`InstanceRole`, `InstanceProfile`). The construct swaps in
 * the real L2s, at the same construct ids, the first time anyone reads its `role` or `instanceProfile`; their L1s keep
 * the logical IDs of the resources they replace, so a stack deployed before the first read is updated, never replaced.
 * The L1s sit directly under the configuration rather than under plain constructs at the L2s' paths
 * (`InstanceRole/Resource`): two fewer tree nodes per configuration to walk at every synthesis.
 * test/infrastructure-configuration.test.ts compares both templates, with and without feature flags
 * and Regions.
 */

const ROLE_ID = 'InstanceRole';
export const PROFILE_ID = 'InstanceProfile';

/** Where `iam.Role.customizeRoles()` leaves its options (aws-cdk-lib core/lib/helpers-internal/customize-roles). */
export const CUSTOMIZE_ROLES_CONTEXT_KEY = '@aws-cdk/iam:customizeRoles';

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
function createInstanceRole(scope: Construct, containerBuilds: boolean): iam.InstanceProfile {
  const role = new iam.Role(scope, ROLE_ID, {
    assumedBy: new iam.ServicePrincipal(EC2_SERVICE),
    description: DESCRIPTION,
    managedPolicies: managedPolicyNames(containerBuilds).map(name => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
  });
  acknowledgeManagedPolicies(role, managedPolicyNames(containerBuilds), NAG_REASON);
  return new iam.InstanceProfile(scope, PROFILE_ID, { role });
}

/** The default role and instance profile as L1 resources, before anything read them. */
export interface DeferredInstanceRole {
  readonly containerBuilds: boolean;
  readonly role: iam.CfnRole;
  readonly profile: iam.CfnInstanceProfile;
}

/** The same role and instance profile as `createInstanceRole`, as L1 resources under `scope`. */
export function createDeferredInstanceRole(scope: Construct, containerBuilds: boolean): DeferredInstanceRole {
  const role = new iam.CfnRole(scope, ROLE_ID, {
    assumeRolePolicyDocument: {
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: EC2_SERVICE } }],
      Version: '2012-10-17',
    },
    // What ManagedPolicy.fromAwsManagedPolicyName renders: always the partition pseudo parameter, whatever the stack.
    managedPolicyArns: managedPolicyNames(containerBuilds).map(name =>
      Arn.format({ partition: Aws.PARTITION, service: 'iam', region: '', account: 'aws', resource: 'policy', resourceName: name })),
    description: DESCRIPTION,
  });
  acknowledgeManagedPolicies(role, managedPolicyNames(containerBuilds), NAG_REASON);
  const profile = new iam.CfnInstanceProfile(scope, PROFILE_ID, { roles: [role.ref] });
  return { containerBuilds, role, profile };
}

/**
 * Replaces the L1 resources of `createDeferredInstanceRole` by the L2s of `createInstanceRole`, whose L1s take over
 * the replaced resources' logical IDs.
 */
export function materializeInstanceRole(scope: Construct, deferred: DeferredInstanceRole): iam.InstanceProfile {
  scope.node.tryRemoveChild(ROLE_ID);
  scope.node.tryRemoveChild(PROFILE_ID);
  const profile = createInstanceRole(scope, deferred.containerBuilds);
  keepLogicalId(profile.role!.node.tryFindChild('Resource'), deferred.role);
  keepLogicalId(profile.node.tryFindChild('Resource'), deferred.profile);
  return profile;
}

/**
 * Gives `resource` the logical ID that `replaced` has. A removed construct keeps its scope, so the stack still
 * allocates its ID from its path; allocated at synthesis (uncached, like aws-cdk-lib's own), the ID honours
 * `Stack.renameLogicalId` and a custom `allocateLogicalId` as the replaced resource would have.
 */
function keepLogicalId(resource: IConstruct | undefined, replaced: CfnElement): void {
  // With iam.Role.customizeRoles({ preventSynthesis }) the role has no L1.
  if (!(resource instanceof CfnElement)) return;
  const stack = Stack.of(replaced);
  resource.overrideLogicalId(Lazy.uncachedString({ produce: () => stack.getLogicalId(replaced) }));
}
