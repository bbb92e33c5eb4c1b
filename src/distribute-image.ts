import { CustomResource, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { AmiDistribution, DistributionConfiguration, IDistributionConfiguration } from './distribution-configuration';
import { AmiAttributeRequest, validateDistributeImage } from './private/distribute-image-validation';
import { ssmParameterName } from './private/distribution-render';
import { DISTRIBUTE_IMAGE_RESOURCE_TYPE, DistributeImageAttributes, DistributeImageResourceProperties } from './private/handler-contract';
import { acknowledgeNag, acknowledgeWildcardResource } from './private/nag';
import { SSM_PARAMETER_ARN_PATTERN } from './private/patterns';
import { DISTRIBUTE_SERVICE_TIMEOUT, ImageBuilderProvider, MAX_DISTRIBUTION_WAIT } from './private/provider';
import { RULES, warnRule } from './private/rules';
import { addValidation, isUnresolved } from './private/validation';

/** The role name Image Builder assumes in each target account for cross-account distribution (documented name). */
export const CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME = 'EC2ImageBuilderDistributionCrossAccountRole';

/** The kind of image a `DistributeImageSource` names. */
export enum DistributeImageSourceType {
  /** An EC2 AMI ID. */
  AMI_ID = 'AMI_ID',
  /** An SSM parameter whose value is an AMI ID. */
  SSM_PARAMETER = 'SSM_PARAMETER',
  /** An Image Builder image (build version) ARN. */
  IMAGE_ARN = 'IMAGE_ARN',
}

/**
 * The image to distribute: an AMI ID, an SSM parameter holding an AMI ID, or an Image Builder image ARN.
 */
export class DistributeImageSource {
  /**
   * An existing AMI, by ID (`ami-` and 8 or 17 hex digits), in the stack's Region.
   */
  public static fromAmiId(amiId: string): DistributeImageSource {
    return new DistributeImageSource(DistributeImageSourceType.AMI_ID, amiId);
  }

  /**
   * An SSM parameter whose value is an AMI ID. The custom resource's handler role may read it.
   *
   * A parameter imported by ARN (`StringParameter.fromStringParameterArn`) is sent by its ARN: aws-cdk-lib's
   * `parameterName` of such an import keeps only the last segment of a hierarchical name, and the ARN also names the
   * parameter's account.
   */
  public static fromSsmParameter(parameter: ssm.IParameter): DistributeImageSource {
    const arn = parameter.parameterArn;
    const byArn = !Token.isUnresolved(arn) && SSM_PARAMETER_ARN_PATTERN.test(arn);
    return new DistributeImageSource(DistributeImageSourceType.SSM_PARAMETER, byArn ? arn : parameter.parameterName, parameter);
  }

  /**
   * An SSM parameter, by name or path (for example `/golden/ami/latest`) or by ARN
   * (`arn:aws:ssm:<region>:<account>:parameter/golden/ami/latest`), whose value is an AMI ID.
   */
  public static fromSsmParameterName(parameterName: string): DistributeImageSource {
    return new DistributeImageSource(DistributeImageSourceType.SSM_PARAMETER, parameterName);
  }

  /**
   * An Image Builder image in the AVAILABLE state, by ARN
   * (`arn:aws:imagebuilder:<region>:<account>:image/<name>/<x.y.z>[/<build>]`).
   */
  public static fromImageArn(imageArn: string): DistributeImageSource {
    return new DistributeImageSource(DistributeImageSourceType.IMAGE_ARN, imageArn);
  }

  /**
   * @param type what `value` names
   * @param value the AMI ID, parameter name or image ARN
   * @param parameter the parameter construct, when given as one
   */
  private constructor(
    public readonly type: DistributeImageSourceType,
    public readonly value: string,
    public readonly parameter?: ssm.IParameter,
  ) {}

  /**
   * The value sent as DistributeImage's `sourceImage`. SSM parameters use Image Builder's `ssm:` prefix.
   */
  public get sourceImage(): string {
    return this.type === DistributeImageSourceType.SSM_PARAMETER ? `ssm:${this.value}` : this.value;
  }
}

/**
 * Properties of a `DistributeImage`.
 */
export interface DistributeImageProps {
  /**
   * The image to distribute.
   */
  readonly source: DistributeImageSource;

  /**
   * The distribution configuration that names the target Regions, accounts and AMI settings. It must be in the
   * stack's Region.
   */
  readonly distributionConfiguration: IDistributionConfiguration;

  /**
   * The role Image Builder assumes to distribute the image.
   *
   * @default - a role trusted by `imagebuilder.amazonaws.com` with what distribution needs: copying and sharing
   * AMIs and snapshots, tagging, the KMS keys in `kmsKeys`, and `sts:AssumeRole` on
   * `EC2ImageBuilderDistributionCrossAccountRole` in each account of `targetAccountIds`.
   */
  readonly executionRole?: iam.IRole;

  /**
   * Accounts the configuration distributes to. The created execution role may assume the documented
   * cross-account distribution role in each of them. Only needed when `executionRole` is not given.
   *
   * @default - taken from the configuration when it is this library's `DistributionConfiguration`; none otherwise
   */
  readonly targetAccountIds?: string[];

  /**
   * KMS keys the configuration encrypts AMIs with. The created execution role is granted their use.
   *
   * @default - taken from the configuration when it is this library's `DistributionConfiguration`; none otherwise
   */
  readonly kmsKeys?: kms.IKey[];

  /**
   * A CloudWatch log group for the distribution's logs.
   *
   * @default - Image Builder's default logging
   */
  readonly logGroup?: logs.ILogGroup;

  /**
   * Tags for the distributed image.
   *
   * At most 50 tags; keys of 1-128 characters, not starting with `aws:`; values of at most 256 characters.
   *
   * @default - no tags
   */
  readonly tags?: { [key: string]: string };

  /**
   * What happens to the distributed image when this resource is removed from the stack or replaced.
   * `RETAIN` keeps it. `DESTROY` deletes the image build version, deregisters the AMIs it created in this account
   * and deletes their snapshots; AMIs in other accounts are kept (this account has no credentials there).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * How long to wait for the distribution to become AVAILABLE before failing the deployment: 1 to 50 minutes.
   *
   * CloudFormation waits at most an hour for a custom resource; the rest of that hour is left for the provider's
   * waiter and its answer. A distribution that takes longer keeps running in Image Builder after the resource failed;
   * the rollback then deletes it when `removalPolicy` is `DESTROY` (cancelling it if it still runs), and keeps it
   * otherwise. See docs/lifecycle.md. The status is checked every 30 seconds, or at the interval the stack's context
   * sets: `cdk-imagebuilder-distribution:pollIntervalSeconds` (5 to 1800), one interval for every resource of the
   * stack, whose custom-resource provider is shared.
   *
   * @default Duration.minutes(50)
   */
  readonly timeout?: Duration;
}

/**
 * Distributes an existing AMI, SSM-parameter AMI or Image Builder image to the Regions and accounts of a
 * distribution configuration at deploy time (`DistributeImage`), waits until it is AVAILABLE, and exposes the
 * resulting AMI IDs.
 */
export class DistributeImage extends Construct {
  /** The ARN of the image build version the distribution created. */
  public readonly imageBuildVersionArn: string;

  /** JSON list of `{ region, accountId, image }`, one entry per distributed AMI. */
  public readonly amis: string;

  /** The role Image Builder assumes to distribute. */
  public readonly executionRole: iam.IRole;

  private readonly resource: CustomResource;
  /** The AMI ID attributes asked for, checked at synth against the configuration. */
  private readonly amiAttributes: AmiAttributeRequest[] = [];
  /** The role the custom-resource handler assumes for this distribution's calls. */
  private readonly handlerRole: iam.Role;

  constructor(scope: Construct, id: string, props: DistributeImageProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const provider = ImageBuilderProvider.of(this);
    const configArn = props.distributionConfiguration.distributionConfigurationArn;

    this.executionRole = props.executionRole ?? this.createExecutionRole(props);

    const removal = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const timeout = props.timeout ?? MAX_DISTRIBUTION_WAIT;
    this.handlerRole = provider.newHandlerRole(this, 'HandlerRole',
      'cdk-imagebuilder-distribution: assumed by the custom-resource handler to run one DistributeImage');

    const properties: DistributeImageResourceProperties = {
      SourceImage: props.source.sourceImage,
      DistributionConfigurationArn: configArn,
      ExecutionRole: this.executionRole.roleArn,
      LogGroupName: props.logGroup?.logGroupName,
      Tags: props.tags ? stack.toJsonString(props.tags) : undefined,
      RemovalPolicy: removal === RemovalPolicy.DESTROY ? 'destroy' : 'retain',
      TimeoutSeconds: String(timeout.toSeconds()),
      RoleArn: this.handlerRole.roleArn,
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.distributeServiceToken,
      resourceType: DISTRIBUTE_IMAGE_RESOURCE_TYPE,
      // The most CloudFormation waits; `timeout` and the provider's waiter end before it.
      serviceTimeout: DISTRIBUTE_SERVICE_TIMEOUT,
      properties: { ...properties },
      // The handler decides what DESTROY removes; CloudFormation must always send the Delete.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.grantHandler(configArn, props, removal);
    // The role's policy too: it must exist before the first call and outlive the Delete.
    this.resource.node.addDependency(this.handlerRole);
    // The whole configuration first, its S3 export patch included, so that the distribution runs with all of it.
    this.resource.node.addDependency(props.distributionConfiguration);
    this.imageBuildVersionArn = this.resource.getAttString(DistributeImageAttributes.IMAGE_BUILD_VERSION_ARN);
    this.amis = this.resource.getAttString(DistributeImageAttributes.AMIS);

    addValidation(this, (errors) => validateDistributeImage(errors, {
      scope: this, props, timeout, maxTimeout: MAX_DISTRIBUTION_WAIT, amiAttributes: this.amiAttributes,
    }));
  }

  /**
   * The ID of the AMI distributed to `region` in the stack's account.
   */
  public amiIdInRegion(region: string): string {
    literalAttributePart('amiIdInRegion', 'region', region);
    this.amiAttributes.push({ method: 'amiIdInRegion', region });
    return this.resource.getAttString(DistributeImageAttributes.amiIdInRegion(region));
  }

  /**
   * The ID of the AMI distributed to `region` in `accountId`.
   */
  public amiId(region: string, accountId: string): string {
    literalAttributePart('amiId', 'region', region);
    literalAttributePart('amiId', 'accountId', accountId);
    this.amiAttributes.push({ method: 'amiId', region, account: accountId });
    return this.resource.getAttString(DistributeImageAttributes.amiIdInRegionAndAccount(region, accountId));
  }

  private createExecutionRole(props: DistributeImageProps): iam.IRole {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('imagebuilder.amazonaws.com'),
      description: 'Assumed by EC2 Image Builder to distribute an image (cdk-imagebuilder-distribution DistributeImage)',
    });
    // Copying and sharing AMIs across Regions: the new AMIs' IDs are unknown, so images and snapshots are scoped
    // to this account (snapshots) and to AMIs (which have no owner in their ARN).
    const images = stack.formatArn({ service: 'ec2', region: '*', account: '', resource: 'image', resourceName: '*' });
    const snapshots = stack.formatArn({ service: 'ec2', region: '*', resource: 'snapshot', resourceName: '*' });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ec2:CopyImage', 'ec2:CreateTags', 'ec2:ModifyImageAttribute', 'ec2:ModifySnapshotAttribute'],
      resources: [images, snapshots],
    }));
    acknowledgeWildcardResource(role, images, 'The AMIs that DistributeImage copies are created during the deployment, in '
      + 'every Region of the distribution: their IDs cannot be known in advance. AMI ARNs have no account to scope by.');
    acknowledgeWildcardResource(role, snapshots, 'The snapshots of the copied AMIs are created during the deployment, in '
      + 'every Region of the distribution; they are scoped to this account.');
    // Describe* actions support no resource-level permissions.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ec2:DescribeImages', 'ec2:DescribeImageAttribute', 'ec2:DescribeSnapshots'],
      resources: ['*'],
    }));
    acknowledgeNag(role, 'AwsSolutions-IAM5[Resource::*]', 'Only for ec2:DescribeImages, ec2:DescribeImageAttribute and '
      + 'ec2:DescribeSnapshots, which support no resource-level permissions (EC2 service authorization reference).');

    const assumed = new Set<string>();
    const allowAccount = (account: string) => {
      if (assumed.has(account) || (!isUnresolved(account) && account === stack.account)) return;
      assumed.add(account);
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: [stack.formatArn({
          service: 'iam', region: '', account, resource: 'role', resourceName: CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME,
        })],
      }));
    };
    // What EBS needs to copy encrypted snapshots, spelled out (no kms:ReEncrypt* / kms:GenerateDataKey* wildcards).
    const grantKey = (key: kms.IKey) => key.grant(role,
      'kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey',
      'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey', 'kms:CreateGrant');

    props.targetAccountIds?.forEach(allowAccount);
    props.kmsKeys?.forEach(grantKey);
    const config = props.distributionConfiguration;
    if (config instanceof DistributionConfiguration) {
      // Also sees AMI distributions added to the configuration after this construct.
      config._forEachAmiDistribution((distribution, region) => {
        warnUngrantedFeatures(this, distribution, region);
        if (!props.targetAccountIds) distribution.targetAccountIds?.forEach(allowAccount);
        if (!props.kmsKeys && distribution.kmsKey) grantKey(distribution.kmsKey);
        // SSM output parameters are written with the execution role, in the distribution's Region; those of other
        // accounts are written through the cross-account distribution role there.
        for (const output of distribution.ssmParameters ?? []) {
          if (output.accountId !== undefined && output.accountId !== stack.account) continue;
          const name = ssmParameterName(output);
          role.addToPrincipalPolicy(new iam.PolicyStatement({
            actions: ['ssm:GetParameter', 'ssm:PutParameter'],
            resources: [stack.formatArn({
              service: 'ssm',
              region,
              resource: 'parameter',
              resourceName: Token.isUnresolved(name) || !name.startsWith('/') ? name : name.slice(1),
            })],
          }));
        }
      });
    }
    if (props.logGroup) {
      props.logGroup.grantWrite(role);
    }
    return role;
  }

  /** What the handler needs for this distribution, on its role for this resource. */
  private grantHandler(configArn: string, props: DistributeImageProps, removal: RemovalPolicy): void {
    const stack = Stack.of(this);
    const role = this.handlerRole;
    const images = stack.formatArn({ service: 'imagebuilder', resource: 'image', resourceName: '*' });
    const distributeResources = [configArn, images];
    if (props.source.type === DistributeImageSourceType.IMAGE_ARN) distributeResources.push(props.source.value);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['imagebuilder:DistributeImage'], resources: distributeResources }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['imagebuilder:GetImage'], resources: [images] }));
    acknowledgeWildcardResource(role, images, 'DistributeImage creates a new image build version whose ARN is '
      + 'only known from the API response; the handler reads (and, with RemovalPolicy.DESTROY, deletes) it. Scoped to '
      + 'Image Builder images of this account and Region.');
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [this.executionRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'imagebuilder.amazonaws.com' } },
    }));
    if (props.source.parameter) {
      props.source.parameter.grantRead(role);
    } else if (props.source.type === DistributeImageSourceType.SSM_PARAMETER) {
      const name = props.source.value;
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['ssm:GetParameter', 'ssm:GetParameters'],
        resources: [!Token.isUnresolved(name) && SSM_PARAMETER_ARN_PATTERN.test(name) ? name : stack.formatArn({
          service: 'ssm', resource: 'parameter', resourceName: Token.isUnresolved(name) || !name.startsWith('/') ? name : name.slice(1),
        })],
      }));
    }
    if (removal === RemovalPolicy.DESTROY) {
      // A distribution still running when its Delete arrives is cancelled first (then its AMIs and image deleted).
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['imagebuilder:CancelImageCreation', 'imagebuilder:DeleteImage'], resources: [images] }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['ec2:DeregisterImage'],
        resources: [stack.formatArn({ service: 'ec2', region: '*', account: '', resource: 'image', resourceName: '*' })],
      }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['ec2:DeleteSnapshot'],
        resources: [stack.formatArn({ service: 'ec2', region: '*', resource: 'snapshot', resourceName: '*' })],
      }));
      // DescribeImages has no resource-level permissions; it finds the snapshots to delete.
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeImages'], resources: ['*'] }));
      const amis = stack.formatArn({ service: 'ec2', region: '*', account: '', resource: 'image', resourceName: '*' });
      acknowledgeWildcardResource(role, amis, 'With RemovalPolicy.DESTROY the handler deregisters the AMIs that '
        + 'the distribution created in each Region; their IDs are only known at deploy time.');
      acknowledgeWildcardResource(role, stack.formatArn({ service: 'ec2', region: '*', resource: 'snapshot', resourceName: '*' }),
        'With RemovalPolicy.DESTROY the handler deletes the snapshots of the distributed AMIs, created at deploy time '
        + 'in each Region; scoped to this account.');
      acknowledgeNag(role, 'AwsSolutions-IAM5[Resource::*]', 'Only for ec2:DescribeImages, which supports no '
        + 'resource-level permissions; it finds the snapshots of the AMIs to delete.');
    }
  }
}

