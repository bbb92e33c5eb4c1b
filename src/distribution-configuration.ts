import { IResource, Lazy, Names, Resource, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnDistributionConfiguration } from 'aws-cdk-lib/aws-imagebuilder';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ApiS3ExportConfiguration, renderApiDistribution, renderApiS3Export, renderCfnDistribution } from './private/distribution-render';
import {
  distributionContext,
  validateAmiDistribution,
  validateContainerDistribution,
  validateDistributionConfigurationArn,
  validateDistributionConfigurationName,
  validateDistributionSet,
} from './private/distribution-validation';
import { acknowledgeWildcardResource } from './private/nag';
import { PatchResource } from './private/patch-resource';
import { RULES, warnRule } from './private/rules';
import { warnDeployTimeSsmParameters } from './private/ssm-parameter-import';
import { addValidation, arnResourceName, splitImportedArn, validateLength, validateRenderedTags } from './private/validation';

/**
 * An EC2 Image Builder distribution configuration.
 */
export interface IDistributionConfiguration extends IResource {
  /**
   * The ARN of the distribution configuration.
   *
   * @attribute
   */
  readonly distributionConfigurationArn: string;

  /**
   * The name of the distribution configuration.
   *
   * @attribute
   */
  readonly distributionConfigurationName: string;

  /**
   * Grants the given IAM actions on this distribution configuration to the grantee.
   *
   * @param grantee the principal
   * @param actions the actions, such as `imagebuilder:UpdateDistributionConfiguration`
   */
  grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant;

  /**
   * Grants `imagebuilder:GetDistributionConfiguration` on this distribution configuration to the grantee.
   *
   * @param grantee the principal
   */
  grantRead(grantee: iam.IGrantable): iam.Grant;
}

/**
 * Who may launch instances from the distributed AMI.
 *
 * Image Builder applies these with EC2 `ModifyImageAttribute` in every Region of the distribution.
 */
export interface AmiLaunchPermission {
  /**
   * The AWS account IDs that may launch the AMI.
   *
   * @default - no accounts
   */
  readonly accountIds?: string[];

  /**
   * The ARNs of AWS Organizations organizations whose accounts may launch the AMI,
   * such as `arn:aws:organizations::111122223333:organization/o-exampleorgid`.
   *
   * @default - no organizations
   */
  readonly organizationArns?: string[];

  /**
   * The ARNs of AWS Organizations organizational units whose accounts may launch the AMI,
   * such as `arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456`.
   *
   * @default - no organizational units
   */
  readonly organizationalUnitArns?: string[];

  /**
   * Makes the AMI public: every AWS account may launch it (launch permission group `all`).
   *
   * Block public access for AMIs must be disabled in the account and Region for this to work. The construct adds a
   * warning to the synth output when this is true.
   *
   * @default false
   */
  readonly isPublicUserGroup?: boolean;
}

/**
 * A launch template that Image Builder updates with the distributed AMI: it creates a new version of the template
 * that uses the AMI.
 */
export interface LaunchTemplateDistribution {
  /**
   * The launch template. It must expose a `launchTemplateId`: templates imported by name only are rejected, because
   * Image Builder accepts only IDs here.
   */
  readonly launchTemplate: ec2.ILaunchTemplate;

  /**
   * The account that owns the launch template.
   *
   * @default - the account that distributes the image
   */
  readonly accountId?: string;

  /**
   * Makes the new launch template version the default version.
   *
   * @default false
   */
  readonly setDefaultVersion?: boolean;
}

/**
 * EC2 Fast Launch settings for a distributed Windows AMI.
 *
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableFastLaunch.html
 */
export interface FastLaunchConfiguration {
  /**
   * Whether Fast Launch is enabled for the AMI.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * The launch template that EC2 uses to launch the instances that pre-provision snapshots. Referenced by ID when the
   * template has one, by name otherwise, with its version when known.
   *
   * @default - EC2 uses default settings
   */
  readonly launchTemplate?: ec2.ILaunchTemplate;

