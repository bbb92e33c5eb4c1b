import { Token } from 'aws-cdk-lib';
import { reportRule, Rule, RULES } from './rules';
import { isUnresolved, validateEnum, validateLength, validatePattern, validateRange, ValidationErrors } from './validation';

/*
 * Pure functions that turn the typed props of InfrastructureConfiguration into CloudFormation properties and check
 * them. Nothing here creates constructs, so every rule can be tested on plain values.
 */

/** Image Builder's resource name rule (API and CloudFormation): 3-128 characters, no leading or trailing space. */
export const INFRASTRUCTURE_NAME_PATTERN = /^[-_A-Za-z0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z0-9]$/;
/** InfrastructureConfigurationArn of Image Builder's service model. */
export const INFRASTRUCTURE_CONFIGURATION_ARN_PATTERN = /^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws):infrastructure-configuration\/[a-z0-9-_]+$/;
/** Dedicated Host IDs, for example `h-0123456789abcdef0`. */
export const HOST_ID_PATTERN = /^h-[0-9a-f]{8,17}$/;
/** Host resource groups are AWS Resource Groups groups: `group/<name>`, or `group/<name>/<id>` as Resource Groups returns them. */
export const HOST_RESOURCE_GROUP_ARN_PATTERN = /^arn:aws[a-z-]*:resource-groups:[a-z0-9-]+:[0-9]{12}:group\/[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9]+)?$/;
/** Image Builder's TenancyType enum and HttpTokens pattern. */
export const TENANCY_TYPES = ['default', 'dedicated', 'host'] as const;
export const HTTP_TOKENS = ['optional', 'required'] as const;
/** Image Builder limits the tags of build instances (resourceTags) to 30, not the 50 of its own resources. */
export const MAX_RESOURCE_TAGS = 30;
/** Container builds with IMDSv2 need two hops: the container is one hop away from the instance. */
export const MIN_CONTAINER_HOP_LIMIT = 2;

export interface PlacementInput {
  readonly availabilityZone?: string;
  readonly tenancy?: string;
  readonly hostId?: string;
  readonly hostResourceGroupArn?: string;
}

/**
 * The object key pattern the build instances may write their logs to: everything under the prefix, or the whole
 * bucket when there is no prefix. A trailing slash of the prefix is ignored so that `logs` and `logs/` both give
 * `logs/*` (never `logs//*`, and never `logs*`, which would also match `logs-of-another-team/...`).
 */
export function logObjectKeyPattern(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '') return '*';
  if (Token.isUnresolved(prefix)) return `${prefix}/*`;
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '*' : `${trimmed}/*`;
}

/** The CloudFormation `Placement` property, or undefined when nothing is set (Image Builder's defaults). */
export function renderPlacement(placement: PlacementInput | undefined): PlacementInput | undefined {
  if (!placement) return undefined;
  const rendered: PlacementInput = {
    availabilityZone: placement.availabilityZone,
    tenancy: placement.tenancy,
    hostId: placement.hostId,
    hostResourceGroupArn: placement.hostResourceGroupArn,
  };
  return Object.values(rendered).some(v => v !== undefined) ? rendered : undefined;
}

/** The default hop limit: one hop, the API's own default, except for container builds, which need two. */
export function defaultHopLimit(containerBuilds: boolean): number {
  return containerBuilds ? MIN_CONTAINER_HOP_LIMIT : 1;
}

export function validateName(errors: ValidationErrors, path: string, name: string | undefined): void {
  validatePattern(errors, path, name, INFRASTRUCTURE_NAME_PATTERN,
    'must be 3 to 128 characters of letters, digits, hyphens, underscores and spaces, not starting or ending with a space');
}

export function validateInfrastructureConfigurationArn(errors: ValidationErrors, path: string, arn: string): void {
  validatePattern(errors, path, arn, INFRASTRUCTURE_CONFIGURATION_ARN_PATTERN,
    'must be an Image Builder infrastructure configuration ARN such as '
    + '"arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/my-config"');
}

export function validateDescription(errors: ValidationErrors, path: string, description: string | undefined): void {
  validateLength(errors, path, description, 1, 1024);
}

/** Errors name the props (`httpPutResponseHopLimit`), which are top-level, not the rendered `instanceMetadataOptions`. */
export function validateMetadataOptions(
  errors: ValidationErrors,
  options: { httpTokens: string; hopLimit: number; containerBuilds: boolean },
): void {
  validateRange(errors, 'httpPutResponseHopLimit', options.hopLimit, 1, 64);
  validateEnum(errors, 'httpTokens', options.httpTokens, HTTP_TOKENS, 'ec2.HttpTokens');
  if (options.containerBuilds && !isUnresolved(options.hopLimit) && !isUnresolved(options.httpTokens)
    && options.httpTokens === 'required' && options.hopLimit < MIN_CONTAINER_HOP_LIMIT) {
    errors.add('httpPutResponseHopLimit', options.hopLimit,
      `container builds with httpTokens "required" need at least ${MIN_CONTAINER_HOP_LIMIT} hops (the container is one hop from the instance)`);
  }
}

