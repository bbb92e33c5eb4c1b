/**
 * Synth-time validation of distribution props against what the Image Builder API accepts.
 *
 * Bounds and patterns are Image Builder's service model (botocore data/imagebuilder/2019-12-02/service-2.json:
 * AccountId, AccountList, AmiNameString, NonEmptyString, LaunchTemplateId, LicenseConfigurationArn(List),
 * OrganizationArn, OrganizationalUnitArn, ResourceName, DistributionConfigurationArn, FastLaunchConfigurationList,
 * LaunchTemplateConfigurationList, TargetResourceCount, SsmParameterName) unless a comment says otherwise.
 * Unresolved tokens are never rejected.
 */
import { Resource, Stack } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { IConstruct } from 'constructs';
import {
  DiskImageFormat,
  type IDistributionConfiguration,
  type AmiDistribution,
  type AmiLaunchPermission,
  type ContainerDistribution,
  type FastLaunchConfiguration,
  type LaunchTemplateDistribution,
  type S3ExportConfiguration,
  type SsmParameterDistribution,
} from '../distribution-configuration';
import { renderApiDistribution } from './distribution-render';
import {
  AMI_NAME_PATTERN,
  DISTRIBUTION_CONFIGURATION_ARN_PATTERN,
  LAUNCH_TEMPLATE_ID_PATTERN,
  LICENSE_CONFIGURATION_ARN_PATTERN,
  ORGANIZATION_ARN_PATTERN,
  ORGANIZATIONAL_UNIT_ARN_PATTERN,
  RESOURCE_NAME_PATTERN,
  SSM_PARAMETER_NAME_PATTERN,
} from './patterns';
import { reportRule, Rule, RULES, warnRule } from './rules';
import { compare, environmentOfArn, KnownEnvironment, knownEnvironment, shown, validateRoleTrust } from './rules-environment';
import { VM_IMPORT_EXPORT_SERVICE } from './service-principals';
import {
  validateEnum,
  ValidationErrors,
  isUnresolved,
  validateAccountId,
  validateAccountIds,
  validateLength,
  validateMaxItems,
  validateNotEmpty,
  validatePattern,
  validateRange,
  validateRegion,
  validateTags,
  validateUnique,
} from './validation';

// AmiNameString: at most 127 characters; its pattern (AMI_NAME_PATTERN) needs at least 3, so the effective rule is 3-127.
export const MIN_AMI_NAME = 3;
export const MAX_AMI_NAME = 127;
// NonEmptyString: descriptions, container tags, S3 prefix, launch template names.
const MAX_STRING = 1024;
// AccountList (targetAccountIds, launchPermission.userIds).
const MAX_ACCOUNTS = 1536;
// OrganizationArnList / OrganizationalUnitArnList.
const MAX_ORGANIZATION_ARNS = 25;
const MAX_LICENSE_CONFIGURATIONS = 50;
const MAX_LAUNCH_TEMPLATES = 100;
const MAX_FAST_LAUNCH = 1000;
// EC2 EnableFastLaunch: "MaxParallelLaunches ... Value must be 6 or greater" (Image Builder's model only says >= 1).
export const MIN_PARALLEL_LAUNCHES = 6;
// TargetResourceCount: 1-10000.
const MAX_TARGET_RESOURCE_COUNT = 10000;
// SsmParameterName: 1-1011.
const MAX_SSM_PARAMETER_NAME = 1011;

// SSM PutParameter: "Parameter hierarchies are limited to a maximum depth of fifteen levels"; names can't be prefixed
// with "aws" or "ssm" (case-insensitive), with or without the leading slash of a hierarchy.
export const MAX_SSM_HIERARCHY_LEVELS = 15;
const SSM_RESERVED_PREFIX = /^\/?(aws|ssm)/i;
/** Image Builder's SsmParameterDataType enum (its DiskImageFormat enum is the public `DiskImageFormat`). */
export const SSM_PARAMETER_DATA_TYPES = ['text', 'aws:ec2:image'] as const;

