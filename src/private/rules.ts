import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { ValidationErrors } from './validation';

/*
 * The synth-time checks of the library as rules with sources. Every error or warning a check reports names its rule,
 * and docs/validation.md holds the table generated from these definitions (test/rules.test.ts keeps the two equal).
 * The rejection corpus (test/rejection-corpus.ts) has a failing input and a valid control for every rule.
 */

/** Where a rule comes from. */
export interface RuleSource {
  /**
   * `model`: a shape of a service's API model (botocore JSON, ../shared/reference); `cloudformation`: the
   * CloudFormation resource schema; `docs`: the service's documentation.
   */
  readonly kind: 'model' | 'cloudformation' | 'docs';
  /** The shape, member or documentation page, precise enough to find. */
  readonly reference: string;
}

/** One synth-time rule. */
export interface Rule {
  /** Stable id. Warnings carry it as `cdk-imagebuilder-distribution:<id>`, the id to acknowledge them by. */
  readonly id: string;
  /** `error` fails synth; `warning` is reported and can be acknowledged by the ID the CDK CLI prints (see the README's warnings section). */
  readonly severity: 'error' | 'warning';
  /** The constructs the rule applies to. */
  readonly constructs: readonly RuleConstruct[];
  /** What is checked. */
  readonly check: string;
  readonly source: RuleSource;
  /** Why synth checks it: what happens at deploy time otherwise. */
  readonly why: string;
  /**
   * False for the checks of single values that predate the rule table: their errors name the prop and what is allowed,
   * without the `[rule <id>]` suffix.
   *
   * @default true
   */
  readonly tagged?: boolean;
}

export type RuleConstruct = 'DistributionConfiguration' | 'InfrastructureConfiguration' | 'DistributionConfigurationPatch' | 'DistributeImage';

const DC: RuleConstruct = 'DistributionConfiguration';
const IC: RuleConstruct = 'InfrastructureConfiguration';
const PATCH: RuleConstruct = 'DistributionConfigurationPatch';
const DI: RuleConstruct = 'DistributeImage';

/** The prefix of every warning id of the library. */
export const WARNING_ID_PREFIX = 'cdk-imagebuilder-distribution:';

function rule<T extends Rule>(r: T): T {
  return r;
}

