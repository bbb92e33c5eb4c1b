import { Lazy, Names, Resource, Stack } from 'aws-cdk-lib';
import type { IResource } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnInfrastructureConfiguration } from 'aws-cdk-lib/aws-imagebuilder';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { logObjectKeyPattern, renderInfrastructureConfiguration, renderMetadataOptions } from './private/infrastructure-render';
import { validateInfrastructureConfiguration, validateInfrastructureConfigurationArn, validateName } from './private/infrastructure-validation';
import { createDeferredInstanceRole, CUSTOMIZE_ROLES_CONTEXT_KEY, DeferredInstanceRole, materializeInstanceRole, PROFILE_ID } from './private/instance-role';
import { acknowledgeWildcardResource } from './private/nag';
import { RULES, warnRule } from './private/rules';
import { selectSubnet, UNDECIDED_SUBNET_WARNING } from './private/subnet-selection';
import { addValidation, arnResourceName, splitImportedArn } from './private/validation';

/**
 * An EC2 Image Builder infrastructure configuration: the environment in which images are built and tested.
 */
export interface IInfrastructureConfiguration extends IResource {
  /**
   * The ARN of the infrastructure configuration.
   *
   * @attribute
   */
  readonly infrastructureConfigurationArn: string;

  /**
   * The name of the infrastructure configuration.
   *
   * @attribute
   */
  readonly infrastructureConfigurationName: string;

  /**
   * Grants the given actions on this infrastructure configuration to a principal.
   */
  grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant;

  /**
   * Grants `imagebuilder:GetInfrastructureConfiguration` on this infrastructure configuration to a principal.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant;
}

/**
 * The tenancy of build and test instances.
 *
 * @see https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_Placement.html
 */
export enum Tenancy {
  /** Shared hardware. */
  DEFAULT = 'default',
  /** Single-tenant hardware. */
  DEDICATED = 'dedicated',
  /** A Dedicated Host: any, a given one (`hostId`) or one of a host resource group (`hostResourceGroupArn`). */
  HOST = 'host',
}

/**
 * Where Image Builder launches build and test instances.
 */
export interface InstancePlacement {
  /**
   * The Availability Zone of build and test instances.
   *
   * When a `vpc` is given without `subnetSelection`, the subnet is picked in this zone.
   *
   * @default - EC2 chooses the zone (the zone of the subnet, when in a VPC)
   */
  readonly availabilityZone?: string;

  /**
   * The tenancy of build and test instances.
   *
   * Must be `Tenancy.HOST` when `hostId` or `hostResourceGroupArn` is given.
   *
   * @default - the tenancy of the VPC (shared, unless the VPC is dedicated)
   */
  readonly tenancy?: Tenancy;

  /**
   * The ID of the Dedicated Host to run build and test instances on. Requires `tenancy: Tenancy.HOST`; excludes
   * `hostResourceGroupArn`.
   *
   * @default - no specific host; with `Tenancy.HOST`, EC2 picks a host that has auto-placement enabled
   */
  readonly hostId?: string;

  /**
   * The ARN of the host resource group to run build and test instances in. Requires `tenancy: Tenancy.HOST`;
   * excludes `hostId`.
   *
   * @default - no host resource group
   */
  readonly hostResourceGroupArn?: string;
}

/**
 * Where build and test instances upload their logs.
 */
export interface InfrastructureConfigurationLogging {
  /**
   * The bucket that receives the logs. The instance role is granted `s3:PutObject` on the objects under
   * `s3KeyPrefix` only (and, for a KMS-encrypted bucket, `kms:GenerateDataKey` and `kms:Decrypt` on its key).
   */
  readonly s3Bucket: s3.IBucket;