  /**
   * The maximum number of instances that EC2 launches at the same time to pre-provision snapshots, at least 6.
   *
   * @default - EC2 launches up to 6 instances in parallel
   */
  readonly maxParallelLaunches?: number;

  /**
   * The number of pre-provisioned snapshots to keep, from 1 to 10,000.
   *
   * @default - EC2 keeps 5 snapshots
   */
  readonly targetSnapshotCount?: number;

  /**
   * The account that owns the Fast Launch enabled AMI.
   *
   * @default - the account that distributes the image
   */
  readonly accountId?: string;
}

/**
 * An SSM parameter that Image Builder creates or updates with the ID of the distributed AMI.
 */
export interface SsmParameterDistribution {
  /**
   * The name of the parameter, for example `/golden/linux/latest`. Image Builder creates the parameter in the
   * distribution's Region (and account) if it does not exist yet, and updates it otherwise.
   *
   * Give exactly one of `parameterName` and `parameter`. Prefer `parameterName` for a parameter that Image Builder
   * creates: see `parameter` for why.
   *
   * @default - the name of `parameter`
   */
  readonly parameterName?: string;

  /**
   * The parameter. Only its name is used.
   *
   * Beware of `ssm.StringParameter.fromStringParameterName()`, `fromStringParameterArn()` and
   * `fromStringParameterAttributes()` without `version` or `forceDynamicReference`: they add a CloudFormation parameter
   * of type `AWS::SSM::Parameter::Value<String>` that CloudFormation resolves on every deployment, in this stack's
   * account and Region, and the deployment fails while the parameter does not exist there. A parameter Image Builder
   * creates (or one in another account) usually does not, so the library warns at synth about such an import; give
   * its name in `parameterName` instead.
   *
   * @default - `parameterName` is used
   */
  readonly parameter?: ssm.IStringParameter;

  /**
   * The account that owns the parameter. It must be one of the distribution's `targetAccountIds` when those are set.
   *
   * @default - the account that distributes the image
   */
  readonly accountId?: string;

  /**
   * The data type of the parameter value.
   *
   * @default ssm.ParameterDataType.AWS_EC2_IMAGE
   */
  readonly dataType?: ssm.ParameterDataType;
}

/**
 * The disk image formats that Image Builder can export an AMI to.
 */
export enum DiskImageFormat {
  /** Stream-optimized ESX Virtual Machine Disk, for VMware ESX and vSphere. */
  VMDK = 'VMDK',
  /** Raw disk image. */
  RAW = 'RAW',
  /** Virtual Hard Disk, for Citrix Xen and Microsoft Hyper-V. */
  VHD = 'VHD',
}

/**
 * Exports the distributed AMI as a disk image to S3 with VM Import/Export.
 *
 * CloudFormation's `AWS::ImageBuilder::DistributionConfiguration` cannot express this; the construct applies it
 * through the Image Builder API instead.
 */
export interface S3ExportConfiguration {
  /**
   * The role that grants VM Import/Export permission to write to the bucket (the API takes its name).
   */
  readonly role: iam.IRole;

  /**
   * The format of the exported disk image.
   */
  readonly diskImageFormat: DiskImageFormat;

  /**
   * The bucket that receives the disk image.
   */
  readonly bucket: s3.IBucket;

  /**
   * The key prefix of the disk image in the bucket.
   *
   * @default - the bucket root
   */
  readonly prefix?: string;
}

/**
 * How the AMI that Image Builder builds is distributed to one Region.
 */
export interface AmiDistribution {
  /**
   * The Region to distribute to. At most one AMI distribution per Region.
   *
   * @default - the stack's Region
   */
  readonly region?: string;

  /**
   * The name of the distributed AMI, 3-127 characters: letters, digits, spaces, `-`, `_`, `.`, `:`, `{` and `}`, not
   * starting or ending with a space, `.` or `:`. Include a placeholder such as `{{ imagebuilder:buildDate }}` so that
   * every build gets a unique name.
   *
   * @default - the image name followed by the build timestamp
   */
  readonly amiName?: string;