export const RULES = {
  // ---- single values against the models --------------------------------------------------------------------------
  imageBuilderModel: rule({
    id: 'imageBuilderModel',
    severity: 'error',
    tagged: false,
    constructs: [DC, IC, PATCH, DI],
    check: 'Every value sent to Image Builder against its shape: patterns, lengths, list and map sizes, required members '
      + '(names, descriptions, ARNs, account IDs, AMI names, launch template IDs, license and organization ARNs, host IDs, '
      + 'counts, hop limit, image ARNs, execution role, log group name).',
    source: {
      kind: 'model',
      reference: 'imagebuilder-2019-12-02 shapes ResourceName, NonEmptyString, AccountId, AmiNameString, '
      + 'LaunchTemplateId, LicenseConfigurationArn, OrganizationArn, ImageVersionArnOrBuildVersionArn, RoleNameOrArn, LogGroupName, ...',
    },
    why: 'CloudFormation or the custom resource would fail the deployment with a ValidationException.',
  }),
  enumValue: rule({
    id: 'enumValue',
    severity: 'error',
    constructs: [DC, IC, PATCH, DI],
    check: 'Enum and enum-like values (DiskImageFormat, Tenancy, ec2.HttpTokens, ssm.ParameterDataType, RemovalPolicy) are '
      + 'one of their members, also when a Python, Java, .NET, Go or JavaScript caller passes any string.',
    source: { kind: 'model', reference: 'imagebuilder-2019-12-02 enums DiskImageFormat, TenancyType, HttpTokens, SsmParameterDataType' },
    why: 'jsii languages other than TypeScript do not check enums at compile time; the API rejects unknown values at deploy.',
  }),
  regionName: rule({
    id: 'regionName',
    severity: 'error',
    tagged: false,
    constructs: [DC, PATCH],
    check: 'Region names have the form of AWS Region codes in every partition (us-east-1, us-gov-west-1, cn-north-1, '
      + 'eusc-de-east-1, us-isob-east-1).',
    source: { kind: 'docs', reference: 'AWS General Reference, Regions and endpoints (Region codes)' },
    why: 'Image Builder rejects a distribution to a Region that does not exist.',
  }),
  imageBuilderTagKeys: rule({
    id: 'imageBuilderTagKeys',
    severity: 'error',
    tagged: false,
    constructs: [DC, IC, DI],
    check: 'Tags of Image Builder resources (tags, DistributeImage tags): 1-50 tags, keys 1-128 characters of the TagKey '
      + 'pattern, not starting with "aws:" (case-sensitive, as the model), values at most 256 characters.',
    source: { kind: 'model', reference: 'imagebuilder-2019-12-02 TagMap, TagKey, TagValue' },
    why: 'Image Builder rejects the request. "AWS:x" matches the model and is accepted.',
  }),
  ec2TagKeys: rule({
    id: 'ec2TagKeys',
    severity: 'error',
    constructs: [DC, PATCH, IC],
    check: 'Tags that EC2 applies (amiTags on AMIs, resourceTags on build instances) also must not start with "aws:" in any '
      + 'case ("AWS:", "Aws:").',
    source: { kind: 'docs', reference: 'Amazon EC2 User Guide, Tag your resources, Tag restrictions ("Don\'t use aws:, AWS:, or any upper or lowercase combination")' },
    why: 'EC2 CreateTags rejects the key when Image Builder tags the AMI or the instance, late in the build or distribution.',
  }),
  oneDistributionPerRegion: rule({
    id: 'oneDistributionPerRegion',
    severity: 'error',
    tagged: false,
    constructs: [DC, PATCH],
    check: 'At most one AMI and one container distribution per Region; at least one distribution; every Region sets more than its name.',
    source: { kind: 'docs', reference: 'Image Builder API Reference, CreateDistributionConfiguration (Distribution: one per Region)' },
    why: 'Image Builder rejects duplicate Regions and empty distributions.',
  }),
  launchTemplateById: rule({
    id: 'launchTemplateById',
    severity: 'error',
    tagged: false,
    constructs: [DC, PATCH],
    check: 'launchTemplates reference their template by ID (an import by name alone has none).',
    source: { kind: 'model', reference: 'imagebuilder-2019-12-02 LaunchTemplateConfiguration.launchTemplateId (required)' },
    why: 'The API requires the ID.',
  }),
  fastLaunchParallelLaunches: rule({
    id: 'fastLaunchParallelLaunches',
    severity: 'error',
    tagged: false,
    constructs: [DC, PATCH],
    check: 'fastLaunchConfigurations[].maxParallelLaunches is at least 6.',
    source: { kind: 'docs', reference: 'EC2 API Reference, EnableFastLaunch MaxParallelLaunches ("Value must be 6 or greater")' },
    why: 'Image Builder\'s model only says >= 1; EC2 rejects less when the distribution applies Fast Launch.',
  }),
  ssmOutputAccountIsTarget: rule({
    id: 'ssmOutputAccountIsTarget',
    severity: 'error',
    tagged: false,
    constructs: [DC, PATCH],
    check: 'ssmParameters[].accountId is one of the distribution\'s targetAccountIds when those are given.',
    source: { kind: 'model', reference: 'imagebuilder-2019-12-02 SsmParameterConfiguration.amiAccountId documentation' },
    why: 'Image Builder rejects an output parameter for an account the AMI is not distributed to.',
  }),
  placementHost: rule({
    id: 'placementHost',
    severity: 'error',
    tagged: false,
    constructs: [IC],
    check: 'placement: hostId and hostResourceGroupArn exclude each other and need Tenancy.HOST; host resource group ARNs are '
      + 'resource-groups ARNs (group/<name> or group/<name>/<id>).',
    source: { kind: 'model', reference: 'imagebuilder-2019-12-02 Placement documentation; AWS Resource Groups ARN format' },
    why: 'Image Builder returns an error for both targets or a target without host tenancy.',
  }),
  vpcSubnet: rule({
    id: 'vpcSubnet',
    severity: 'error',
    tagged: false,
    constructs: [IC],
    check: 'subnetSelection selects exactly one subnet of vpc, in placement.availabilityZone; security groups created in the app need their vpc.',
    source: { kind: 'model', reference: 'imagebuilder-2019-12-02 InfrastructureConfiguration.subnetId (one subnet)' },
    why: 'Image Builder takes one subnet; a mismatched zone or VPC makes every build fail to launch its instance.',
  }),
  containerHopLimit: rule({
    id: 'containerHopLimit',
    severity: 'error',
    tagged: false,
    constructs: [IC],
    check: 'containerBuilds with httpTokens "required" need httpPutResponseHopLimit >= 2.',
    source: { kind: 'docs', reference: 'Image Builder User Guide, container image recipes with IMDSv2 (hop limit 2)' },
    why: 'The container cannot reach instance metadata in one hop and the build fails.',
  }),

  // ---- rules of the services a value reaches ----------------------------------------------------------------------
  ssmOutputReservedName: rule({
    id: 'ssmOutputReservedName',
    severity: 'error',
    constructs: [DC, PATCH],
    check: 'Output parameter names do not begin with "aws" or "ssm" in any case (with or without a leading "/").',
    source: { kind: 'docs', reference: 'SSM API Reference, PutParameter Name ("can\'t be prefixed with aws or ssm (case-insensitive)")' },
    why: 'Image Builder writes the parameter with PutParameter at the end of the distribution, which then fails.',
  }),
  ssmOutputHierarchy: rule({
    id: 'ssmOutputHierarchy',
    severity: 'error',
    constructs: [DC, PATCH],
    check: 'Output parameter names have at most 15 hierarchy levels, a name with "/" starts with "/", and no level is empty ("//").',
    source: { kind: 'docs', reference: 'SSM User Guide, Requirements and constraints for parameter names (hierarchies, fully qualified names)' },
    why: 'PutParameter rejects the name (HierarchyLevelLimitExceededException, ValidationException) at the end of the distribution.',
  }),
  notificationTopicStandard: rule({
    id: 'notificationTopicStandard',
    severity: 'error',
    constructs: [IC],
    check: 'notificationTopic is a standard SNS topic, not a FIFO topic (name ending in ".fifo").',
    source: { kind: 'model', reference: 'imagebuilder-2019-12-02 SnsTopicArn pattern [a-zA-Z0-9-_]{1,256} (no ".")' },
    why: 'Image Builder rejects the topic ARN; it publishes without the message group ID a FIFO topic needs.',
  }),
  logGroupName: rule({
    id: 'logGroupName',
    severity: 'error',
    constructs: [DI],
    check: 'logGroup has a name of letters, digits, "-", "_", "/" and "." (1-512); CloudWatch Logs also allows "#", Image Builder does not.',
    source: { kind: 'model', reference: 'imagebuilder-2019-12-02 LogGroupName pattern' },
    why: 'DistributeImage rejects the request.',
  }),
  distributeImageSource: rule({
    id: 'distributeImageSource',
    severity: 'error',
    constructs: [DI],
    check: 'source is an AMI ID, an SSM parameter name or parameter ARN (sent with the "ssm:" prefix), or an image ARN whose '
      + 'version is x.y.z with wildcards or a build version x.y.z/n with numbers only.',
    source: { kind: 'docs', reference: 'Image Builder User Guide, Use enhanced AMI distribution (source image types); model ImageVersionArnOrBuildVersionArn' },
    why: 'DistributeImage fails to resolve the source at deploy time.',
  }),
  s3ExportRoleTrust: rule({
    id: 's3ExportRoleTrust',
    severity: 'error',
    constructs: [DC, PATCH],
    check: 's3Export.role, when created in the app, trusts vmie.amazonaws.com.',
    source: { kind: 'docs', reference: 'VM Import/Export User Guide, Required service role (trust policy for vmie.amazonaws.com)' },
    why: 'VM Import/Export cannot assume the role and the export fails after the AMI was distributed.',
  }),
  executionRoleTrust: rule({
    id: 'executionRoleTrust',
    severity: 'error',
    constructs: [DI],
    check: 'executionRole, when created in the app, trusts imagebuilder.amazonaws.com.',
    source: { kind: 'docs', reference: 'Image Builder User Guide, IAM roles: execution role trusted by imagebuilder.amazonaws.com' },
    why: 'Image Builder cannot assume the role and DistributeImage fails.',
  }),
  instanceRoleTrust: rule({
    id: 'instanceRoleTrust',
    severity: 'error',
    constructs: [IC],
    check: 'role, when created in the app, trusts ec2.amazonaws.com.',
    source: { kind: 'docs', reference: 'IAM User Guide, Using an IAM role to grant permissions to applications running on EC2 instances' },
    why: 'The instance profile gives build instances no credentials; every build fails.',
  }),
  roleTrustUnknown: rule({
    id: 'roleTrustUnknown',
    severity: 'warning',
    constructs: [DC, PATCH, IC, DI],
    check: 'A role imported from outside the app whose trust policy synth cannot read (s3Export.role, executionRole, role).',
    source: { kind: 'docs', reference: 'as executionRoleTrust, instanceRoleTrust and s3ExportRoleTrust' },
    why: 'Checked only at deploy time, when the service first assumes the role.',
  }),

  deployTimeValue: rule({
    id: 'deployTimeValue',
    severity: 'warning',
    constructs: [DC, PATCH, IC, DI],
    check: 'A value that a rule of another service checks is a deploy-time value (token): SSM output parameter names, the '
      + 'notification topic of an import, the DistributeImage source.',
    source: { kind: 'docs', reference: 'as ssmOutputReservedName, ssmOutputHierarchy, notificationTopicStandard, distributeImageSource' },
    why: 'Synth cannot check it; the service checks it at deploy time.',
  }),

  // ---- consistency across constructs ------------------------------------------------------------------------------
  kmsKeyInDistributionRegion: rule({
    id: 'kmsKeyInDistributionRegion',
    severity: 'error',
    constructs: [DC, PATCH],
    check: 'kmsKey is a key of the distribution Region.',
    source: { kind: 'docs', reference: 'EC2 API Reference, CopyImage KmsKeyId (a key of the destination Region)' },
    why: 'The AMI copy to that Region fails, minutes into the distribution.',
  }),
  resourceInDistributionEnvironment: rule({
    id: 'resourceInDistributionEnvironment',
    severity: 'error',
    constructs: [DC, PATCH],
    check: 'Launch templates (launchTemplates, Fast Launch) that are constructs with a known environment are in the '
      + 'distribution Region and in the account the entry names (accountId, else the distributing account).',
    source: {
      kind: 'model',
      reference: 'imagebuilder-2019-12-02 LaunchTemplateConfiguration.launchTemplateId, FastLaunchLaunchTemplateSpecification '
      + '(IDs are looked up in the distribution Region and account); EC2 launch template IDs are Regional',
    },
    why: 'Image Builder cannot find the template and the distribution fails, minutes in.',
  }),
  namedResourceElsewhere: rule({
    id: 'namedResourceElsewhere',
    severity: 'warning',
    constructs: [DC, PATCH],
    check: 'An ECR repository or SSM output parameter created in the app (or imported by ARN) in another Region or account than '
      + 'the distribution that names it; an S3 export role of another account (the API takes its name).',
    source: {
      kind: 'model',
      reference: 'imagebuilder-2019-12-02 TargetContainerRepository.repositoryName, SsmParameterConfiguration.parameterName '
      + '(names, used in the distribution Region and account)',
    },
    why: 'Only the name is sent: Image Builder uses the repository or parameter of that name where it distributes, which is '
      + 'another one (it may exist there, for example through ECR replication, so this is not an error).',
  }),
  environmentUndecided: rule({
    id: 'environmentUndecided',
    severity: 'warning',
    constructs: [DC, PATCH, DI],
    check: 'A Region- or account-scoped resource (key, launch template, repository, parameter, configuration) whose Region or '
      + 'account synth cannot compare with where it is needed (tokens, imports without an ARN).',
    source: { kind: 'docs', reference: 'as resourceInDistributionEnvironment, kmsKeyInDistributionRegion, configurationEnvironment' },
    why: 'Checked only at deploy time, by Image Builder or EC2.',
  }),
  configurationEnvironment: rule({
    id: 'configurationEnvironment',
    severity: 'error',
    constructs: [DI, PATCH],
    check: 'DistributeImage acts on a configuration in the stack\'s account and Region; a patch on one in the stack\'s account '
      + '(in any Region: the handler calls the Region of the configuration\'s ARN).',
    source: {
      kind: 'docs',
      reference: 'Image Builder API Reference, DistributeImage ("must be in the same Region"); '
      + 'UpdateDistributionConfiguration (no resource-based policies: the caller\'s account only)',
    },
    why: 'The call fails with ResourceNotFound or AccessDenied at deploy time.',
  }),
  executionRoleAccount: rule({
    id: 'executionRoleAccount',
    severity: 'error',
    constructs: [DI],
    check: 'executionRole is a role of the stack\'s account.',
    source: { kind: 'docs', reference: 'IAM User Guide, Granting a user permissions to pass a role to an AWS service (roles of the same account only)' },
    why: 'iam:PassRole cannot pass a role of another account, so DistributeImage is denied.',
  }),
  patchTargetHasRegion: rule({
    id: 'patchTargetHasRegion',
    severity: 'error',
    constructs: [PATCH],
    check: 'addTargetAccounts, addLaunchPermission and setS3Export merge into a Region in which the target configuration, when '
      + 'it is a DistributionConfiguration of the app, has an AMI distribution.',
    source: { kind: 'docs', reference: 'DistributionConfigurationPatch: merges need an existing AMI distribution of the Region' },
    why: 'The handler fails the deployment because there is nothing to merge into.',
  }),
  amiAttributeProduced: rule({
    id: 'amiAttributeProduced',
    severity: 'error',
    constructs: [DI],
    check: 'amiIdInRegion(region) and amiId(region, account) name a Region with an AMI distribution and, for amiId, the '
      + 'stack\'s account or one of that Region\'s targetAccountIds.',
    source: { kind: 'docs', reference: 'Image Builder User Guide, AMI distribution (AMIs per Region and target account)' },
    why: 'The attribute does not exist and CloudFormation fails the stack at Fn::GetAtt.',
  }),
  amiAttributeUnchecked: rule({
    id: 'amiAttributeUnchecked',
    severity: 'warning',
    constructs: [DI],
    check: 'amiIdInRegion / amiId of a DistributeImage whose configuration is imported: the Regions and accounts it produces are unknown.',
    source: { kind: 'docs', reference: 'as amiAttributeProduced' },
    why: 'Checked only at deploy time, when CloudFormation resolves Fn::GetAtt.',
  }),

  // ---- feature combinations the service does not support ------------------------------------------------------------
  sourceAccountOnlyConfigurations: rule({
    id: 'sourceAccountOnlyConfigurations',
    severity: 'warning',
    constructs: [DI],
    check: 'DistributeImage with a configuration whose launch template or Fast Launch settings name another account.',
    source: {
      kind: 'docs',
      reference: 'Image Builder User Guide, workflow step actions, ApplyImageConfigurations ("Configurations '
      + 'apply to distributed images only in the source account, except for SSM parameter configs")',
    },
    why: 'DistributeImage runs the managed distribute-image workflow, which does not apply them in other accounts.',
  }),

  crossAccountFastLaunch: rule({
    id: 'crossAccountFastLaunch',
    severity: 'warning',
    constructs: [DC, PATCH],
    check: 'fastLaunchConfigurations[].accountId names another account than the distributing one.',
    source: {
      kind: 'docs',
      reference: 'Image Builder User Guide, Set up cross-account AMI distribution (the cross-account role and its '
      + 'managed policy Ec2ImageBuilderCrossAccountDistributionAccess grant no ec2:EnableFastLaunch; extra policies are documented '
      + 'only for launch templates and SSM parameters)',
    },
    why: 'Enabling Fast Launch in the target account fails unless its EC2ImageBuilderDistributionCrossAccountRole was given '
      + 'ec2:EnableFastLaunch (and what Fast Launch needs) beyond the documented setup.',
  }),

  // ---- warnings of single constructs --------------------------------------------------------------------------------
  publicAmi: rule({
    id: 'publicAmi',
    severity: 'warning',
    constructs: [DC],
    check: 'launchPermission.isPublicUserGroup makes the AMI public.',
    source: { kind: 'docs', reference: 'EC2 User Guide, Make your AMI publicly available' },
    why: 'Every AWS account can launch it; block public access for AMIs must be off.',
  }),
  ssmParameterResolvedAtDeployment: rule({
    id: 'ssmParameterResolvedAtDeployment',
    severity: 'warning',
    constructs: [DC, PATCH],
    check: 'ssmParameters[].parameter is an import that adds an AWS::SSM::Parameter::Value CloudFormation parameter.',
    source: { kind: 'cloudformation', reference: 'CloudFormation User Guide, SSM parameter types (resolved on every deployment)' },
    why: 'The deployment fails while the parameter Image Builder is to create does not exist yet.',
  }),
  untaggedSourceAmi: rule({
    id: 'untaggedSourceAmi',
    severity: 'warning',
    constructs: [DI],
    check: 'An AMI-ID source with a given executionRole, for a configuration that shares, exports or Fast Launches the AMI.',
    source: { kind: 'docs', reference: 'AWS managed policy EC2ImageBuilderExecutionPolicy (ec2:ModifyImageAttribute, ec2:ExportImage, ec2:EnableFastLaunch conditioned on the tag CreatedBy: EC2 Image Builder)' },
    why: 'An AMI not built by Image Builder lacks that tag, so a role with the managed policy is denied those actions at distribution time.',
  }),
  executionRolePolicyWithRole: rule({
    id: 'executionRolePolicyWithRole',
    severity: 'error',
    constructs: [DI],
    check: 'executionRolePolicy is set together with executionRole.',
    source: { kind: 'docs', reference: 'this library: executionRolePolicy shapes only the execution role DistributeImage creates (docs/iam.md)' },
    why: 'The setting would be ignored: a given role keeps the permissions it has.',
  }),
  infrastructureSubnetUnknown: rule({
    id: 'infrastructureSubnetUnknown',
    severity: 'warning',
    constructs: [IC],
    check: 'subnetSelection zones are tokens that cannot be compared at synth.',
    source: { kind: 'model', reference: 'imagebuilder-2019-12-02 InfrastructureConfiguration.subnetId' },
    why: 'No subnet is chosen; Image Builder then uses the default VPC.',
  }),
  infrastructureLoggingNoRole: rule({
    id: 'infrastructureLoggingNoRole',
    severity: 'warning',
    constructs: [IC],
    check: 'logging with an instanceProfile whose role is unknown.',
    source: { kind: 'docs', reference: 'Image Builder User Guide, infrastructure configuration S3 logs (instance profile needs s3:PutObject)' },
    why: 'Uploading the logs fails unless the role allows it.',
  }),
  infrastructureEncryptedTopic: rule({
    id: 'infrastructureEncryptedTopic',
    severity: 'warning',
    constructs: [IC],
    check: 'notificationTopic is encrypted with a KMS key.',
    source: { kind: 'model', reference: 'imagebuilder-2019-12-02 InfrastructureConfiguration.snsTopicArn documentation (key of the same account)' },
    why: 'Image Builder cannot publish unless the key policy allows its service-linked role.',
  }),
} as const;

