import * as crypto from 'crypto';
import { ArnFormat, CfnResource, CustomResource, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ssmParameterArn } from './arns';
import { LEASE_PARAMETER_PREFIX, PATCH_RESOURCE_TYPE, PatchDocument, PatchResourceProperties } from './handler-contract';
import { acknowledgeWildcardResource } from './nag';
import { ImageBuilderProvider, PATCH_SERVICE_TIMEOUT } from './provider';
import { VM_IMPORT_EXPORT_SERVICE } from './service-principals';

/** SSM parameters that keep patch baselines live under this path, one per stack and configuration. */
export const BASELINE_PARAMETER_PREFIX = '/cdk-imagebuilder-distribution/baselines';

export interface PatchResourceProps {
  /** The configuration to change. */
  readonly distributionConfigurationArn: string;
  /**
   * Its name, when known: patches of one configuration are ordered by it too, whatever form its ARN was given in.
   *
   * @default - taken from the ARN when the ARN is known at synth
   */
  readonly distributionConfigurationName?: string;
  /** Produces the patch when the template is rendered, so changes made after construction are included. */
  readonly patch: () => PatchDocument;
  /**
   * The CloudFormation resource that owns the configuration, when this stack owns it. Its rendered properties are
   * hashed into the patch's properties: CloudFormation rewrites the whole configuration on every update of the
   * base, which drops the patch, so any change of the base must update (and so re-apply) the patch.
   */
  readonly base?: CfnResource;
  /**
   * The resource type: a patch, or a type whose handler builds on the patch's (e.g. OrganizationDistributionTargets).
   *
   * @default PATCH_RESOURCE_TYPE
   */
  readonly resourceType?: string;
  /**
   * Properties that resource type adds to the patch's.
   *
   * @default - none
   */
  readonly properties?: Record<string, unknown>;
}

/**
 * A `Custom::ImageBuilderDistributionConfigurationPatch`: applies a patch to a distribution configuration with
 * Get/UpdateDistributionConfiguration and reverts it on delete (three-way, keeping changes made by others).
 */
export class PatchResource extends Construct {
  /** The SSM parameter in which the handler keeps the configuration as it was before the patch. */
  public readonly baselineParameterName: string;
  public readonly resource: CustomResource;
  /** The role the handler assumes for this patch's calls. */
  public readonly handlerRole: iam.Role;