/** What the validation of one distribution needs to know about its surroundings. */
export interface AmiDistributionContext {
  /** The Region the distribution goes to (its `region`, or the stack's Region); may be a token. */
  readonly region: string;
  /** The Region of the stack that defines the distribution; may be a token. */
  readonly stackRegion: string;
  /** The account that distributes the image (the stack's); may be a token. */
  readonly account: string;
  /** Adds a warning of a rule to the construct being validated. */
  readonly warn: (rule: Rule, message: string) => void;
}

/** The context of a distribution to `region` defined in `scope`, whose warnings go to `scope`. */
export function distributionContext(scope: IConstruct, region: string): AmiDistributionContext {
  const stack = Stack.of(scope);
  return { region, stackRegion: stack.region, account: stack.account, warn: (rule, message) => warnRule(scope, rule, message) };
}

export function validateDistributionConfigurationName(errors: ValidationErrors, path: string, name: string): void {
  validatePattern(errors, path, name, RESOURCE_NAME_PATTERN,
    'must be 3 to 128 characters of letters, digits, spaces, "-" and "_", not starting or ending with a space');
}

export function validateDistributionConfigurationArn(errors: ValidationErrors, path: string, arn: string): void {
  validatePattern(errors, path, arn, DISTRIBUTION_CONFIGURATION_ARN_PATTERN,
    'must be an Image Builder distribution configuration ARN such as '
    + '"arn:aws:imagebuilder:us-east-1:111122223333:distribution-configuration/my-config"');
}

/** Validates one AMI distribution; `path` is its prop path, such as `amiDistributions[1]`. */
export function validateAmiDistribution(errors: ValidationErrors, path: string, ami: AmiDistribution, context: AmiDistributionContext): void {
  validateRegion(errors, `${path}.region`, ami.region);

  if (ami.amiName !== undefined && !isUnresolved(ami.amiName)) {
    if (ami.amiName.length < MIN_AMI_NAME || ami.amiName.length > MAX_AMI_NAME) {
      errors.add(`${path}.amiName`, ami.amiName,
        `must be ${MIN_AMI_NAME} to ${MAX_AMI_NAME} characters long (got ${ami.amiName.length})`);
    } else {
      validatePattern(errors, `${path}.amiName`, ami.amiName, AMI_NAME_PATTERN,
        'may contain only letters, digits, spaces and - _ . : { } (for placeholders such as {{ imagebuilder:buildDate }}) '
        + 'and must not start or end with a space, "." or ":"');
    }
  }
  validateLength(errors, `${path}.amiDescription`, ami.amiDescription, 1, MAX_STRING);

  validateAccountIds(errors, `${path}.targetAccountIds`, ami.targetAccountIds);
  validateMaxItems(errors, `${path}.targetAccountIds`, ami.targetAccountIds, MAX_ACCOUNTS);

  validateTags(errors, `${path}.amiTags`, ami.amiTags, { ec2: true });

  if (ami.kmsKey) {
    // EC2 CopyImage encrypts the copy with a key of the destination Region; keys of other accounts are allowed.
    checkEnvironment(errors, context, `${path}.kmsKey`, `the KMS key ${shown(ami.kmsKey.keyArn, ami.kmsKey.node.path)}`,
      knownEnvironment(ami.kmsKey, ami.kmsKey.keyArn),
      undefined, RULES.kmsKeyInDistributionRegion);
  }

  if (ami.launchPermission) {
    validateLaunchPermission(errors, `${path}.launchPermission`, ami.launchPermission);
  }

  validateArnList(errors, `${path}.licenseConfigurationArns`, ami.licenseConfigurationArns, MAX_LICENSE_CONFIGURATIONS,
    LICENSE_CONFIGURATION_ARN_PATTERN,
    'must be a License Manager license configuration ARN such as '
    + '"arn:aws:license-manager:us-east-1:111122223333:license-configuration:lic-0123456789abcdef0123456789abcdef"');

  validateNotEmpty(errors, `${path}.launchTemplates`, ami.launchTemplates);
  validateMaxItems(errors, `${path}.launchTemplates`, ami.launchTemplates, MAX_LAUNCH_TEMPLATES);
  ami.launchTemplates?.forEach((lt, i) => validateLaunchTemplateDistribution(errors, `${path}.launchTemplates[${i}]`, lt, context));

  validateNotEmpty(errors, `${path}.fastLaunchConfigurations`, ami.fastLaunchConfigurations);
  validateMaxItems(errors, `${path}.fastLaunchConfigurations`, ami.fastLaunchConfigurations, MAX_FAST_LAUNCH);
  ami.fastLaunchConfigurations?.forEach((fl, i) => validateFastLaunch(errors, `${path}.fastLaunchConfigurations[${i}]`, fl, context));

  validateNotEmpty(errors, `${path}.ssmParameters`, ami.ssmParameters);
  ami.ssmParameters?.forEach((p, i) => validateSsmParameter(errors, `${path}.ssmParameters[${i}]`, p, context, ami.targetAccountIds));

  if (ami.s3Export) {
    validateS3Export(errors, `${path}.s3Export`, ami.s3Export, context);
  }
}

