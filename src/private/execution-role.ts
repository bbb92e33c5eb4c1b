import { Stack } from 'aws-cdk-lib';
import { amiArn, arn, snapshotsArn } from './arns';
import { CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME } from './handler-contract';
import { EC2_FAST_LAUNCH_SERVICE, VM_IMPORT_EXPORT_SERVICE } from './service-principals';

/** Tag Image Builder puts on what it creates; the managed policies gate most write actions on it. */
export const CREATED_BY_IMAGE_BUILDER = { 'aws:ResourceTag/CreatedBy': 'EC2 Image Builder' };
const REQUEST_TAG_CREATED_BY = { 'aws:RequestTag/CreatedBy': ['EC2 Image Builder', 'EC2 Fast Launch'] };

/** One statement of the execution role, with where it comes from (docs/iam.md lists them). */
export interface ExecutionRoleStatement {
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions?: Record<string, Record<string, unknown>>;
  /** Why a wildcard in `resources` cannot be narrower (the cdk-nag acknowledgement). */
  readonly wildcardReason?: string;
}

const DEPLOY_TIME_AMIS = 'The AMIs and snapshots the distribution creates exist only at deploy time; AMI and snapshot ARNs name no account.';

/**
 * The execution-role statements of each feature, derived from the AWS managed policy EC2ImageBuilderExecutionPolicy
 * (v2) with resources narrowed to the accounts, Regions and resources the configuration names. Sids of that policy
 * are named in the comments; ../../docs/iam.md has the table with sources.
 */
export class ExecutionRoleStatements {
  constructor(private readonly stack: Stack) {}

  private arn(service: string, region: string, account: string, resource: string, resourceName: string, sep = '/'): string {
    return arn(this.stack, service, region, account, resource, resourceName, sep);
  }

  /** The AMIs of `region` (`*`: every Region). */
  public images(region: string) {
    return amiArn(this.stack, region);
  }