export type RuleId = keyof typeof RULES;

/** Every rule, in table order. */
export function allRules(): Rule[] {
  return Object.values(RULES);
}

/** Records an error of `r` at `path`; the message ends with the rule id so users can look it up in docs/validation.md. */
export function reportRule(errors: ValidationErrors, r: Rule, path: string, message: string): void {
  if (r.severity !== 'error') throw new Error(`rule ${r.id} is a warning; use warnRule`);
  errors.addMessage(path, `${message} [rule ${r.id}]`);
}

/** Adds the acknowledgeable warning of `r` to `scope`: `cdk-imagebuilder-distribution:<id>`. */
export function warnRule(scope: IConstruct, r: Rule, message: string): void {
  if (r.severity !== 'warning') throw new Error(`rule ${r.id} is an error; use reportRule`);
  // Validations (not Annotations.addWarningV2): the CLI prints the ID as `Annotation::<id>`, and that form acknowledges it.
  Validations.of(scope).addWarning(`${WARNING_ID_PREFIX}${r.id}`, message);
}

/** The Markdown table of every rule, as docs/validation.md holds it. */
export function renderRuleTable(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    '| Rule | Severity | Constructs | Checks | Source | Why |',
    '| --- | --- | --- | --- | --- | --- |',
    ...allRules().map(r => `| \`${r.id}\` | ${r.severity}${r.tagged === false ? ' (untagged)' : ''} | ${r.constructs.join(', ')} | ${cell(r.check)} | `
      + `${r.source.kind}: ${cell(r.source.reference)} | ${cell(r.why)} |`),
  ];
  return lines.join('\n');
}
