/**
 * Synth-time validation of distribution props against what the Image Builder API accepts.
 *
 * Bounds and patterns are Image Builder's service model (botocore data/imagebuilder/2019-12-02/service-2.json:
 * AccountId, AccountList, AmiNameString, NonEmptyString, LaunchTemplateId, LicenseConfigurationArn(List),
 * OrganizationArn, OrganizationalUnitArn, ResourceName, DistributionConfigurationArn, FastLaunchConfigurationList,
 * LaunchTemplateConfigurationList, TargetResourceCount, SsmParameterName) unless a comment says otherwise.
 * Unresolved tokens are never rejected.
 */
import type {
  AmiDistribution,
  AmiLaunchPermission,
  ContainerDistribution,
  FastLaunchConfiguration,
  LaunchTemplateDistribution,
  S3ExportConfiguration,
  SsmParameterDistribution,
} from '../distribution-configuration';
import { renderApiDistribution } from './distribution-render';
import {
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

// AmiNameString: at most 127 characters; its pattern needs at least 3 (a first, a middle and a last character), so the
// effective rule is 3-127. The pattern admits Image Builder placeholders such as {{ imagebuilder:buildDate }} and is
// stricter than EC2's own AMI name rules (no parentheses, brackets, slashes, quotes or @).
export const AMI_NAME_PATTERN = /^[-_A-Za-z0-9{][-_A-Za-z0-9\s:{}.]+[-_A-Za-z0-9}]$/;
export const MIN_AMI_NAME = 3;
export const MAX_AMI_NAME = 127;
// ResourceName: 3-128 characters.
export const RESOURCE_NAME_PATTERN = /^[-_A-Za-z0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z0-9]$/;
export const DISTRIBUTION_CONFIGURATION_ARN_PATTERN = /^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws):distribution-configuration\/[a-z0-9-_]+$/;
export const LAUNCH_TEMPLATE_ID_PATTERN = /^lt-[a-z0-9-_]{17}$/;
export const LICENSE_CONFIGURATION_ARN_PATTERN = /^arn:aws[^:]*:license-manager:[^:]+:[0-9]{12}:license-configuration:lic-[a-z0-9-_]{32}$/;
export const ORGANIZATION_ARN_PATTERN = /^arn:aws[^:]*:organizations::[0-9]{12}:organization\/o-[a-z0-9]{10,32}$/;
export const ORGANIZATIONAL_UNIT_ARN_PATTERN = /^arn:aws[^:]*:organizations::[0-9]{12}:ou\/o-[a-z0-9]{10,32}\/ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$/;
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
export const SSM_PARAMETER_NAME_PATTERN = /^[a-zA-Z0-9_.\-/]+$/;

/** What the validation of one AMI distribution needs to know about its surroundings. */
export interface AmiDistributionContext {
  /** The Region the distribution goes to (its `region`, or the stack's Region); may be a token. */
  readonly region: string;
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

  validateTags(errors, `${path}.amiTags`, ami.amiTags);

  if (ami.kmsKey) {
    // EC2 CopyImage encrypts the copy with a key of the destination Region.
    const keyRegion = ami.kmsKey.env.region;
    if (!isUnresolved(keyRegion) && !isUnresolved(context.region) && keyRegion !== context.region) {
      errors.add(`${path}.kmsKey`, ami.kmsKey.keyArn.startsWith('arn:') ? ami.kmsKey.keyArn : `key in ${keyRegion}`,
        `must be a KMS key in the distribution Region ${context.region} (it is in ${keyRegion})`);
    }
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
  ami.launchTemplates?.forEach((lt, i) => validateLaunchTemplateDistribution(errors, `${path}.launchTemplates[${i}]`, lt));

  validateNotEmpty(errors, `${path}.fastLaunchConfigurations`, ami.fastLaunchConfigurations);
  validateMaxItems(errors, `${path}.fastLaunchConfigurations`, ami.fastLaunchConfigurations, MAX_FAST_LAUNCH);
  ami.fastLaunchConfigurations?.forEach((fl, i) => validateFastLaunch(errors, `${path}.fastLaunchConfigurations[${i}]`, fl));

  validateNotEmpty(errors, `${path}.ssmParameters`, ami.ssmParameters);
  ami.ssmParameters?.forEach((p, i) => validateSsmParameter(errors, `${path}.ssmParameters[${i}]`, p, ami.targetAccountIds));

  if (ami.s3Export) {
    validateS3Export(errors, `${path}.s3Export`, ami.s3Export);
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

export function validateLaunchTemplateDistribution(errors: ValidationErrors, path: string, config: LaunchTemplateDistribution): void {
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
}

export function validateFastLaunch(errors: ValidationErrors, path: string, config: FastLaunchConfiguration): void {
  if (config.maxParallelLaunches !== undefined && !isUnresolved(config.maxParallelLaunches)
    && (!Number.isInteger(config.maxParallelLaunches) || config.maxParallelLaunches < MIN_PARALLEL_LAUNCHES)) {
    errors.add(`${path}.maxParallelLaunches`, config.maxParallelLaunches,
      `must be an integer of at least ${MIN_PARALLEL_LAUNCHES} (EC2 Fast Launch needs at least ${MIN_PARALLEL_LAUNCHES} parallel launches)`);
  }
  validateRange(errors, `${path}.targetSnapshotCount`, config.targetSnapshotCount, 1, MAX_TARGET_RESOURCE_COUNT);
  validateAccountId(errors, `${path}.accountId`, config.accountId);
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
  }
}

export function validateSsmParameter(errors: ValidationErrors, path: string, config: SsmParameterDistribution, targetAccountIds?: string[]): void {
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
  validateAccountId(errors, `${path}.accountId`, config.accountId);
  // SsmParameterConfiguration.amiAccountId: "this account must be specified in distribution settings as a target
  // account for the Region".
  if (config.accountId !== undefined && !isUnresolved(config.accountId)
    && targetAccountIds !== undefined && !isUnresolved(targetAccountIds)
    && !targetAccountIds.some(isUnresolved) && !targetAccountIds.includes(config.accountId)) {
    errors.add(`${path}.accountId`, config.accountId, `must be one of the distribution's targetAccountIds (${targetAccountIds.join(', ')})`);
  }
}

export function validateS3Export(errors: ValidationErrors, path: string, config: S3ExportConfiguration): void {
  validateLength(errors, `${path}.prefix`, config.prefix, 1, MAX_STRING);
}

/** Validates one container distribution; `path` is its prop path, such as `containerDistributions[0]`. */
export function validateContainerDistribution(errors: ValidationErrors, path: string, container: ContainerDistribution): void {
  validateRegion(errors, `${path}.region`, container.region);
  validateLength(errors, `${path}.description`, container.description, 1, MAX_STRING);
  validateNotEmpty(errors, `${path}.containerTags`, container.containerTags);
  if (container.containerTags !== undefined && !isUnresolved(container.containerTags)) {
    container.containerTags.forEach((tag, i) => validateLength(errors, `${path}.containerTags[${i}]`, tag, 1, MAX_STRING));
  }
  validateUnique(errors, `${path}.containerTags`, container.containerTags);
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
