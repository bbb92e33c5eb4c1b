/**
 * Synth-time validation of infrastructure configuration props against what the Image Builder API accepts
 * (imagebuilder-2019-12-02 CreateInfrastructureConfiguration) and what EC2 needs to launch the build instances.
 * Unresolved tokens are never rejected.
 */
import { Resource, type TagManager } from 'aws-cdk-lib';
import { type InfrastructureConfigurationProps, Tenancy } from '../infrastructure-configuration';
import { HOST_ID_PATTERN, HOST_RESOURCE_GROUP_ARN_PATTERN, INFRASTRUCTURE_CONFIGURATION_ARN_PATTERN, RESOURCE_NAME_PATTERN } from './patterns';
import { reportRule, Rule, RULES } from './rules';
import { validateRoleTrust } from './rules-environment';
import { EC2_SERVICE } from './service-principals';
import { describeSubnet, type SubnetChoice, type SubnetDescription } from './subnet-selection';
import {
  isUnresolved,
  validateEnum,
  validateLength,
  validateNotEmpty,
  validatePattern,
  validateRange,
  validateRenderedTags,
  validateTags,
  validateUnique,
  ValidationErrors,
} from './validation';

/** Image Builder's HttpTokens pattern (its TenancyType enum is the public `Tenancy`). */
export const HTTP_TOKENS = ['optional', 'required'] as const;
/** Image Builder limits the tags of build instances (resourceTags) to 30, not the 50 of its own resources. */
export const MAX_RESOURCE_TAGS = 30;
/** Container builds with IMDSv2 need two hops: the container is one hop away from the instance. */
export const MIN_CONTAINER_HOP_LIMIT = 2;

/** What the validation of an infrastructure configuration needs besides its props. */
export interface InfrastructureValidationInput {
  readonly props: InfrastructureConfigurationProps;
  /** The subnet resolved from `vpc` and `subnetSelection`; undefined without a VPC. */
  readonly subnet: SubnetChoice | undefined;
  /** The rendered metadata options (defaults applied). */
  readonly metadata: { readonly httpTokens: string; readonly hopLimit: number };
  readonly containerBuilds: boolean;
  /** The tag manager of the CloudFormation resource, which holds the tags of `Tags.of(...)` once aspects have run. */
  readonly renderedTags: TagManager;
  /** Adds a warning of a rule to the construct being validated. */
  readonly warn: (rule: Rule, message: string) => void;
}

/** Every synth-time rule of an `InfrastructureConfiguration`; run it from a validation, after aspects. */
export function validateInfrastructureConfiguration(errors: ValidationErrors, input: InfrastructureValidationInput): void {
  const { props, warn } = input;
  validateName(errors, 'infrastructureConfigurationName', props.infrastructureConfigurationName);
  validateDescription(errors, 'description', props.description);
  validateNotEmpty(errors, 'instanceTypes', props.instanceTypes);
  validateUnique(errors, 'instanceTypes', props.instanceTypes?.map(t => t.toString()));
  if (props.instanceProfile && props.role) {
    errors.addMessage('role', 'instanceProfile and role exclude each other; give the role through the instance profile, or give only the role');
  }
  validateNetwork(errors, props, input.subnet);
  validateMetadataOptions(errors, { ...input.metadata, containerBuilds: input.containerBuilds });
  validatePlacement(errors, 'placement', props.placement);
  validateLength(errors, 'logging.s3KeyPrefix', props.logging?.s3KeyPrefix, 1, 1024);
  // After aspects: the tags of Tags.of(...) are merged in by now. resourceTags are not taggable: the prop only.
  validateRenderedTags(errors, 'tags', props.tags, input.renderedTags);
  validateTags(errors, 'resourceTags', props.resourceTags, { maxTags: MAX_RESOURCE_TAGS, ec2: true });
  const topic = props.notificationTopic;
  validateNotificationTopic(errors, 'notificationTopic',
    topic && { fifo: topic.fifo, topicName: topic.topicName, owned: Resource.isOwnedResource(topic) }, warn);
  if (props.role) {
    validateRoleTrust(errors, warn, 'role', props.role, EC2_SERVICE, RULES.instanceRoleTrust, 'build and test instances run with it');
  }
}

export function validateName(errors: ValidationErrors, path: string, name: string | undefined): void {
  validatePattern(errors, path, name, RESOURCE_NAME_PATTERN,
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

/** The placement props, as given or rendered. */
export interface PlacementInput {
  readonly availabilityZone?: string;
  readonly tenancy?: string;
  readonly hostId?: string;
  readonly hostResourceGroupArn?: string;
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
  // Read here, not at load: the construct's file imports this one.
  validateEnum(errors, `${path}.tenancy`, tenancy, Object.values(Tenancy), 'Tenancy');
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

/**
 * The network rules: a subnet selection and security groups of the app need a VPC, and the resolved subnet must be one,
 * in the placement zone.
 */
export function validateNetwork(errors: ValidationErrors, props: InfrastructureConfigurationProps, subnet: SubnetChoice | undefined): void {
  if (!props.vpc) {
    if (props.subnetSelection) {
      errors.addMessage('subnetSelection', 'requires vpc: a subnet can only be selected in a given VPC');
    }
    props.securityGroups?.forEach((sg, i) => {
      if (Resource.isOwnedResource(sg)) {
        errors.addMessage(`securityGroups[${i}]`, `${sg.node.path} is created in this app and so belongs to a VPC of it: `
          + 'give that VPC as vpc (without vpc, Image Builder launches instances in the default VPC)');
      }
    });
  }
  validateNotEmpty(errors, 'securityGroups', props.securityGroups);
  validateUnique(errors, 'securityGroups', props.securityGroups?.map(sg => sg.securityGroupId));
  if (!subnet) return;
  if (subnet.explicit) {
    if (subnet.error !== undefined) {
      errors.addMessage('subnetSelection', `cannot be resolved in the VPC: ${subnet.error}`);
    } else if (!subnet.undecided) {
      validateSubnetCount(errors, 'subnetSelection', subnet.subnets);
    }
  } else if (!subnet.selected) {
    errors.addMessage('vpc', `has no subnet to launch build instances in (${subnet.error ?? 'the default selection is empty'}); give subnetSelection`);
  }
  validateSubnetZone(errors, 'placement.availabilityZone', subnet.selected, props.placement?.availabilityZone);
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