  constructor(scope: Construct, id: string, props: PatchResourceProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const provider = ImageBuilderProvider.of(this);

    // One parameter for the stack's patches of one configuration, named after the stack and the configuration, not
    // after this construct: a patch renamed or moved within the stack finds the baseline of the one it replaces
    // (lambda/baseline.ts). Known at synth, so the handler's SSM permissions can name exactly this parameter.
    const keys = orderingKeys(stack, props.distributionConfigurationArn, props.distributionConfigurationName);
    const configurationHash = crypto.createHash('sha256')
      .update(JSON.stringify([stack.resolve(stack.stackName), keys[keys.length - 1]])).digest('hex');
    this.baselineParameterName = `${BASELINE_PARAMETER_PREFIX}/${configurationHash.slice(0, 40)}`;

    // One role per configuration (its construct ID names it): every statement below names the configuration, and a
    // patch moved to another configuration leaves its old physical ID for CloudFormation to delete in the update's
    // cleanup, with the old properties, whose RoleArn must still grant the old configuration. With one role for
    // both, the policy would already name the new configuration only and that Delete would be AccessDenied, leaving
    // the old configuration patched. A new construct ID makes a new role; the old one is deleted in the same cleanup,
    // after the resource that depended on it (test/lifecycle/patch-lifecycle.test.ts plays both orders of a rollback).
    this.handlerRole = provider.newHandlerRole(this, `HandlerRole${configurationHash.slice(0, 8)}`,
      'cdk-imagebuilder-distribution: assumed by the custom-resource handler to patch one distribution configuration');
    this.handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['imagebuilder:GetDistributionConfiguration', 'imagebuilder:UpdateDistributionConfiguration'],
      resources: [props.distributionConfigurationArn],
    }));
    const leases = leaseParameterArns(stack, props.distributionConfigurationArn);
    // A baseline too large for one parameter continues in `<name>-<slot><i>` (lambda/baseline-chunks.ts).
    const baselineChunks = ssmParameterArn(stack, stack.region, `${this.baselineParameterName}-*`);
    if (!props.base) {
      // UpdateDistributionConfiguration authorizes iam:PassRole (to vmie.amazonaws.com) for the S3 export role of every
      // Region it sends (Service Authorization Reference, "API operations"), and the handler sends the whole
      // configuration back: the exports its owner set, unknown here, are passed again. Export roles are named without
      // account, so they are in this one.
      const roles = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' });
      this.handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [roles],
        conditions: { StringEquals: { 'iam:PassedToService': VM_IMPORT_EXPORT_SERVICE } },
      }));
      acknowledgeWildcardResource(this.handlerRole, roles, 'UpdateDistributionConfiguration passes the S3 export role '
        + 'of every Region the handler writes back, including exports the owner of this imported configuration set, '
        + 'unknown at synth time. Only to VM Import/Export (iam:PassedToService vmie.amazonaws.com), in this account.');
    }
    this.handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'],
      resources: [
        ssmParameterArn(stack, stack.region, this.baselineParameterName),
        // The parameter of this resource before baselines were shared (named after the construct): the first update
        // after an upgrade of the library moves the baseline from there.
        ssmParameterArn(stack, stack.region, `${BASELINE_PARAMETER_PREFIX}/${this.node.addr}`),
        baselineChunks,
        ...(leases ? [leases.lease, leases.takeovers] : []),
      ],
    }));
    acknowledgeWildcardResource(this.handlerRole, baselineChunks, 'The chunks of the baseline this patch shares with the stack\'s '
      + 'other patches of the same configuration, when it outgrows one parameter; the baseline\'s name is a fixed-length '
      + 'hash of the stack and the configuration, so no other baseline\'s parameters match.');
    if (leases) {
      acknowledgeWildcardResource(this.handlerRole, leases.takeovers, 'The takeover rights of the configuration\'s lease '
        + '(<lease>.<nonce of the expired holder>) have names known only when a holder crashed; the "." cannot occur in a '
        + 'configuration name, so no other configuration\'s lease matches.');
    }

    const properties: PatchResourceProperties = {
      DistributionConfigurationArn: props.distributionConfigurationArn,
      Patch: Lazy.string({ produce: () => stack.toJsonString(props.patch()) }),
      BaselineParameterName: this.baselineParameterName,
      BaseHash: props.base ? Lazy.string({ produce: () => hashOf(stack, props.base!) }) : undefined,
      BaseReferences: props.base ? Lazy.any({ produce: () => deployTimeValues(stack, props.base!) }) : undefined,
      RoleArn: this.handlerRole.roleArn,
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.patchServiceToken,
      resourceType: props.resourceType ?? PATCH_RESOURCE_TYPE,
      serviceTimeout: PATCH_SERVICE_TIMEOUT,
      properties: { ...properties, ...props.properties },
      // The Delete is what reverts the patch; retaining would leave our changes behind.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    if (props.base) this.resource.node.addDependency(props.base);
    // The role's policy too: it must exist before the first call, and outlive the Delete that reverts the patch.
    this.resource.node.addDependency(this.handlerRole);

    // Patches of one configuration in one stack run one after another, in the order they were added, so each one's
    // baseline holds the ones before it (the lease would serialize them anyway, in no particular order). Ordered by
    // every identity known at synth (the resolved ARN, and the name), so that the same configuration given by
    // name, by ARN or as the owning construct is one chain.
    const last = lastPatchOf(stack);
    for (const key of keys) {
      const previous = last.get(key);
      if (previous && !this.resource.node.dependencies.includes(previous)) this.resource.node.addDependency(previous);
      last.set(key, this.resource);
    }
  }

  /**
   * Lets the handler pass `role` as an S3 export role: UpdateDistributionConfiguration authorizes iam:PassRole to
   * VM Import/Export for it. A patch of a configuration this stack owns sends only the exports it sets.
   */
  public grantPassExportRole(role: iam.IRole): void {
    this.handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': VM_IMPORT_EXPORT_SERVICE } },
    }));
  }
}

