import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  AmiDistribution, AmiLaunchPermission, ContainerDistribution, DistributionConfiguration, IDistributionConfiguration, S3ExportConfiguration,
} from './distribution-configuration';
import { renderApiDistribution, renderApiLaunchPermission, renderApiS3Export } from './private/distribution-render';
import {
  distributionContext, validateAmiDistribution, validateContainerDistribution, validateDistributionConfigurationArn, validateDistributionSet,
  validateLaunchPermission, validatePatchTarget, validateS3Export,
} from './private/distribution-validation';
import { PatchDocument, RegionPatch } from './private/handler-contract';
import { PatchResource } from './private/patch-resource';
import { RULES, warnRule } from './private/rules';
import { warnDeployTimeSsmParameters } from './private/ssm-parameter-import';
import { addValidation, validateAccountIds, validateRegion, ValidationErrors } from './private/validation';

/**
 * Properties of a `DistributionConfigurationPatch`.
 */
export interface DistributionConfigurationPatchProps {
  /**
   * The distribution configuration to change, typically one another stack or team owns, imported with
   * `DistributionConfiguration.fromDistributionConfigurationArn`. It must be in the stack's account (an error at synth
   * when its ARN names another); it may be in another Region, which the handler calls.
   */
  readonly distributionConfiguration: IDistributionConfiguration;

  /**
   * AMI distributions that replace the whole distribution of their Region (or add the Region). A container
   * distribution for the same Region in `containerDistributions` joins the same replacement; anything else the Region
   * had is replaced.
   *
   * @default - no Region is replaced by an AMI distribution
   */
  readonly amiDistributions?: AmiDistribution[];

  /**
   * Container distributions that replace the whole distribution of their Region (or add the Region).
   *
   * @default - no Region is replaced by a container distribution
   */
  readonly containerDistributions?: ContainerDistribution[];
}

interface RegionalMerge {
  readonly region: string;
  targetAccountIds: string[];
  launchPermissions: AmiLaunchPermission[];
  s3Export?: S3ExportConfiguration;
}

/**
 * Changes a distribution configuration that this stack does not own, through Image Builder's
 * Get/UpdateDistributionConfiguration: adds or replaces regional distributions, adds target accounts and launch
 * permissions, or sets S3 disk-image export.
 *
 * On delete the configuration returns to what it was before, except for changes others made in the meantime, which
 * survive (a three-way merge of the configuration before, this patch, and the configuration now). The "before" is kept
 * in an SSM parameter of the stack's account and Region, named by `baselineParameterName`, which the stack's patches
 * of one configuration share: a patch renamed or moved within the stack keeps its change.
 *
 * Writers of one configuration, in any stack, take turns: each takes the configuration's lease (an SSM parameter in
 * the configuration's account and Region) before it reads the configuration and releases it after its write, and
 * reads its write back. See docs/sharing.md.
 *
 * A patch that makes AMIs public (`isPublicUserGroup`) gets the warning `cdk-imagebuilder-distribution:publicAmi`.
 */
export class DistributionConfigurationPatch extends Construct {
  /**
   * The SSM parameter in which the handler keeps the changed Regions as they were before this patch: one per stack
   * and configuration, shared by the stack's patches of that configuration.
   */
  public readonly baselineParameterName: string;

  private readonly amiDistributions: AmiDistribution[] = [];
  private readonly containerDistributions: ContainerDistribution[] = [];
  private readonly merges = new Map<string, RegionalMerge>();
  private readonly stackRegion: string;

  constructor(scope: Construct, id: string, props: DistributionConfigurationPatchProps) {
    super(scope, id);
    this.stackRegion = Stack.of(this).region;
    props.amiDistributions?.forEach((d) => this.addAmiDistribution(d));
    props.containerDistributions?.forEach((d) => this.addContainerDistribution(d));

    const configArn = props.distributionConfiguration.distributionConfigurationArn;
    const resource = new PatchResource(this, 'Resource', {
      distributionConfigurationArn: configArn,
      // An owned configuration's name attribute is a GetAtt; the name its resource renders is known at synth.
      distributionConfigurationName: props.distributionConfiguration instanceof DistributionConfiguration
        ? props.distributionConfiguration._resource.name
        : props.distributionConfiguration.distributionConfigurationName,
      patch: () => this.renderPatch(),
    });
    this.baselineParameterName = resource.baselineParameterName;

    addValidation(this, (errors) => {
      validateDistributionConfigurationArn(errors, 'distributionConfiguration', configArn);
      const target = props.distributionConfiguration;
      validatePatchTarget(errors, this, target, DistributionConfiguration.isDistributionConfiguration(target)
        ? { amiRegions: target._amiDistributionEntries().map(e => e.region) } : undefined, [...this.merges.keys()]);
      this.validate(errors);
    });
  }

  /**
   * Replaces the AMI distribution's Region (or adds the Region).
   */
  public addAmiDistribution(distribution: AmiDistribution): void {
    this.amiDistributions.push(distribution);
    const path = `amiDistributions[${this.amiDistributions.length - 1}]`;
    if (distribution.launchPermission?.isPublicUserGroup) warnPublicAmi(this, `${path}.launchPermission`);
    warnDeployTimeSsmParameters(this, path, distribution);
  }

  /**
   * Replaces the container distribution's Region (or adds the Region).
   */
  public addContainerDistribution(distribution: ContainerDistribution): void {
    this.containerDistributions.push(distribution);
  }