  /**
   * The key prefix of the logs. A trailing `/` is optional: `logs` and `logs/` both grant `logs/*`.
   *
   * @default - no prefix: logs go to the root of the bucket and the instance role may write any object of it
   */
  readonly s3KeyPrefix?: string;
}

/**
 * Properties of an `InfrastructureConfiguration`.
 */
export interface InfrastructureConfigurationProps {
  /**
   * The name of the infrastructure configuration: 3 to 128 letters, digits, hyphens, underscores and spaces.
   *
   * Its ARN holds the name in lower case with spaces and underscores replaced by hyphens.
   *
   * @default - a unique lower-case name generated from the construct path
   */
  readonly infrastructureConfigurationName?: string;

  /**
   * The description of the infrastructure configuration (1 to 1024 characters).
   *
   * @default - no description
   */
  readonly description?: string;

  /**
   * The instance types Image Builder may launch.
   *
   * Image Builder picks one of them by availability. They must suit the architecture of the parent image.
   *
   * @default - Image Builder's default for the parent image (for example m5.large or m6g.large)
   */
  readonly instanceTypes?: ec2.InstanceType[];

  /**
   * The instance profile of build and test instances. Excludes `role`.
   *
   * Its role must allow what Image Builder documents for build instances (the managed policies
   * `EC2InstanceProfileForImageBuilder` and `AmazonSSMManagedInstanceCore`). When the profile was imported without
   * its role, the `role` attribute is undefined and no permission (for example for S3 logging) can be added for you.
   *
   * @default - an instance profile with `role`, or with a new role when `role` is not given either
   */
  readonly instanceProfile?: iam.IInstanceProfile;

  /**
   * The role of build and test instances; an instance profile is created for it. Excludes `instanceProfile`.
   *
   * The role must be assumable by `ec2.amazonaws.com` and allow what Image Builder documents for build instances
   * (the managed policies `EC2InstanceProfileForImageBuilder` and `AmazonSSMManagedInstanceCore`); no managed
   * policy is added to a role you give.
   *
   * @default - a new role assumed by `ec2.amazonaws.com` with the managed policies
   * `EC2InstanceProfileForImageBuilder` and `AmazonSSMManagedInstanceCore`
   */
  readonly role?: iam.IRole;

  /**
   * Whether this configuration builds container images.
   *
   * Adds the managed policy `EC2InstanceProfileForImageBuilderECRContainerBuilds` to the role this construct creates
   * (not to a role you give) and raises the default `httpPutResponseHopLimit` to 2, which container builds with
   * IMDSv2 need.
   *
   * @default false
   */
  readonly containerBuilds?: boolean;

  /**
   * The VPC to launch build and test instances in.
   *
   * @default - Image Builder's default: the default VPC of the Region, in a subnet EC2 chooses
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnet to launch build and test instances in. Requires `vpc`, and must select exactly one subnet: Image
   * Builder launches its instances in one subnet, and picking one of several silently would hide a choice.
   *
   * Zones that are tokens (such as `Fn.select(0, Fn.getAzs())`) are compared by what they resolve to. When the zones
   * cannot be compared at synth, the check is skipped, no subnet is chosen and a warning says so: give
   * `subnets: [subnet]` instead.
   *
   * @default - the first subnet of the VPC's default selection (private subnets with egress if any, else public),
   * in the zone of `placement.availabilityZone` when that is given
   */
  readonly subnetSelection?: ec2.SubnetSelection;

  /**
   * The security groups of build and test instances.
   *
   * Security groups created in this app belong to a VPC: give that VPC as `vpc` too. Without `vpc`, Image Builder
   * launches instances in the default VPC, so only imported security groups of the default VPC may be given.
   *
   * @default - with `vpc`, a new security group with no inbound rules that allows all outbound traffic (the
   * instances must reach Systems Manager, S3 and package repositories); without `vpc`, the default VPC's
   * default security group
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * The key pair to log on to build and test instances with, for troubleshooting. The security group created by
   * this construct has no inbound rule: open one with `connections.allowFrom` if you need SSH or RDP.
   *
   * @default - no key pair; connect with Systems Manager Session Manager
   */
  readonly keyPair?: ec2.IKeyPair;

  /**
   * Whether Image Builder terminates the instance when a build or test fails. Keep `true` outside troubleshooting:
   * a retained instance keeps running (and costing) with the build's credentials until someone terminates it.
   *
   * @default true
   */
  readonly terminateInstanceOnFailure?: boolean;