  /**
   * The description of the distributed AMI, 1-1024 characters.
   *
   * @default - no description
   */
  readonly amiDescription?: string;

  /**
   * The accounts to copy the AMI to. They must have bootstrapped the Image Builder cross-account distribution role
   * (`EC2ImageBuilderDistributionCrossAccountRole`).
   *
   * @default - the AMI stays in the distributing account
   */
  readonly targetAccountIds?: string[];

  /**
   * Tags for the distributed AMI: 1 to 50 tags (leave it out rather than giving an empty map).
   *
   * @default - no tags
   */
  readonly amiTags?: { [key: string]: string };

  /**
   * The KMS key that encrypts the distributed AMI's snapshots. It must be in the distribution Region. For
   * `targetAccountIds`, its key policy must let those accounts' `EC2ImageBuilderDistributionCrossAccountRole` use it.
   *
   * @default - the default EBS encryption of the destination
   */
  readonly kmsKey?: kms.IKey;

  /**
   * Who may launch instances from the AMI.
   *
   * @default - only the owning account
   */
  readonly launchPermission?: AmiLaunchPermission;

  /**
   * License Manager license configuration ARNs to associate with the AMI (at most 50).
   *
   * @default - none
   */
  readonly licenseConfigurationArns?: string[];

  /**
   * Launch templates to update with the AMI (at most 100).
   *
   * @default - none
   */
  readonly launchTemplates?: LaunchTemplateDistribution[];

  /**
   * EC2 Fast Launch settings for a Windows AMI (at most 1000).
   *
   * @default - Fast Launch is not configured
   */
  readonly fastLaunchConfigurations?: FastLaunchConfiguration[];

  /**
   * SSM parameters to write the AMI ID to.
   *
   * @default - none
   */
  readonly ssmParameters?: SsmParameterDistribution[];

  /**
   * Exports the AMI as a disk image to S3.
   *
   * @default - no export
   */
  readonly s3Export?: S3ExportConfiguration;
}

/**
 * How the container image that Image Builder builds is distributed to one Region.
 */
export interface ContainerDistribution {
  /**
   * The Region to distribute to. At most one container distribution per Region.
   *
   * @default - the stack's Region
   */
  readonly region?: string;

  /**
   * The ECR repository that receives the image. Only its name is sent: the repository with that name in the
   * distribution Region is used.
   */
  readonly repository: ecr.IRepository;

  /**
   * The description of the distributed container image, 1-1024 characters.
   *
   * @default - no description
   */
  readonly description?: string;

  /**
   * Image tags for the distributed container image.
   *
   * @default - none
   */
  readonly containerTags?: string[];
}

/**
 * Properties of a `DistributionConfiguration`.
 */
export interface DistributionConfigurationProps {
  /**
   * The name of the distribution configuration: 3-128 letters, digits, spaces, `-` and `_`.
   *
   * @default - a name generated from the construct path
   */
  readonly distributionConfigurationName?: string;

  /**
   * The description of the distribution configuration, 1-1024 characters.
   *
   * @default - no description
   */
  readonly description?: string;

  /**
   * AMI distributions, one per Region. More can be added with `addAmiDistribution`.
   *
   * @default - none; at least one AMI or container distribution is needed by synth time
   */
  readonly amiDistributions?: AmiDistribution[];

  /**
   * Container distributions, one per Region. More can be added with `addContainerDistribution`.
   *
   * @default - none; at least one AMI or container distribution is needed by synth time
   */
  readonly containerDistributions?: ContainerDistribution[];

  /**
   * Tags for the distribution configuration (leave it out rather than giving an empty map). `Tags.of(scope)` adds to
   * them; the merged set is validated at synth: at most 50 tags, with Image Builder's key and value rules.
   *
   * @default - no tags
   */
  readonly tags?: { [key: string]: string };
}