export function validateLaunchPermission(errors: ValidationErrors, path: string, permission: AmiLaunchPermission): void {
  validateAccountIds(errors, `${path}.accountIds`, permission.accountIds);
  validateMaxItems(errors, `${path}.accountIds`, permission.accountIds, MAX_ACCOUNTS);
  validateArnList(errors, `${path}.organizationArns`, permission.organizationArns, MAX_ORGANIZATION_ARNS, ORGANIZATION_ARN_PATTERN,
    'must be an AWS Organizations organization ARN such as "arn:aws:organizations::111122223333:organization/o-exampleorgid"');
  validateArnList(errors, `${path}.organizationalUnitArns`, permission.organizationalUnitArns, MAX_ORGANIZATION_ARNS,
    ORGANIZATIONAL_UNIT_ARN_PATTERN,
    'must be an AWS Organizations organizational unit ARN such as '
    + '"arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456"');
}

export function validateLaunchTemplateDistribution(
  errors: ValidationErrors, path: string, config: LaunchTemplateDistribution, context: AmiDistributionContext,
): void {
  const id = config.launchTemplate.launchTemplateId;
  if (id === undefined) {
    errors.add(`${path}.launchTemplate`, config.launchTemplate.launchTemplateName ?? config.launchTemplate.node.path,
      'must have a launchTemplateId: Image Builder references launch templates by ID only, so import the template with '
      + 'LaunchTemplate.fromLaunchTemplateAttributes(scope, id, { launchTemplateId }) instead of by name');
  } else {
    validatePattern(errors, `${path}.launchTemplate.launchTemplateId`, id, LAUNCH_TEMPLATE_ID_PATTERN,
      'must be a launch template ID such as "lt-0123456789abcdef0"');
  }
  validateAccountId(errors, `${path}.accountId`, config.accountId);
  checkEnvironment(errors, context, `${path}.launchTemplate`, 'the launch template', knownEnvironment(config.launchTemplate),
    config.accountId ?? context.account, RULES.resourceInDistributionEnvironment);
}