/**
 * Image Builder performs launch template updates, Fast Launch, license configurations and the S3 export of a
 * distribution with the execution role. Their permissions depend on resources the configuration only names (templates
 * possibly in other accounts, the export's VM Import/Export role), so the created role gets none of them and says so.
 */
function warnUngrantedFeatures(scope: Construct, distribution: AmiDistribution, region: string): void {
  const features = [
    distribution.launchTemplates?.length ? 'launchTemplates' : undefined,
    distribution.fastLaunchConfigurations?.length ? 'fastLaunchConfigurations' : undefined,
    distribution.licenseConfigurationArns?.length ? 'licenseConfigurationArns' : undefined,
    distribution.s3Export ? 's3Export' : undefined,
  ].filter((f): f is string => f !== undefined);
  if (features.length === 0) return;
  const where = !Token.isUnresolved(region) ? region
    : distribution.region === undefined ? 'the stack\'s Region' : 'a Region given as a token';
  warnRule(scope, RULES.executionRoleNotGranted,
    `executionRole: the AMI distribution to ${where} uses ${features.join(', ')}, which Image Builder performs with the `
    + 'execution role; the role this construct creates is not granted them. Give an executionRole that allows them.');
}

/**
 * The Region and account become part of an `Fn::GetAtt` attribute name, which CloudFormation takes only as a literal
 * string (a `Ref` at most, never a joined string), so a token there would fail the deployment.
 */
function literalAttributePart(method: string, name: string, value: string): void {
  if (Token.isUnresolved(value)) {
    throw new Error(`${method}: ${name} must be a literal value such as ${name === 'region' ? '"eu-west-1"' : '"111111111111"'}, `
      + `not a token (${value}): it becomes part of the Fn::GetAtt attribute name, which CloudFormation needs literally. `
      + 'In an environment-agnostic stack, name the Region and account explicitly, or read the AMIs from the `amis` attribute.');
  }
}