/**
 * Placement rules of the API: hostId and hostResourceGroupArn exclude each other and both need tenancy `host`.
 * Tenancy `host` alone is valid: EC2 then picks a host with auto-placement.
 */
export function validatePlacement(errors: ValidationErrors, path: string, placement: PlacementInput | undefined): void {
  if (!placement) return;
  const { availabilityZone, tenancy, hostId, hostResourceGroupArn } = placement;
  validateLength(errors, `${path}.availabilityZone`, availabilityZone, 1, 1024);
  validatePattern(errors, `${path}.hostId`, hostId, HOST_ID_PATTERN, 'must be a Dedicated Host ID such as "h-0123456789abcdef0"');
  validatePattern(errors, `${path}.hostResourceGroupArn`, hostResourceGroupArn, HOST_RESOURCE_GROUP_ARN_PATTERN,
    'must be the ARN of a resource group, arn:<partition>:resource-groups:<region>:<account>:group/<name>[/<id>]');
  validateEnum(errors, `${path}.tenancy`, tenancy, TENANCY_TYPES, 'Tenancy');
  if (hostId !== undefined && hostResourceGroupArn !== undefined) {
    errors.addMessage(path, 'hostId and hostResourceGroupArn exclude each other; give at most one placement target');
  }
  if (!isUnresolved(tenancy) && tenancy !== 'host') {
    if (hostId !== undefined) {
      errors.add(`${path}.tenancy`, tenancy, 'must be Tenancy.HOST when hostId is given');
    }
    if (hostResourceGroupArn !== undefined) {
      errors.add(`${path}.tenancy`, tenancy, 'must be Tenancy.HOST when hostResourceGroupArn is given');
    }
  }
}

/** Identifies a subnet in an error message: its ID when known, else its construct path. */
export interface SubnetDescription {
  readonly subnetId: string;
  readonly path: string;
  /** Undefined for subnets imported without their zone. */
  readonly availabilityZone?: string;
}

export function describeSubnet(subnet: SubnetDescription): string {
  return Token.isUnresolved(subnet.subnetId) ? subnet.path : subnet.subnetId;
}

/** An explicit subnet selection must name exactly one subnet: Image Builder launches instances in one subnet. */
export function validateSubnetCount(errors: ValidationErrors, path: string, subnets: readonly SubnetDescription[]): void {
  if (subnets.length === 1) return;
  const listed = subnets.length === 0 ? 'no subnets' : `${subnets.length} subnets (${subnets.map(describeSubnet).join(', ')})`;
  errors.addMessage(path, `resolves to ${listed}; it must select exactly one subnet, for example `
    + 'with `subnets: [subnet]` or `availabilityZones: [zone]` with a subnet type that has one subnet per zone');
}

/** The placement zone and the subnet's zone must agree, or EC2 cannot launch the instance. */
export function validateSubnetZone(errors: ValidationErrors, path: string, subnet: SubnetDescription | undefined, zone: string | undefined): void {
  if (!subnet || subnet.availabilityZone === undefined || zone === undefined || isUnresolved(zone) || isUnresolved(subnet.availabilityZone)) return;
  if (subnet.availabilityZone !== zone) {
    errors.add(path, zone, `must be the Availability Zone of the selected subnet ${describeSubnet(subnet)} (${subnet.availabilityZone})`);
  }
}

/** What synth knows of the notification topic. */
export interface TopicDescription {
  readonly topicName: string;
  readonly fifo: boolean;
  /** Created in the app: `fifo` is then known even though the name is a token. */
  readonly owned: boolean;
}

/**
 * Image Builder notifies standard topics only: its SnsTopicArn pattern has no "." and so no `.fifo` name, and it
 * publishes without the message group ID a FIFO topic requires.
 */
export function validateNotificationTopic(
  errors: ValidationErrors, path: string, topic: TopicDescription | undefined, warn?: (rule: Rule, message: string) => void,
): void {
  if (!topic) return;
  if (!topic.owned && !topic.fifo && isUnresolved(topic.topicName)) {
    warn?.(RULES.deployTimeValue, `${path}: the topic's name is a deploy-time value, so synth cannot check that it is a standard `
      + 'topic (Image Builder does not notify FIFO topics); checked at deploy time.');
    return;
  }
  const fifoName = !isUnresolved(topic.topicName) && topic.topicName.endsWith('.fifo');
  if (topic.fifo || fifoName) {
    reportRule(errors, RULES.notificationTopicStandard, path, `${isUnresolved(topic.topicName) ? 'the topic' : JSON.stringify(topic.topicName)} `
      + 'is a FIFO topic; Image Builder publishes build notifications to standard SNS topics only');
  }
}