export function validateFastLaunch(errors: ValidationErrors, path: string, config: FastLaunchConfiguration, context: AmiDistributionContext): void {
  if (config.maxParallelLaunches !== undefined && !isUnresolved(config.maxParallelLaunches)
    && (!Number.isInteger(config.maxParallelLaunches) || config.maxParallelLaunches < MIN_PARALLEL_LAUNCHES)) {
    errors.add(`${path}.maxParallelLaunches`, config.maxParallelLaunches,
      `must be an integer of at least ${MIN_PARALLEL_LAUNCHES} (EC2 Fast Launch needs at least ${MIN_PARALLEL_LAUNCHES} parallel launches)`);
  }
  validateRange(errors, `${path}.targetSnapshotCount`, config.targetSnapshotCount, 1, MAX_TARGET_RESOURCE_COUNT);
  validateAccountId(errors, `${path}.accountId`, config.accountId);
  if (config.accountId !== undefined && compare(config.accountId, context.account) !== 'same') {
    context.warn(RULES.crossAccountFastLaunch, `${path}.accountId: Fast Launch for account ${config.accountId} is enabled through `
      + 'that account\'s EC2ImageBuilderDistributionCrossAccountRole, whose documented policies grant no ec2:EnableFastLaunch; '
      + 'add it there (or enable Fast Launch in that account yourself).');
  }
  const template = config.launchTemplate;
  if (template) {
    if (template.launchTemplateId === undefined && template.launchTemplateName === undefined) {
      errors.add(`${path}.launchTemplate`, template.node.path, 'must have a launchTemplateId or a launchTemplateName');
    }
    validatePattern(errors, `${path}.launchTemplate.launchTemplateId`, template.launchTemplateId, LAUNCH_TEMPLATE_ID_PATTERN,
      'must be a launch template ID such as "lt-0123456789abcdef0"');
    if (template.launchTemplateId === undefined) {
      validateLength(errors, `${path}.launchTemplate.launchTemplateName`, template.launchTemplateName, 1, MAX_STRING);
    }
    checkEnvironment(errors, context, `${path}.launchTemplate`, `the launch template ${template.node.path}`, knownEnvironment(template),
      config.accountId ?? context.account, RULES.resourceInDistributionEnvironment);
  }
}

export function validateSsmParameter(
  errors: ValidationErrors, path: string, config: SsmParameterDistribution, context: AmiDistributionContext, targetAccountIds?: string[],
): void {
  if ((config.parameterName === undefined) === (config.parameter === undefined)) {
    errors.addMessage(path, config.parameterName === undefined
      ? 'give the parameter\'s name in parameterName (or the parameter in parameter)'
      : 'give parameterName or parameter, not both');
  }
  const [namePath, name] = config.parameterName !== undefined
    ? [`${path}.parameterName`, config.parameterName]
    : [`${path}.parameter.parameterName`, config.parameter?.parameterName];
  validateLength(errors, namePath, name, 1, MAX_SSM_PARAMETER_NAME);
  validatePattern(errors, namePath, name, SSM_PARAMETER_NAME_PATTERN, 'must contain only letters, digits, "_", ".", "-" and "/"');
  validateSsmOutputName(errors, namePath, ssmOutputNameForRules(config), context.warn);
  validateEnum(errors, `${path}.dataType`, config.dataType, SSM_PARAMETER_DATA_TYPES, 'ssm.ParameterDataType');
  validateAccountId(errors, `${path}.accountId`, config.accountId);
  // Only the name is sent: Image Builder writes the parameter of that name in the distribution Region and account. A
  // parameter of the app is another one when it is elsewhere; an import stands for its name (and aws-cdk-lib only
  // imports parameters of the stack's Region by ARN).
  if (config.parameter && Resource.isOwnedResource(config.parameter)) {
    warnElsewhere(context, `${path}.parameter`, `the SSM parameter ${config.parameter.node.path}`, knownEnvironment(config.parameter),
      config.accountId ?? context.account, 'Image Builder writes the parameter of that name in');
  }
  // SsmParameterConfiguration.amiAccountId: "this account must be specified in distribution settings as a target
  // account for the Region".
  if (config.accountId !== undefined && !isUnresolved(config.accountId)
    && targetAccountIds !== undefined && !isUnresolved(targetAccountIds)
    && !targetAccountIds.some(isUnresolved) && !targetAccountIds.includes(config.accountId)) {
    errors.add(`${path}.accountId`, config.accountId, `must be one of the distribution's targetAccountIds (${targetAccountIds.join(', ')})`);
  }
}