const DISTRIBUTION_CONFIGURATION_SYMBOL = Symbol.for('cdk-imagebuilder-distribution.DistributionConfiguration');

abstract class DistributionConfigurationBase extends Resource implements IDistributionConfiguration {
  public abstract readonly distributionConfigurationArn: string;
  public abstract readonly distributionConfigurationName: string;

  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.distributionConfigurationArn],
    });
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, 'imagebuilder:GetDistributionConfiguration');
  }
}

/**
 * An EC2 Image Builder distribution configuration: where and how the images that a pipeline builds are distributed.
 *
 * Every prop is validated at synth time, including distributions added after construction; all problems are
 * reported together with the path of the prop that caused them.
 *
 * @resource AWS::ImageBuilder::DistributionConfiguration
 * @see https://docs.aws.amazon.com/imagebuilder/latest/userguide/manage-distribution-settings.html
 */
export class DistributionConfiguration extends DistributionConfigurationBase {
  /**
   * Imports a distribution configuration by ARN. The name, account and Region are parsed from the ARN (deploy-time
   * tokens allowed). A malformed ARN is reported at synth.
   */
  public static fromDistributionConfigurationArn(scope: Construct, id: string, distributionConfigurationArn: string): IDistributionConfiguration {
    const { resourceName, splittable } = splitImportedArn(scope, distributionConfigurationArn);
    class Import extends DistributionConfigurationBase {
      public readonly distributionConfigurationArn = distributionConfigurationArn;
      public readonly distributionConfigurationName = resourceName;
    }
    const imported = new Import(scope, id, splittable ? { environmentFromArn: distributionConfigurationArn } : {});
    addValidation(imported, errors => validateDistributionConfigurationArn(errors, 'distributionConfigurationArn', distributionConfigurationArn));
    return imported;
  }

  /**
   * Imports a distribution configuration of the stack's account and Region by name.
   *
   * The ARN uses the name as Image Builder does: lowercased, with spaces and underscores replaced by hyphens.
   */
  public static fromDistributionConfigurationName(scope: Construct, id: string, distributionConfigurationName: string): IDistributionConfiguration {
    const arn = Stack.of(scope).formatArn({
      service: 'imagebuilder',
      resource: 'distribution-configuration',
      resourceName: arnResourceName(distributionConfigurationName),
    });
    class Import extends DistributionConfigurationBase {
      public readonly distributionConfigurationArn = arn;
      public readonly distributionConfigurationName = distributionConfigurationName;
    }
    const imported = new Import(scope, id);
    addValidation(imported, errors => validateDistributionConfigurationName(errors, 'distributionConfigurationName', distributionConfigurationName));
    return imported;
  }

  /**
   * Whether the given object is a `DistributionConfiguration` of this library.
   */
  public static isDistributionConfiguration(x: any): x is DistributionConfiguration {
    return x !== null && typeof x === 'object' && DISTRIBUTION_CONFIGURATION_SYMBOL in x;
  }

  /** @internal */
  public readonly _resource: CfnDistributionConfiguration;

  private readonly amiDistributions: AmiDistribution[] = [];
  private readonly containerDistributions: ContainerDistribution[] = [];
  private s3ExportPatch?: PatchResource;
  private readonly amiDistributionListeners: Array<(distribution: AmiDistribution, region: string) => void> = [];
  private arnAttribute?: string;
  private nameAttribute?: string;

