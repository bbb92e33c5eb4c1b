import { CustomResource, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { DistributionConfiguration, IDistributionConfiguration } from './distribution-configuration';
import { amiArn, imageBuilderImagesArn, snapshotsArn, ssmParameterArn } from './private/arns';
import { AmiAttributeRequest, validateDistributeImage } from './private/distribute-image-validation';
import { ssmParameterName } from './private/distribution-render';
import { CREATED_BY_IMAGE_BUILDER, ExecutionRoleStatement, ExecutionRoleStatements } from './private/execution-role';
import {
  CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME as DISTRIBUTION_ROLE_NAME, DISTRIBUTE_IMAGE_RESOURCE_TYPE, DistributeImageAttributes,
  DistributeImageResourceProperties,
} from './private/handler-contract';
import { acknowledgeManagedPolicies, acknowledgeNag, acknowledgeWildcardResource } from './private/nag';
import { SSM_PARAMETER_ARN_PATTERN } from './private/patterns';
import { DISTRIBUTE_SERVICE_TIMEOUT, ImageBuilderProvider, MAX_DISTRIBUTION_WAIT } from './private/provider';
import { RULES, warnRule } from './private/rules';
import { IMAGE_BUILDER_SERVICE } from './private/service-principals';
import { addValidation, isUnresolved } from './private/validation';

/** The role name Image Builder assumes in each target account for cross-account distribution (documented name). */
export const CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME = DISTRIBUTION_ROLE_NAME;

const EXECUTION_POLICY = 'EC2ImageBuilderExecutionPolicy';
const FAST_LAUNCH_POLICY = 'EC2FastLaunchFullAccess';

/** How the execution role that `DistributeImage` creates gets its permissions. */
export enum ExecutionRolePolicy {
  /**
   * Statements for exactly the features the distribution configuration uses, derived from the AWS managed policy
   * `EC2ImageBuilderExecutionPolicy`, with resources narrowed to the Regions, accounts, launch templates, license
   * configurations, parameters and roles the configuration names. Needs this library's `DistributionConfiguration`
   * to see the features.
   */
  PER_FEATURE = 'PER_FEATURE',
  /**
   * The AWS managed policy `EC2ImageBuilderExecutionPolicy`, which the Image Builder user guide recommends for
   * execution roles and AWS keeps current (broader: every Image Builder workflow action), plus what it does not cover
   * (SSM parameters outside `/imagebuilder/`, custom log groups, Fast Launch without a launch template, KMS keys).
   */
  MANAGED_POLICY = 'MANAGED_POLICY',
}

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
   * @default - a role trusted by `imagebuilder.amazonaws.com` (from this account) with what the distribution
   * configuration's features need (see `executionRolePolicy` and docs/iam.md): copying, sharing and tagging AMIs,
   * launch templates, Fast Launch, license configurations, SSM outputs, S3 export, the KMS keys in `kmsKeys`, the log
   * group, and `sts:AssumeRole` on `EC2ImageBuilderDistributionCrossAccountRole` in each account of `targetAccountIds`.
   */
  readonly executionRole?: iam.IRole;

  /**
   * How the created execution role gets its permissions. Only used when `executionRole` is not given.
   *
   * @default ExecutionRolePolicy.PER_FEATURE
   */
  readonly executionRolePolicy?: ExecutionRolePolicy;

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
    if (props.executionRole) warnUntaggedSourceAmi(this, props);

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
      // Image Builder user guide: the execution role trusts the service; aws:SourceAccount keeps other accounts'
      // Image Builder from using it (AWS agent toolkit's execution-role trust policy).
      assumedBy: new iam.ServicePrincipal(IMAGE_BUILDER_SERVICE, {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Assumed by EC2 Image Builder to distribute an image (cdk-imagebuilder-distribution DistributeImage)',
    });
    const managed = props.executionRolePolicy === ExecutionRolePolicy.MANAGED_POLICY;
    const statements = new ExecutionRoleStatements(stack);
    const seen = new Set<string>();
    const add = (list: ExecutionRoleStatement[]) => {
      for (const st of list) {
        const key = JSON.stringify(stack.resolve(st));
        if (seen.has(key)) continue;
        seen.add(key);
        const { wildcardReason, ...statement } = st;
        role.addToPrincipalPolicy(new iam.PolicyStatement(statement));
        for (const resource of st.resources.filter((r) => r.includes('*'))) {
          if (!wildcardReason) throw new Error(`execution role statement ${st.actions.join(', ')} on ${resource} has no wildcardReason`);
          if (resource === '*') continue; // acknowledged once below, naming every such action
          acknowledgeWildcardResource(role, resource, wildcardReason);
        }
      }
    };
    const managedPolicies = new Set<string>();
    const attach = (name: string) => {
      if (managedPolicies.has(name)) return;
      managedPolicies.add(name);
      role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName(name));
    };
    if (managed) {
      attach(EXECUTION_POLICY);
    } else {
      add(statements.base());
      acknowledgeNag(role, 'AwsSolutions-IAM5[Resource::*]', 'ec2:DescribeImages, ec2:DescribeSnapshots, ec2:DescribeTags, '
        + 'ec2:DescribeLaunchTemplates/Versions and ec2:DescribeExportImageTasks support no resource-level permissions; '
        + 'ec2:CopyImage creates AMIs and snapshots whose IDs exist only at deploy time, in every Region of the '
        + 'distribution (EC2ImageBuilderExecutionPolicy grants it on "*" as well); ec2:CreateTags on "*" is only for '
        + 'tags on create (ec2:CreateAction RunInstances/CreateImage with CreatedBy tags, Fast Launch).');
    }

    const assumed = new Set<string>();
    const allowAccount = (account: string) => {
      if (assumed.has(account) || (!isUnresolved(account) && account === stack.account)) return;
      assumed.add(account);
      if (!managed || isUnresolved(account)) add(statements.crossAccount(account));
    };
    // What EBS needs to copy encrypted snapshots, spelled out (no kms:ReEncrypt* / kms:GenerateDataKey* wildcards).
    const grantKey = (key: kms.IKey) => key.grant(role,
      'kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey',
      'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey', 'kms:CreateGrant');

    props.targetAccountIds?.forEach(allowAccount);
    props.kmsKeys?.forEach(grantKey);
    const sourceAmi = props.source.type === DistributeImageSourceType.AMI_ID && !isUnresolved(props.source.value) ? props.source.value : undefined;
    // An AMI not built by Image Builder lacks the CreatedBy tag the statements require to act on the AMI itself.
    const untaggedSource = (action: string) => {
      if (sourceAmi) add(statements.untaggedSourceAmi(stack.region, sourceAmi, [action]));
    };
    const config = props.distributionConfiguration;
    if (config instanceof DistributionConfiguration) {
      // Also sees AMI distributions added to the configuration after this construct.
      config._forEachAmiDistribution((distribution, region) => {
        if (!props.targetAccountIds) distribution.targetAccountIds?.forEach(allowAccount);
        if (!props.kmsKeys && distribution.kmsKey) grantKey(distribution.kmsKey);
        const own = (account: string | undefined) => account === undefined || account === stack.account;
        if (!managed && (distribution.launchPermission || distribution.targetAccountIds?.length)) add(statements.launchPermission(region));
        if (distribution.launchPermission) untaggedSource('ec2:ModifyImageAttribute');
        const templates = (distribution.launchTemplates ?? []).filter((t) => own(t.accountId));
        if (!managed && templates.length > 0) {
          add(statements.launchTemplates(region, templates.map((t) => t.launchTemplate.launchTemplateId!)));
        }
        const fastLaunch = (distribution.fastLaunchConfigurations ?? []).filter((f) => own(f.accountId));
        if (fastLaunch.length > 0) {
          if (!managed) add(statements.fastLaunch(region));
          // Without a launch template, Fast Launch creates its own VPC, subnets and template through CloudFormation:
          // Image Builder's prerequisites say to attach EC2FastLaunchFullAccess.
          if (fastLaunch.some((f) => !f.launchTemplate)) attach(FAST_LAUNCH_POLICY);
          untaggedSource('ec2:EnableFastLaunch');
        }
        if (!managed && distribution.licenseConfigurationArns?.length) add(statements.licenses(distribution.licenseConfigurationArns));
        for (const output of distribution.ssmParameters ?? []) {
          // SSM outputs of other accounts are written through the cross-account distribution role there.
          if (!own(output.accountId)) {
            allowAccount(output.accountId!);
            continue;
          }
          const name = ssmParameterName(output);
          const arn = output.parameter && !output.parameterName ? output.parameter.parameterArn : ssmParameterArn(stack, region, name);
          // The managed policy covers /imagebuilder/ parameters only.
          if (!managed || isUnresolved(name) || !name.replace(/^\//, '').startsWith('imagebuilder/')) add(statements.ssmOutput(arn));
        }
        if (distribution.s3Export) {
          // The managed policy passes any role to vmie.amazonaws.com.
          if (!managed) add(statements.s3Export(region, distribution.s3Export.role.roleArn));
          untaggedSource('ec2:ExportImage');
        }
      });
    }
    if (props.logGroup) {
      props.logGroup.grantWrite(role);
    }
    acknowledgeManagedPolicies(role, [EXECUTION_POLICY, FAST_LAUNCH_POLICY], 'EC2ImageBuilderExecutionPolicy is the policy '
      + 'the Image Builder user guide names for execution roles (attached only with ExecutionRolePolicy.MANAGED_POLICY); '
      + 'EC2FastLaunchFullAccess is what its Fast Launch prerequisites require when no launch template is given (Fast '
      + 'Launch then creates its own network resources through CloudFormation).');
    return role;
  }

  /**
   * What the handler needs for this distribution, on its role for this resource: what the DistributeImage call
   * authorizes (Service Authorization Reference, "API operations": imagebuilder:DistributeImage, GetDistributionConfiguration,
   * GetImage, TagResource, iam:PassRole to imagebuilder.amazonaws.com), polling GetImage, and the removal.
   */
  private grantHandler(configArn: string, props: DistributeImageProps, removal: RemovalPolicy): void {
    const stack = Stack.of(this);
    const role = this.handlerRole;
    // DistributeImage and TagResource act on the image build version the call creates, GetImage and DeleteImage on it
    // too: its ARN is only known from the response. An image ARN source is read as well.
    const images = imageBuilderImagesArn(stack);
    const imageActions = ['imagebuilder:DistributeImage', 'imagebuilder:GetImage'];
    if (props.tags) imageActions.push('imagebuilder:TagResource');
    // A distribution still running when its Delete arrives is cancelled first (then its AMIs and image deleted).
    if (removal === RemovalPolicy.DESTROY) imageActions.push('imagebuilder:CancelImageCreation', 'imagebuilder:DeleteImage');
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: imageActions, resources: [images] }));
    acknowledgeWildcardResource(role, images, 'DistributeImage creates a new image build version whose ARN is '
      + 'only known from the API response; the handler distributes, tags, reads (and, with RemovalPolicy.DESTROY, '
      + 'deletes) it. Scoped to Image Builder images of this account and Region.');
    if (props.source.type === DistributeImageSourceType.IMAGE_ARN && !isCoveredBy(stack, props.source.value)) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['imagebuilder:DistributeImage', 'imagebuilder:GetImage'], resources: [props.source.value],
      }));
    }
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['imagebuilder:GetDistributionConfiguration'], resources: [configArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [this.executionRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': IMAGE_BUILDER_SERVICE } },
    }));
    // Image Builder resolves an `ssm:` source; which identity reads the parameter is not documented, so the caller
    // may as well as the execution role.
    if (props.source.parameter) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['ssm:GetParameter'], resources: [props.source.parameter.parameterArn],
      }));
    } else if (props.source.type === DistributeImageSourceType.SSM_PARAMETER) {
      const name = props.source.value;
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [!Token.isUnresolved(name) && SSM_PARAMETER_ARN_PATTERN.test(name) ? name : ssmParameterArn(stack, stack.region, name)],
      }));
    }
    if (removal === RemovalPolicy.DESTROY) {
      // Only AMIs and snapshots Image Builder made: it tags them CreatedBy "EC2 Image Builder", the condition its own
      // lifecycle policy (EC2ImageBuilderLifecycleExecutionPolicy) deletes them by. AMI and snapshot ARNs name no
      // account; the IDs exist only at deploy time.
      const createdByImageBuilder = { StringEquals: CREATED_BY_IMAGE_BUILDER };
      const amis = amiArn(stack, '*');
      const snapshots = snapshotsArn(stack, '*');
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['ec2:DeregisterImage'], resources: [amis], conditions: createdByImageBuilder,
      }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['ec2:DeleteSnapshot'], resources: [snapshots], conditions: createdByImageBuilder,
      }));
      // DescribeImages has no resource-level permissions; it finds the snapshots to delete.
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeImages'], resources: ['*'] }));
      acknowledgeWildcardResource(role, amis, 'With RemovalPolicy.DESTROY the handler deregisters the AMIs that '
        + 'the distribution created in each Region; their IDs are only known at deploy time, AMI ARNs have no account, '
        + 'and the grant only reaches AMIs tagged CreatedBy "EC2 Image Builder".');
      acknowledgeWildcardResource(role, snapshots, 'With RemovalPolicy.DESTROY the handler deletes the snapshots of '
        + 'the distributed AMIs, created at deploy time in each Region; snapshot ARNs have no account, and the grant '
        + 'only reaches snapshots tagged CreatedBy "EC2 Image Builder".');
      acknowledgeNag(role, 'AwsSolutions-IAM5[Resource::*]', 'Only for ec2:DescribeImages, which supports no '
        + 'resource-level permissions; it finds the snapshots of the AMIs to delete.');
    }
  }
}