export function validateS3Export(errors: ValidationErrors, path: string, config: S3ExportConfiguration, context: AmiDistributionContext): void {
  validateLength(errors, `${path}.prefix`, config.prefix, 1, MAX_STRING);
  // Read here, not at load: the construct's file imports this one.
  validateEnum(errors, `${path}.diskImageFormat`, config.diskImageFormat, Object.values(DiskImageFormat), 'DiskImageFormat');
  validateRoleTrust(errors, context.warn, `${path}.role`, config.role, VM_IMPORT_EXPORT_SERVICE, RULES.s3ExportRoleTrust,
    'VM Import/Export assumes it to write the disk image');
  // Only the role's name is sent: the exporting account's role of that name is used. IAM is global: no Region.
  const roleEnv = Resource.isOwnedResource(config.role) ? { region: context.region, account: config.role.env.account }
    : environmentOfArn(config.role.roleArn);
  warnElsewhere(context, `${path}.role`, `the role ${config.role.node.path}`, roleEnv && { ...roleEnv, region: context.region },
    context.account, 'VM Import/Export assumes the role of that name in');
}

/**
 * The output parameter's name as SSM will see it: for a parameter of the app, the name its CloudFormation resource is
 * given (its `parameterName` attribute is a token even when the name is literal).
 */
function ssmOutputNameForRules(config: SsmParameterDistribution): string | undefined {
  const cfn = config.parameter?.node.defaultChild;
  if (config.parameterName === undefined && cfn instanceof ssm.CfnParameter) return cfn.name;
  return config.parameterName ?? config.parameter?.parameterName;
}