  constructor(scope: Construct, id: string, props: DistributionConfigurationProps = {}) {
    super(scope, id, {
      physicalName: props.distributionConfigurationName ?? Lazy.string({
        // Image Builder names may contain capitals, but ARNs are lowercase: a lowercase default keeps both equal.
        produce: () => Names.uniqueResourceName(this, { maxLength: 128, separator: '-', allowedSpecialCharacters: '-' }).toLowerCase(),
      }),
    });
    Object.defineProperty(this, DISTRIBUTION_CONFIGURATION_SYMBOL, { value: true });

    this._resource = new CfnDistributionConfiguration(this, 'Resource', {
      name: this.physicalName,
      description: props.description,
      distributions: Lazy.any({ produce: () => this.renderCfnDistributions() }, { omitEmptyArray: false }),
      tags: props.tags,
    });

    for (const ami of props.amiDistributions ?? []) this.addAmiDistribution(ami);
    for (const container of props.containerDistributions ?? []) this.addContainerDistribution(container);

    addValidation(this, errors => {
      if (props.distributionConfigurationName !== undefined) {
        validateDistributionConfigurationName(errors, 'distributionConfigurationName', props.distributionConfigurationName);
      }
      validateLength(errors, 'description', props.description, 1, 1024);
      // After aspects: the tags of Tags.of(...) are merged in by now.
      validateRenderedTags(errors, 'tags', props.tags, this._resource.tags);
      this.amiDistributions.forEach((ami, i) =>
        validateAmiDistribution(errors, `amiDistributions[${i}]`, ami, distributionContext(this, this.regionOf(ami))));
      this.containerDistributions.forEach((container, i) =>
        validateContainerDistribution(errors, `containerDistributions[${i}]`, container, distributionContext(this, this.regionOf(container))));
      validateDistributionSet(errors,
        this.amiDistributions.map(ami => ({ region: this.regionOf(ami), value: ami })),
        this.containerDistributions.map(container => ({ region: this.regionOf(container), value: container })));
    });
  }

  /**
   * The ARN of the distribution configuration.
   *
   * Created on first use, like the name: each attribute token costs aws-cdk-lib a cross-environment reference wrapper,
   * and most configurations are never referenced by ARN.
   *
   * @attribute
   */
  public get distributionConfigurationArn(): string {
    return this.arnAttribute ??= this.getResourceArnAttribute(this._resource.attrArn, {
      service: 'imagebuilder',
      resource: 'distribution-configuration',
      resourceName: arnResourceName(this.physicalName),
    });
  }

  /**
   * The name of the distribution configuration.
   *
   * @attribute
   */
  public get distributionConfigurationName(): string {
    return this.nameAttribute ??= this.getResourceNameAttribute(this._resource.attrName);
  }

  /**
   * Adds an AMI distribution. Validated at synth time like those given in the props.
   */
  public addAmiDistribution(distribution: AmiDistribution): void {
    this.amiDistributions.push(distribution);
    this.amiDistributionListeners.forEach(listener => listener(distribution, this.regionOf(distribution)));
    if (distribution.launchPermission?.isPublicUserGroup) {
      warnRule(this, RULES.publicAmi,
        `amiDistributions[${this.amiDistributions.length - 1}].launchPermission.isPublicUserGroup makes the AMI ` +
        'public: every AWS account can launch it. Make sure it contains no credentials, secrets or proprietary data.');
    }
    warnDeployTimeSsmParameters(this, `amiDistributions[${this.amiDistributions.length - 1}]`, distribution);
    if (distribution.s3Export) {
      grantS3Export(distribution.s3Export);
      this._onS3Export();
      this.s3ExportPatch?.grantPassExportRole(distribution.s3Export.role);
    }
  }

  /**
   * Adds a container distribution. Validated at synth time like those given in the props.
   */
  public addContainerDistribution(distribution: ContainerDistribution): void {
    this.containerDistributions.push(distribution);
  }

  /**
   * The S3 exports of the AMI distributions, in the Image Builder API's shape (values may be tokens).
   * CloudFormation cannot express them, so they are applied through the API.
   *
   * @internal
   */
  public _s3Exports(): Array<{ region: string; s3ExportConfiguration: ApiS3ExportConfiguration }> {
    return this.amiDistributions
      .filter(ami => ami.s3Export !== undefined)
      .map(ami => ({ region: this.regionOf(ami), s3ExportConfiguration: renderApiS3Export(ami.s3Export!) }));
  }