  /** Copying, tagging, describing (EC2ReadOnlyPermissions, EC2CopyPermissions, CreateCustomerTagsPermissions, CreateEC2ImageBuilderTagsPermissions). */
  base(): ExecutionRoleStatement[] {
    return [
      {
        actions: ['ec2:DescribeImages', 'ec2:DescribeSnapshots', 'ec2:DescribeTags', 'ec2:CopyImage'],
        resources: ['*'],
        wildcardReason: 'ec2:Describe* support no resource-level permissions; ec2:CopyImage creates AMIs and snapshots '
          + 'that exist only at deploy time, in every Region of the distribution (EC2ImageBuilderExecutionPolicy grants it on "*" too).',
      },
      { actions: ['ec2:CreateTags'], resources: [this.images('*')], wildcardReason: `Tags on the copied AMIs, in every Region. ${DEPLOY_TIME_AMIS}` },
      {
        actions: ['ec2:CreateTags'],
        resources: [snapshotsArn(this.stack, '*')],
        conditions: { StringEquals: REQUEST_TAG_CREATED_BY },
        wildcardReason: `Only the CreatedBy tag Image Builder puts on the snapshots of the copies. ${DEPLOY_TIME_AMIS}`,
      },
      // CloudWatchLogsPermissions: Image Builder's default log groups.
      {
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.arn('logs', '*', this.stack.account, 'log-group', '/aws/imagebuilder/*', ':')],
        wildcardReason: 'Image Builder logs to log groups it names /aws/imagebuilder/<name>, in each Region of the distribution.',
      },
    ];
  }

  /** Launch permissions (EC2ModifyImageAttributePermissions, EC2SnapshotAttributeModificationPermissions). */
  launchPermission(region: string): ExecutionRoleStatement[] {
    return [
      {
        actions: ['ec2:ModifyImageAttribute'],
        resources: [this.images(region)],
        conditions: { StringEquals: CREATED_BY_IMAGE_BUILDER },
        wildcardReason: `Launch permissions of the copies Image Builder made (CreatedBy tag). ${DEPLOY_TIME_AMIS}`,
      },
      {
        actions: ['ec2:ModifySnapshotAttribute'],
        resources: [snapshotsArn(this.stack, region)],
        conditions: { StringEquals: CREATED_BY_IMAGE_BUILDER },
        wildcardReason: `Create-volume permissions of the snapshots Image Builder made (CreatedBy tag). ${DEPLOY_TIME_AMIS}`,
      },
    ];
  }

  /** The cross-account distribution role of `account` (CrossAccountAssumeRolePermissions). */
  crossAccount(account: string): ExecutionRoleStatement[] {
    return [{ actions: ['sts:AssumeRole'], resources: [this.arn('iam', '', account, 'role', CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME)] }];
  }

  /** Launch template updates (LaunchTemplatePermissions, CreateEC2ImageBuilderTagsPermissions). */
  launchTemplates(region: string, templateIds: string[]): ExecutionRoleStatement[] {
    const templates = templateIds.map((id) => this.arn('ec2', region, this.stack.account, 'launch-template', id));
    return [
      {
        actions: ['ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions'],
        resources: ['*'],
        wildcardReason: 'ec2:DescribeLaunchTemplates and ec2:DescribeLaunchTemplateVersions support no resource-level permissions.',
      },
      { actions: ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate'], resources: templates },
      {
        actions: ['ec2:CreateTags'],
        resources: [this.arn('ec2', region, this.stack.account, 'launch-template', '*')],
        conditions: { StringEquals: REQUEST_TAG_CREATED_BY },
        wildcardReason: 'Only the CreatedBy tag Image Builder sets on the launch templates it updates (request tag condition).',
      },
    ];
  }

  /**
   * Windows Fast Launch (EnableFastLaunchPermissions, CreateSLRForOtherServicesPermissions, RunInstancesPermissions,
   * RunInstancesWithEC2ImageBuilderRequestTagsPermissions, CreateTagsOnCreatePermissions).
   */
  fastLaunch(region: string): ExecutionRoleStatement[] {
    const account = this.stack.account;
    return [
      {
        actions: ['ec2:EnableFastLaunch'],
        resources: [this.images(region), this.arn('ec2', region, account, 'launch-template', '*')],
        conditions: { StringEquals: CREATED_BY_IMAGE_BUILDER },
        wildcardReason: `Fast Launch on the copies and launch templates tagged CreatedBy "EC2 Image Builder". ${DEPLOY_TIME_AMIS}`,
      },
      {
        actions: ['iam:CreateServiceLinkedRole'],
        resources: [this.arn('iam', '', account, 'role', `aws-service-role/${EC2_FAST_LAUNCH_SERVICE}/AWSServiceRoleForEC2FastLaunch`)],
        conditions: { StringEquals: { 'iam:AWSServiceName': EC2_FAST_LAUNCH_SERVICE } },
      },
      {
        actions: ['ec2:RunInstances'],
        resources: [
          this.images(region), snapshotsArn(this.stack, region),
          ...['subnet', 'network-interface', 'security-group', 'key-pair', 'launch-template'].map((t) => this.arn('ec2', region, account, t, '*')),
          this.arn('license-manager', region, account, 'license-configuration', '*', ':'),
        ],
        wildcardReason: 'EC2 checks that the role could launch instances from the AMI and launch template before it enables Fast '
          + 'Launch; the network resources come from the launch template or Fast Launch\'s own stack (EC2ImageBuilderExecutionPolicy RunInstancesPermissions).',
      },
      {
        actions: ['ec2:RunInstances'],
        resources: [this.arn('ec2', region, account, 'instance', '*'), this.arn('ec2', region, account, 'volume', '*')],
        conditions: { StringEquals: REQUEST_TAG_CREATED_BY },
        wildcardReason: 'Only instances and volumes tagged CreatedBy "EC2 Image Builder" or "EC2 Fast Launch" on launch (request tag condition).',
      },
      {
        actions: ['ec2:CreateTags'],
        resources: ['*'],
        conditions: { StringEquals: { ...REQUEST_TAG_CREATED_BY, 'ec2:CreateAction': ['CreateImage', 'RunInstances'] } },
        wildcardReason: 'Only tags set while launching or creating an image, with the CreatedBy tag (ec2:CreateAction condition).',
      },
    ];
  }

  /** License configurations (UpdateCustomerLicensePermissions). */
  licenses(arns: string[]): ExecutionRoleStatement[] {
    return [{ actions: ['license-manager:UpdateLicenseSpecificationsForResource'], resources: arns }];
  }

  /**
   * An SSM output parameter of this account: ssm:PutParameter with the parameter as resource (Image Builder user guide,
   * "Prerequisites for SSM output parameters"), ssm:AddTagsToResource (AWS golden-ami-pipeline sample),
   * ssm:GetParameter (ParameterStorePermissionsForImageBuilderParameters). ec2:DescribeImages for aws:ec2:image is in base().
   */
  ssmOutput(parameterArn: string): ExecutionRoleStatement[] {
    return [{ actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:AddTagsToResource'], resources: [parameterArn] }];
  }

  /**
   * S3 disk-image export (ExportImageBuilderImagePermissions, CreateExportImageTaskPermissions,
   * CancelExportImageTaskPermissions, CreateCustomerTagsPermissions, EC2ReadOnlyPermissions, IAMPassRolePermissions).
   */
  s3Export(region: string, exportRoleArn: string): ExecutionRoleStatement[] {
    const tasks = this.arn('ec2', region, this.stack.account, 'export-image-task', '*');
    return [
      {
        actions: ['ec2:ExportImage'],
        resources: [this.images(region)],
        conditions: { StringEquals: CREATED_BY_IMAGE_BUILDER },
        wildcardReason: `The export of the copy Image Builder made (CreatedBy tag). ${DEPLOY_TIME_AMIS}`,
      },
      { actions: ['ec2:ExportImage', 'ec2:CreateTags'], resources: [tasks], wildcardReason: 'The export task is created at deploy time.' },
      {
        actions: ['ec2:CancelExportTask'],
        resources: [tasks],
        conditions: { StringEquals: CREATED_BY_IMAGE_BUILDER },
        wildcardReason: 'Export tasks Image Builder created (CreatedBy tag), at deploy time.',
      },
      { actions: ['ec2:DescribeExportImageTasks'], resources: ['*'], wildcardReason: 'ec2:DescribeExportImageTasks supports no resource-level permissions.' },
      { actions: ['iam:PassRole'], resources: [exportRoleArn], conditions: { StringEquals: { 'iam:PassedToService': VM_IMPORT_EXPORT_SERVICE } } },
    ];
  }

  /**
   * An AMI not built by Image Builder lacks the CreatedBy tag that the statements above require for changing its
   * attributes, exporting it and enabling Fast Launch on it: the same actions on that one AMI, without the tag.
   */
  untaggedSourceAmi(region: string, amiId: string, actions: string[]): ExecutionRoleStatement[] {
    return actions.length === 0 ? [] : [{ actions, resources: [amiArn(this.stack, region, amiId)] }];
  }
}