/**
 * What identifies the configuration at synth: its resolved ARN, and its name as it appears in ARNs (lowercase) when
 * the name, or the ARN, is known. Two patches sharing any key are of the same configuration, or possibly so.
 */
export function orderingKeys(stack: Stack, arn: string, name?: string): string[] {
  const keys = [`arn:${JSON.stringify(stack.resolve(arn))}`];
  const resolvedName = name === undefined ? undefined : stack.resolve(name);
  const resolvedArn = stack.resolve(arn);
  const fromArn = typeof resolvedArn === 'string' ? /:distribution-configuration\/([^/]+)$/.exec(resolvedArn)?.[1] : undefined;
  const literal = typeof resolvedName === 'string' ? resolvedName : fromArn;
  if (literal !== undefined) keys.push(`name:${literal.toLowerCase().replace(/[ _]/g, '-')}`);
  return keys;
}

/**
 * The lease parameters of the configuration (lambda/lease.ts): in its account and Region, named after it, and the
 * takeover rights `<name>.<nonce>`. The name pattern's `.` cannot occur in a configuration name, so the wildcard
 * reaches no other configuration's lease.
 */
function leaseParameterArns(stack: Stack, arn: string): { lease: string; takeovers: string } | undefined {
  let parts;
  try {
    parts = stack.splitArn(arn, ArnFormat.SLASH_RESOURCE_NAME);
  } catch {
    return undefined; // a malformed ARN: validation reports it
  }
  if (parts.resourceName === undefined) return undefined;
  const leaseArn = (suffix: string) => stack.formatArn({
    service: 'ssm',
    region: parts.region,
    account: parts.account,
    resource: 'parameter',
    resourceName: `${LEASE_PARAMETER_PREFIX.slice(1)}/${parts.resourceName}${suffix}`,
  });
  return { lease: leaseArn(''), takeovers: leaseArn('.*') };
}

const LAST_PATCH = new WeakMap<Stack, Map<string, CustomResource>>();

/** The patch resources of a stack, the last one per configuration (by its resolved ARN). */
function lastPatchOf(stack: Stack): Map<string, CustomResource> {
  let patches = LAST_PATCH.get(stack);
  if (!patches) {
    patches = new Map();
    LAST_PATCH.set(stack, patches);
  }
  return patches;
}

function hashOf(stack: Stack, resource: CfnResource): string {
  const rendered = stack.resolve((resource as any)._toCloudFormation());
  return crypto.createHash('sha256').update(JSON.stringify(rendered)).digest('hex');
}

/**
 * The intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Join`...) in the resource's properties, outermost ones, each once.
 * CloudFormation resolves them in the patch's properties too, so a value that changes only at deploy time (a replaced
 * KMS key or launch template) changes the patch as well, which then applies again after the base's rewrite.
 */
function deployTimeValues(stack: Stack, resource: CfnResource): unknown[] | undefined {
  const rendered = stack.resolve((resource as any)._toCloudFormation()) as { Resources: Record<string, { Properties?: unknown }> };
  const found = new Map<string, unknown>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
    } else if (node !== null && typeof node === 'object') {
      const keys = Object.keys(node);
      if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
        found.set(JSON.stringify(node), node);
      } else {
        Object.values(node).forEach(visit);
      }
    }
  };
  Object.values(rendered.Resources).forEach((r) => visit(r.Properties));
  return found.size > 0 ? [...found.values()] : undefined;
}