  /**
   * The AMI distributions with the Region each goes to, as they are now (validation runs after all were added).
   *
   * @internal
   */
  public _amiDistributionEntries(): Array<{ region: string; distribution: AmiDistribution }> {
    return this.amiDistributions.map(distribution => ({ region: this.regionOf(distribution), distribution }));
  }

  /**
   * Calls `callback` for every AMI distribution, now and whenever one is added later, with the Region it goes to.
   *
   * @internal
   */
  public _forEachAmiDistribution(callback: (distribution: AmiDistribution, region: string) => void): void {
    this.amiDistributions.forEach(distribution => callback(distribution, this.regionOf(distribution)));
    this.amiDistributionListeners.push(callback);
  }

  /**
   * Called whenever an AMI distribution with `s3Export` is added (in the constructor or by `addAmiDistribution`).
   *
   * @internal
   */
  protected _onS3Export(): void {
    // CloudFormation's schema has no S3 export, so one patch resource applies all of them through the API. It
    // carries a hash of this resource's properties: every update of the base rewrites the whole configuration
    // (dropping the export), and the hash makes CloudFormation update, and so re-apply, the patch right after.
    this.s3ExportPatch ??= new PatchResource(this, 'S3Export', {
      distributionConfigurationArn: this.distributionConfigurationArn,
      distributionConfigurationName: this._resource.name,
      base: this._resource,
      patch: () => ({
        distributions: this._s3Exports().map(({ region, s3ExportConfiguration }) => ({ region, merge: { s3ExportConfiguration } })),
      }),
    });
  }

  private regionOf(distribution: { readonly region?: string }): string {
    return distribution.region ?? Stack.of(this).region;
  }

  /**
   * One CloudFormation `Distribution` per Region: an AMI and a container distribution of the same Region are merged,
   * because Image Builder rejects two entries for one Region. Regions that are equal strings (including the same
   * token, such as the default stack Region) are the same Region.
   */
  private renderCfnDistributions(): CfnDistributionConfiguration.DistributionProperty[] {
    const byRegion = new Map<string, { ami?: AmiDistribution; container?: ContainerDistribution }>();
    // Duplicates are reported by validation; the first one wins here.
    for (const ami of this.amiDistributions) {
      const region = this.regionOf(ami);
      const entry = byRegion.get(region);
      if (entry) entry.ami ??= ami;
      else byRegion.set(region, { ami });
    }
    for (const container of this.containerDistributions) {
      const region = this.regionOf(container);
      const entry = byRegion.get(region);
      if (entry) entry.container ??= container;
      else byRegion.set(region, { container });
    }
    const rendered: CfnDistributionConfiguration.DistributionProperty[] = [];
    for (const [region, { ami, container }] of byRegion) rendered.push(renderCfnDistribution(renderApiDistribution(region, ami, container)));
    return rendered;
  }
}

/**
 * VM Import/Export writes the disk image with the export role: it needs the bucket's location and ACL, and to put
 * objects under the prefix only. Imported roles are left alone (grants to them are no-ops).
 */
function grantS3Export(config: S3ExportConfiguration): void {
  iam.Grant.addToPrincipal({
    grantee: config.role,
    actions: ['s3:GetBucketLocation', 's3:GetBucketAcl', 's3:ListBucket'],
    resourceArns: [config.bucket.bucketArn],
  });
  const objects = config.bucket.arnForObjects(`${config.prefix ?? ''}*`);
  const grant = iam.Grant.addToPrincipal({
    grantee: config.role,
    actions: ['s3:PutObject'],
    resourceArns: [objects],
  });
  if (grant.principalStatements.length > 0) {
    acknowledgeWildcardResource(config.role, objects, 'VM Import/Export names the exported disk image after the export '
      + 'task, known only at export time: s3:PutObject is limited to the objects under the configured prefix.');
  }
  config.bucket.encryptionKey?.grant(config.role, 'kms:GenerateDataKey', 'kms:Encrypt');
}