/** SSM's own rules for the names Image Builder writes with PutParameter. */
export function validateSsmOutputName(
  errors: ValidationErrors, path: string, name: string | undefined, warn?: (rule: Rule, message: string) => void,
): void {
  if (name === undefined) return;
  if (isUnresolved(name)) {
    warn?.(RULES.deployTimeValue, `${path}: the name is a deploy-time value, so synth cannot check SSM's naming rules (no "aws" or `
      + `"ssm" prefix, at most ${MAX_SSM_HIERARCHY_LEVELS} levels); PutParameter checks them when Image Builder writes the parameter.`);
    return;
  }
  if (SSM_RESERVED_PREFIX.test(name)) {
    reportRule(errors, RULES.ssmOutputReservedName, path, `${JSON.stringify(name)} is invalid; SSM reserves names that begin `
      + 'with "aws" or "ssm" in any case (also after a leading "/"), and PutParameter rejects them');
  }
  const levels = name.replace(/^\//, '').split('/');
  if (name.includes('/') && !name.startsWith('/')) {
    reportRule(errors, RULES.ssmOutputHierarchy, path, `${JSON.stringify(name)} is invalid; a name with a hierarchy must be fully qualified, `
      + `starting with "/" (for example "/${name}")`);
  } else if (levels.some(level => level === '')) {
    reportRule(errors, RULES.ssmOutputHierarchy, path, `${JSON.stringify(name)} is invalid; hierarchy levels must not be empty (no "//" or trailing "/")`);
  } else if (levels.length > MAX_SSM_HIERARCHY_LEVELS) {
    reportRule(errors, RULES.ssmOutputHierarchy, path, `${JSON.stringify(name)} has ${levels.length} hierarchy levels; SSM allows at `
      + `most ${MAX_SSM_HIERARCHY_LEVELS}`);
  }
}

/**
 * A resource the distribution names must be in the distribution's Region and in `account` (when given). A difference
 * is an error of `rule` naming both ends; what cannot be compared (tokens, imports that took the stack's environment
 * by default while the distribution goes elsewhere) is a warning.
 */
export function checkEnvironment(
  errors: ValidationErrors, context: AmiDistributionContext, path: string, what: string,
  env: KnownEnvironment | undefined, account: string | undefined, rule: Rule,
): void {
  if (env === undefined) {
    if (compare(context.region, context.stackRegion) !== 'same') {
      context.warn(RULES.environmentUndecided, `${path}: ${what} was imported without its Region, so synth cannot check that it is in `
        + `${shown(context.region, 'the distribution Region')}, where Image Builder looks it up. Checked at deploy time.`);
    }
    return;
  }
  const region = compare(env.region, context.region);
  if (region === 'different') {
    reportRule(errors, rule, path, `${what} is in ${env.region}, but the distribution goes to ${context.region}, where Image `
      + `Builder looks it up: use one of ${context.region}`);
  }
  const acct = account === undefined ? 'same' : compare(env.account, account);
  if (acct === 'different') {
    reportRule(errors, rule, path, `${what} is in account ${env.account}, but the distribution uses it in account ${account}: `
      + `use one of account ${account}`);
  }
  if (region === 'unknown' || acct === 'unknown') {
    context.warn(RULES.environmentUndecided, `${path}: synth cannot compare where ${what} is (${shown(env.region, 'its Region')}, `
      + `${shown(env.account, 'its account')}) with where the distribution needs it (${shown(context.region, 'the distribution Region')}`
      + `${account === undefined ? '' : `, ${shown(account, 'the distributing account')}`}). Checked at deploy time.`);
  }
}

/** Validates one container distribution; `path` is its prop path, such as `containerDistributions[0]`. */
export function validateContainerDistribution(
  errors: ValidationErrors, path: string, container: ContainerDistribution, context: AmiDistributionContext,
): void {
  validateRegion(errors, `${path}.region`, container.region);
  validateLength(errors, `${path}.description`, container.description, 1, MAX_STRING);
  validateNotEmpty(errors, `${path}.containerTags`, container.containerTags);
  if (container.containerTags !== undefined && !isUnresolved(container.containerTags)) {
    container.containerTags.forEach((tag, i) => validateLength(errors, `${path}.containerTags[${i}]`, tag, 1, MAX_STRING));
  }
  validateUnique(errors, `${path}.containerTags`, container.containerTags);
  // Only the name is sent, and Image Builder pushes to the repository of that name in the distribution Region and
  // account: a repository of the app (or imported by ARN) elsewhere is not the one that receives the image. An import
  // by name stands for the repository of that name wherever it is used, and is not checked.
  const repository = container.repository;
  const env = Resource.isOwnedResource(repository) || compare(repository.env.region, context.stackRegion) === 'different'
    || compare(repository.env.account, context.account) === 'different'
    ? { region: repository.env.region, account: repository.env.account } : undefined;
  warnElsewhere(context, `${path}.repository`, `the repository ${repository.node.path}`, env, context.account,
    'Image Builder pushes to the repository of that name in');
}

/**
 * A resource that the distribution names only by name, created (or imported by ARN) elsewhere than where the name is
 * used: a warning, since a resource of that name may exist there too.
 */
function warnElsewhere(
  context: AmiDistributionContext, path: string, what: string, env: KnownEnvironment | undefined, account: string, uses: string,
): void {
  if (!env) return;
  const region = compare(env.region, context.region);
  const acct = compare(env.account, account);
  if (region === 'same' && acct === 'same') return;
  if (region === 'unknown' || acct === 'unknown') {
    context.warn(RULES.environmentUndecided, `${path}: synth cannot compare where ${what} is (${shown(env.region, 'its Region')}, `
      + `${shown(env.account, 'its account')}) with where the distribution uses its name (${shown(context.region, 'the distribution Region')}, `
      + `${shown(account, 'the distributing account')}). Checked at deploy time.`);
    return;
  }
  context.warn(RULES.namedResourceElsewhere, `${path}: ${what} is in ${env.region} of account ${env.account}, but only its name is sent: `
    + `${uses} ${context.region} of account ${account}, which is another one. Make sure it exists there, or use a resource of that Region and account.`);
}

/** A distribution with the Region it goes to (its own, or the stack's). */
export interface RegionalEntry<T> {
  readonly region: string;
  readonly value: T;
}

/**
 * Rules across all distributions of one configuration: at least one distribution, one AMI and one container
 * distribution per Region at most, and something to distribute in every Region.
 *
 * Regions are compared as strings. Equal strings are the same Region even when they are tokens (the same token
 * always resolves to the same value, such as the stack Region of an environment-agnostic stack); a token and a
 * literal, or two different tokens, cannot be compared and are not reported.
 */
export function validateDistributionSet(
  errors: ValidationErrors,
  amis: ReadonlyArray<RegionalEntry<AmiDistribution>>,
  containers: ReadonlyArray<RegionalEntry<ContainerDistribution>>,
): void {
  if (amis.length === 0 && containers.length === 0) {
    errors.addMessage('amiDistributions', 'a distribution configuration needs at least one AMI or container distribution');
    return;
  }
  const amiIndex = firstIndexByRegion(errors, 'amiDistributions', amis, 'AMI');
  const containerIndex = firstIndexByRegion(errors, 'containerDistributions', containers, 'container');
  for (const [region, i] of amiIndex) {
    const container = containerIndex.get(region);
    const rendered = renderApiDistribution(region, amis[i].value, container === undefined ? undefined : containers[container].value);
    if (Object.keys(rendered).length <= 1) {
      errors.addMessage(`amiDistributions[${i}]`,
        'sets nothing but the Region, which Image Builder rejects; set at least one property such as amiName');
    }
  }
}

function firstIndexByRegion<T>(errors: ValidationErrors, path: string, entries: ReadonlyArray<RegionalEntry<T>>, kind: string): Map<string, number> {
  const first = new Map<string, number>();
  entries.forEach((entry, i) => {
    const previous = first.get(entry.region);
    if (previous === undefined) {
      first.set(entry.region, i);
    } else {
      errors.add(`${path}[${i}].region`, entry.region,
        `${path}[${previous}] already distributes to this Region; Image Builder allows one ${kind} distribution per Region`);
    }
  });
  return first;
}

function validateArnList(errors: ValidationErrors, path: string, arns: string[] | undefined, max: number, pattern: RegExp, allowed: string): void {
  if (arns === undefined || isUnresolved(arns)) return;
  validateNotEmpty(errors, path, arns);
  validateMaxItems(errors, path, arns, max);
  arns.forEach((arn, i) => validatePattern(errors, `${path}[${i}]`, arn, pattern, allowed));
  validateUnique(errors, path, arns);
}

/** What a patch validation knows of the configuration it targets, when it is a configuration of the app. */
export interface KnownPatchTarget {
  /** Regions with an AMI distribution. */
  readonly amiRegions: readonly string[];
}

/**
 * A patch calls Get/UpdateDistributionConfiguration with its handler's credentials, which are of the stack's account:
 * the configuration must be of that account (Image Builder has no resource policies for it). Any Region is fine: the
 * handler calls the Region of the configuration's ARN. Merges need an AMI distribution of their Region in the target,
 * checked when the target is a configuration of the app.
 */
export function validatePatchTarget(
  errors: ValidationErrors, scope: IConstruct, config: IDistributionConfiguration, known: KnownPatchTarget | undefined,
  mergedRegions: readonly string[],
): void {
  const stack = Stack.of(scope);
  const env = knownEnvironment(config, config.distributionConfigurationArn);
  const account = env ? compare(env.account, stack.account) : 'unknown';
  if (account === 'different') {
    reportRule(errors, RULES.configurationEnvironment, 'distributionConfiguration', `${config.node.path} is in account ${env!.account}; `
      + `a patch can only change a distribution configuration of the stack's account (${stack.account}): deploy it in that account`);
  } else if (account === 'unknown') {
    warnRule(scope, RULES.environmentUndecided, `distributionConfiguration: synth cannot compare the account of ${config.node.path} `
      + `(${shown(config.distributionConfigurationArn, 'its ARN')}) with the stack's; the patch needs it in the stack's account. Checked at deploy time.`);
  }
  if (!known) return;
  for (const region of mergedRegions) {
    const comparisons = known.amiRegions.map(r => compare(r, region));
    if (comparisons.includes('same')) continue;
    if (comparisons.includes('unknown')) {
      warnRule(scope, RULES.environmentUndecided, `regions.${region}: the Regions of ${config.node.path} are deploy-time values, so synth `
        + 'cannot check that it has an AMI distribution to merge into. Checked at deploy time.');
    } else {
      reportRule(errors, RULES.patchTargetHasRegion, `regions.${region}`, `${config.node.path} has no AMI distribution to ${region} to merge `
        + `target accounts, launch permissions or an S3 export into (it distributes AMIs to ${known.amiRegions.filter(r => !isUnresolved(r)).join(', ') || 'no Region'}); `
        + 'add the Region with addAmiDistribution instead');
    }
  }
}