  /**
   * Adds accounts to the target accounts of the AMI distribution of `region`, which must exist in the configuration.
   */
  public addTargetAccounts(region: string, ...accountIds: string[]): void {
    this.mergeFor(region).targetAccountIds.push(...accountIds);
  }

  /**
   * Adds accounts, organizations or organizational units to the launch permission of the AMI distribution of
   * `region`, which must exist in the configuration.
   */
  public addLaunchPermission(region: string, permission: AmiLaunchPermission): void {
    const merge = this.mergeFor(region);
    merge.launchPermissions.push(permission);
    if (permission.isPublicUserGroup) warnPublicAmi(this, `regions.${region}.launchPermissions[${merge.launchPermissions.length - 1}]`);
  }

  /**
   * Sets S3 disk-image export for `region`, which must exist in the configuration.
   */
  public setS3Export(region: string, s3Export: S3ExportConfiguration): void {
    this.mergeFor(region).s3Export = s3Export;
  }

  private mergeFor(region: string): RegionalMerge {
    let merge = this.merges.get(region);
    if (!merge) {
      merge = { region, targetAccountIds: [], launchPermissions: [] };
      this.merges.set(region, merge);
    }
    return merge;
  }

  private regionOf(distribution: { readonly region?: string }): string {
    return distribution.region ?? this.stackRegion;
  }

  private renderPatch(): PatchDocument {
    const distributions: RegionPatch[] = [];
    const containers = new Map(this.containerDistributions.map((c) => [this.regionOf(c), c]));
    for (const ami of this.amiDistributions) {
      const region = this.regionOf(ami);
      const { region: _, ...replace } = renderApiDistribution(region, ami, containers.get(region));
      containers.delete(region);
      distributions.push({ region, replace });
    }
    for (const [region, container] of containers) {
      const { region: _, ...replace } = renderApiDistribution(region, undefined, container);
      distributions.push({ region, replace });
    }
    for (const merge of this.merges.values()) {
      const launchPermission = mergeLaunchPermissions(merge.launchPermissions);
      const ami = {
        ...(merge.targetAccountIds.length > 0 ? { targetAccountIds: [...new Set(merge.targetAccountIds)] } : {}),
        ...(launchPermission ? { launchPermission } : {}),
      };
      distributions.push({
        region: merge.region,
        merge: {
          ...(Object.keys(ami).length > 0 ? { amiDistributionConfiguration: ami } : {}),
          ...(merge.s3Export ? { s3ExportConfiguration: renderApiS3Export(merge.s3Export) } : {}),
        },
      });
    }
    return { distributions };
  }

  private validate(errors: ValidationErrors): void {
    const amis = this.amiDistributions.map((value, i) => {
      const region = this.regionOf(value);
      validateAmiDistribution(errors, `amiDistributions[${i}]`, value, distributionContext(this, region));
      return { region, value };
    });
    const containers = this.containerDistributions.map((value, i) => {
      validateContainerDistribution(errors, `containerDistributions[${i}]`, value, distributionContext(this, this.regionOf(value)));
      return { region: this.regionOf(value), value };
    });
    if (amis.length + containers.length > 0) validateDistributionSet(errors, amis, containers);

    const replaced = new Set([...amis, ...containers].map((d) => d.region));
    if (replaced.size === 0 && this.merges.size === 0) {
      errors.addMessage('distributionConfiguration', 'the patch changes nothing; add a distribution, target accounts, a launch permission or an S3 export');
    }
    for (const merge of this.merges.values()) {
      const path = `regions.${merge.region}`;
      validateRegion(errors, `${path}.region`, merge.region);
      if (replaced.has(merge.region)) {
        errors.addMessage(path, 'this Region is replaced by a distribution of this patch; put the target accounts, launch '
          + 'permission or S3 export into that distribution instead');
      }
      // Repeated addTargetAccounts calls may name an account twice; the patch sends it once.
      if (merge.targetAccountIds.length > 0) validateAccountIds(errors, `${path}.targetAccountIds`, [...new Set(merge.targetAccountIds)]);
      merge.launchPermissions.forEach((p, i) => validateLaunchPermission(errors, `${path}.launchPermissions[${i}]`, p));
      if (merge.s3Export) validateS3Export(errors, `${path}.s3Export`, merge.s3Export, distributionContext(this, merge.region));
    }
  }
}

/** The warning DistributionConfiguration gives for the same setting (same ID, so one acknowledgement covers both). */
function warnPublicAmi(scope: Construct, path: string): void {
  warnRule(scope, RULES.publicAmi,
    `${path}.isPublicUserGroup makes the AMIs of the configuration public: every AWS account can launch them. `
    + 'Make sure they contain no credentials, secrets or proprietary data.');
}

function mergeLaunchPermissions(permissions: AmiLaunchPermission[]) {
  if (permissions.length === 0) return undefined;
  const union = (lists: Array<string[] | undefined>) => {
    const all = [...new Set(lists.flatMap((l) => l ?? []))];
    return all.length > 0 ? all : undefined;
  };
  return renderApiLaunchPermission({
    accountIds: union(permissions.map((p) => p.accountIds)),
    organizationArns: union(permissions.map((p) => p.organizationArns)),
    organizationalUnitArns: union(permissions.map((p) => p.organizationalUnitArns)),
    isPublicUserGroup: permissions.some((p) => p.isPublicUserGroup) || undefined,
  });
}