  /**
   * Whether instance metadata requests need a session token (IMDSv2).
   *
   * @default ec2.HttpTokens.REQUIRED
   */
  readonly httpTokens?: ec2.HttpTokens;

  /**
   * How many network hops an instance metadata response may travel (1 to 64). One hop keeps containers on the
   * instance from reaching the instance's credentials.
   *
   * @default 1, or 2 when `containerBuilds` is true
   */
  readonly httpPutResponseHopLimit?: number;

  /**
   * The SNS topic Image Builder publishes build notifications to. Image Builder publishes with its service-linked
   * role, not with the instance role, so no permission is added. A topic encrypted with a KMS key needs a
   * customer managed key of this account whose key policy lets the role `AWSServiceRoleForImageBuilder` use
   * `kms:GenerateDataKey*` and `kms:Decrypt`.
   *
   * @default - no notifications
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * Upload build and test logs to S3.
   *
   * @default - no S3 logs (Image Builder still writes to CloudWatch Logs as the managed policy allows)
   */
  readonly logging?: InfrastructureConfigurationLogging;

  /**
   * Where build and test instances run: Availability Zone, tenancy, Dedicated Host.
   *
   * @default - EC2's default placement
   */
  readonly placement?: InstancePlacement;

  /**
   * Tags for the EC2 instances Image Builder launches: 1 to 30 tags (leave it out rather than giving an empty map).
   * `Tags.of(scope)` does not add to them.
   *
   * @default - no tags on build and test instances
   */
  readonly resourceTags?: { [key: string]: string };

  /**
   * Tags for the infrastructure configuration itself (leave it out rather than giving an empty map). `Tags.of(scope)`
   * adds to them; the merged set is validated at synth: at most 50 tags, with Image Builder's key and value rules.
   *
   * @default - no tags
   */
  readonly tags?: { [key: string]: string };
}

abstract class InfrastructureConfigurationBase extends Resource implements IInfrastructureConfiguration {
  public abstract readonly infrastructureConfigurationArn: string;
  public abstract readonly infrastructureConfigurationName: string;

  /**
   * Grants the given actions on this infrastructure configuration, and nothing else, to a principal.
   */
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.infrastructureConfigurationArn],
    });
  }

  /**
   * Grants `imagebuilder:GetInfrastructureConfiguration` on this infrastructure configuration to a principal.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, 'imagebuilder:GetInfrastructureConfiguration');
  }
}

/**
 * An EC2 Image Builder infrastructure configuration, secure by default: IMDSv2 with a hop limit of 1, instances
 * terminated on failure, a least-privilege instance role and, in a VPC, a security group without inbound rules.
 *
 * @resource AWS::ImageBuilder::InfrastructureConfiguration
 * @see https://docs.aws.amazon.com/imagebuilder/latest/userguide/manage-infra-config.html
 */
export class InfrastructureConfiguration extends InfrastructureConfigurationBase implements ec2.IConnectable {
  /**
   * Imports an infrastructure configuration by its ARN. The name, account and Region are parsed from the ARN
   * (deploy-time tokens allowed). A malformed ARN is reported at synth.
   */
  public static fromInfrastructureConfigurationArn(
    scope: Construct, id: string, infrastructureConfigurationArn: string,
  ): IInfrastructureConfiguration {
    const { resourceName, splittable } = splitImportedArn(scope, infrastructureConfigurationArn);
    class Import extends InfrastructureConfigurationBase {
      public readonly infrastructureConfigurationArn = infrastructureConfigurationArn;
      public readonly infrastructureConfigurationName = resourceName;
    }
    const imported = new Import(scope, id, splittable ? { environmentFromArn: infrastructureConfigurationArn } : {});
    addValidation(imported, errors =>
      validateInfrastructureConfigurationArn(errors, 'infrastructureConfigurationArn', infrastructureConfigurationArn));
    return imported;
  }