/**
 * A given execution role: the features that act on the source AMI itself need, with the AWS managed policy, the tag
 * CreatedBy "EC2 Image Builder" on it, which an AMI not built by Image Builder lacks.
 */
function warnUntaggedSourceAmi(scope: Construct, props: DistributeImageProps): void {
  if (props.source.type !== DistributeImageSourceType.AMI_ID || !(props.distributionConfiguration instanceof DistributionConfiguration)) return;
  const features = new Set<string>();
  props.distributionConfiguration._forEachAmiDistribution((d) => {
    if (d.launchPermission) features.add('launchPermission (ec2:ModifyImageAttribute)');
    if (d.s3Export) features.add('s3Export (ec2:ExportImage)');
    if (d.fastLaunchConfigurations?.length) features.add('fastLaunchConfigurations (ec2:EnableFastLaunch)');
  });
  if (features.size === 0) return;
  warnRule(scope, RULES.untaggedSourceAmi,
    `executionRole: the source ${props.source.value} is an AMI ID and the configuration uses ${[...features].join(', ')}. `
    + 'EC2ImageBuilderExecutionPolicy allows these only on AMIs tagged CreatedBy "EC2 Image Builder", which an AMI not '
    + 'built by Image Builder lacks: tag the AMI, or allow the actions on it in the execution role (the role this '
    + 'construct creates when executionRole is not given does).');
}

/** Whether an image ARN is of the stack's own account and Region (so `image/*` of the stack covers it). */
function isCoveredBy(stack: Stack, imageArn: string): boolean {
  if (isUnresolved(imageArn) || isUnresolved(stack.region) || isUnresolved(stack.account)) return false;
  const [, , , region, account] = imageArn.split(':');
  return region === stack.region && account === stack.account;
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