  /**
   * Imports an infrastructure configuration of this stack's account and Region by its name. The ARN uses the name in
   * lower case with spaces and underscores replaced by hyphens, as Image Builder does. An invalid name is reported at
   * synth.
   */
  public static fromInfrastructureConfigurationName(
    scope: Construct, id: string, infrastructureConfigurationName: string,
  ): IInfrastructureConfiguration {
    const arn = Stack.of(scope).formatArn({
      service: 'imagebuilder',
      resource: 'infrastructure-configuration',
      resourceName: arnResourceName(infrastructureConfigurationName),
    });
    class Import extends InfrastructureConfigurationBase {
      public readonly infrastructureConfigurationArn = arn;
      public readonly infrastructureConfigurationName = infrastructureConfigurationName;
    }
    const imported = new Import(scope, id);
    addValidation(imported, errors => validateName(errors, 'infrastructureConfigurationName', infrastructureConfigurationName));
    return imported;
  }

  /** The bucket that receives build logs, if any. */
  public readonly logBucket?: s3.IBucket;

  /** The security groups of build and test instances (empty outside a VPC unless given). */
  public readonly securityGroups: ec2.ISecurityGroup[];

  /** The network connections of build and test instances, to open ports from or to them. */
  public get connections(): ec2.Connections {
    // Created on first use: most configurations never open a port (see CONTRIBUTING.md, Benchmarks).
    return this._connections ??= new ec2.Connections({ securityGroups: this.securityGroups });
  }

  /** The ID of the subnet build and test instances run in, or undefined outside a VPC. */
  public readonly subnetId?: string;

  private readonly cfnResource: CfnInfrastructureConfiguration;
  private _instanceProfile?: iam.IInstanceProfile;
  private _connections?: ec2.Connections;
  /** Set while the default role and instance profile are L1 resources. */
  private deferredRole?: DeferredInstanceRole;
  private arnAttribute?: string;
  private nameAttribute?: string;

  constructor(scope: Construct, id: string, props: InfrastructureConfigurationProps = {}) {
    super(scope, id, {
      physicalName: props.infrastructureConfigurationName ?? Lazy.string({
        produce: () => Names.uniqueResourceName(this, { maxLength: 128, separator: '-', allowedSpecialCharacters: '-' }).toLowerCase(),
      }),
    });

    const containerBuilds = props.containerBuilds ?? false;

    // Instance profile and role. A given profile wins over a given role; giving both is reported at synth. The default
    // role starts as plain L1 resources and becomes an iam.Role when first read (private/instance-role.ts). It is read
    // at once when this constructor needs it (for the logging grant) and when iam.Role.customizeRoles() is in effect,
    // which acts in the iam.Role constructor.
    if (props.instanceProfile) {
      this._instanceProfile = props.instanceProfile;
    } else if (props.role) {
      this._instanceProfile = new iam.InstanceProfile(this, PROFILE_ID, { role: props.role });
    } else {
      this.deferredRole = createDeferredInstanceRole(this, containerBuilds);
      if (props.logging || this.node.tryGetContext(CUSTOMIZE_ROLES_CONTEXT_KEY) !== undefined) this.materializeDefaultRole();
    }

    // Network.
    const subnet = props.vpc ? selectSubnet(Stack.of(this), props.vpc, props.subnetSelection, props.placement?.availabilityZone) : undefined;
    if (subnet?.undecided) warnRule(this, RULES.infrastructureSubnetUnknown, UNDECIDED_SUBNET_WARNING);
    this.subnetId = subnet?.selected?.subnetId;
    this.securityGroups = props.securityGroups ?? (props.vpc ? [new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'EC2 Image Builder build and test instances: no inbound rules',
      allowAllOutbound: true,
    })] : []);

    // Logging: the instances write their logs under the prefix, and nowhere else.
    this.logBucket = props.logging?.s3Bucket;
    if (props.logging) {
      if (this.role) {
        const logObjects = props.logging.s3Bucket.arnForObjects(logObjectKeyPattern(props.logging.s3KeyPrefix));
        const grant = iam.Grant.addToPrincipal({
          grantee: this.role,
          actions: ['s3:PutObject'],
          resourceArns: [logObjects],
        });
        if (grant.principalStatements.length > 0) {
          acknowledgeWildcardResource(this.role, logObjects, 'Image Builder writes one log object per build, step and '
            + 'instance, named at build time: s3:PutObject is limited to the objects under the configured log prefix.');
        }
        props.logging.s3Bucket.encryptionKey?.grant(this.role, 'kms:GenerateDataKey', 'kms:Decrypt');
      } else {
        warnRule(this, RULES.infrastructureLoggingNoRole,
          'logging: the role of the given instanceProfile is unknown, so s3:PutObject on the log bucket could not be granted; '
          + 'grant it to the role yourself or import the profile with InstanceProfile.fromInstanceProfileAttributes({ role })');
      }
    }

    if (props.notificationTopic?.masterKey) {
      warnRule(this, RULES.infrastructureEncryptedTopic,
        'notificationTopic is encrypted with a KMS key: it must be a customer managed key of this account whose key policy allows '
        + 'the role AWSServiceRoleForImageBuilder kms:GenerateDataKey* and kms:Decrypt, or Image Builder cannot publish');
    }

    const metadata = renderMetadataOptions(props);
    const resource = new CfnInfrastructureConfiguration(this, 'Resource', renderInfrastructureConfiguration({
      props,
      name: this.physicalName,
      instanceProfileName: this.deferredRole?.profile.ref ?? this._instanceProfile!.instanceProfileName,
      subnetId: this.subnetId,
      securityGroupIds: this.securityGroups.map(sg => sg.securityGroupId),
      metadata,
    }));

    this.cfnResource = resource;

    addValidation(this, errors => validateInfrastructureConfiguration(errors, {
      props, subnet, metadata, containerBuilds, renderedTags: resource.tags, warn: (rule, message) => warnRule(this, rule, message),
    }));
  }

  /**
   * The instance profile of build and test instances.
   *
   * The default profile and role start as plain CloudFormation resources; the first read of this attribute or of
   * `role` turns them into `iam.InstanceProfile` and `iam.Role` constructs, with the same template. Read it while you define the app (not from a `Lazy` value resolved at synth).
   */
  public get instanceProfile(): iam.IInstanceProfile {
    this.materializeDefaultRole();
    return this._instanceProfile!;
  }

  /**
   * The role of build and test instances; add permissions your components need to it.
   *
   * Undefined only when an `instanceProfile` was given whose role is unknown (imported by name or ARN). Reading it
   * turns the default role into an `iam.Role` construct (see `instanceProfile`).
   */
  public get role(): iam.IRole | undefined {
    return this.instanceProfile.role;
  }

  /**
   * The ARN of the infrastructure configuration.
   *
   * Created on first use, like the name: each attribute token costs aws-cdk-lib a cross-environment reference wrapper,
   * and most configurations are never referenced by ARN.
   *
   * @attribute
   */
  public get infrastructureConfigurationArn(): string {
    return this.arnAttribute ??= this.getResourceArnAttribute(this.cfnResource.attrArn, {
      service: 'imagebuilder',
      resource: 'infrastructure-configuration',
      resourceName: arnResourceName(this.physicalName),
    });
  }

  /**
   * The name of the infrastructure configuration.
   *
   * @attribute
   */
  public get infrastructureConfigurationName(): string {
    return this.nameAttribute ??= this.getResourceNameAttribute(this.cfnResource.attrName);
  }

  /** Replaces the default role and profile's L1 resources by the L2 constructs, keeping their logical IDs. */
  private materializeDefaultRole(): void {
    const deferred = this.deferredRole;
    if (!deferred) return;
    this.deferredRole = undefined;
    this._instanceProfile = materializeInstanceRole(this, deferred);
    // Undefined when the constructor materializes: it then renders the L2 profile's name itself.
    if (this.cfnResource) this.cfnResource.instanceProfileName = this._instanceProfile.instanceProfileName;
  }
}
