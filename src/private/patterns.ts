/*
 * The forms of the identifiers the constructs check at synth: names, IDs and ARNs, each defined once and imported by
 * the validation of every construct that takes it. Patterns are the service models' (botocore data of Image Builder,
 * EC2, SSM, Organizations and License Manager) unless a comment says otherwise; bounds and enums stay with the rules
 * that use them. No CDK imports: the handler may import these too.
 */

/** A 12-digit AWS account ID (Image Builder's AccountId). */
export const ACCOUNT_ID_PATTERN = /^[0-9]{12}$/;
/** Partition-agnostic: us-east-1, us-gov-west-1, cn-north-1, eu-central-2, us-isob-east-1, eusc-de-east-1 ... */
export const REGION_PATTERN = /^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$/;
/** Image Builder's TagKey (TagResource / DistributeImage); the length (1-128) is checked on its own. */
export const TAG_KEY_PATTERN = /^(?!aws:)[a-zA-Z0-9\s_.:/=+\-@]*$/;

/**
 * Image Builder's ResourceName, the name of distribution and infrastructure configurations (API and CloudFormation):
 * 3-128 characters, no leading or trailing space.
 */
export const RESOURCE_NAME_PATTERN = /^[-_A-Za-z0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z0-9]$/;
/** Image Builder's DistributionConfigurationArn. */
export const DISTRIBUTION_CONFIGURATION_ARN_PATTERN = /^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws):distribution-configuration\/[a-z0-9-_]+$/;
/** Image Builder's InfrastructureConfigurationArn. */
export const INFRASTRUCTURE_CONFIGURATION_ARN_PATTERN = /^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws):infrastructure-configuration\/[a-z0-9-_]+$/;
/** An image's ARN up to its version: `arn:<partition>:imagebuilder:<region>:<account or aws>:image/<name>/`. */
const IMAGE_ARN_PREFIX = String.raw`arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws(?:-[a-z-]+)?):image\/[a-z0-9-_]+\/`;
/** A numeric version with its build number: `1.0.0/3`. */
const BUILD_VERSION = String.raw`[0-9]+\.[0-9]+\.[0-9]+\/[0-9]+`;
/** Image Builder's ImageVersionArnOrBuildVersionArn: a version with "x" wildcards, or a numeric version with its build number. */
export const IMAGE_ARN_PATTERN = new RegExp(String.raw`^${IMAGE_ARN_PREFIX}(?:(?:([0-9]+|x)\.([0-9]+|x)\.([0-9]+|x))|(?:${BUILD_VERSION}))$`);
/** Image Builder's ImageBuildVersionArn: what DistributeImage creates, and the only image the handler deletes. */
export const IMAGE_BUILD_VERSION_ARN_PATTERN = new RegExp(String.raw`^${IMAGE_ARN_PREFIX}${BUILD_VERSION}$`);

/**
 * Image Builder's AmiNameString. Its pattern needs at least 3 characters (a first, a middle and a last), admits Image
 * Builder placeholders such as {{ imagebuilder:buildDate }} and is stricter than EC2's own AMI name rules (no
 * parentheses, brackets, slashes, quotes or @).
 */
export const AMI_NAME_PATTERN = /^[-_A-Za-z0-9{][-_A-Za-z0-9\s:{}.]+[-_A-Za-z0-9}]$/;
/** An AMI ID (DistributeImage API reference). */
export const AMI_ID_PATTERN = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
/** Image Builder's LaunchTemplateId. */
export const LAUNCH_TEMPLATE_ID_PATTERN = /^lt-[a-z0-9-_]{17}$/;
/** Dedicated Host IDs, for example `h-0123456789abcdef0`. */
export const HOST_ID_PATTERN = /^h-[0-9a-f]{8,17}$/;
/** Host resource groups are AWS Resource Groups groups: `group/<name>`, or `group/<name>/<id>` as Resource Groups returns them. */
export const HOST_RESOURCE_GROUP_ARN_PATTERN = /^arn:aws[a-z-]*:resource-groups:[a-z0-9-]+:[0-9]{12}:group\/[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9]+)?$/;
/** Image Builder's LicenseConfigurationArn. */
export const LICENSE_CONFIGURATION_ARN_PATTERN = /^arn:aws[^:]*:license-manager:[^:]+:[0-9]{12}:license-configuration:lic-[a-z0-9-_]{32}$/;
/** Image Builder's OrganizationArn. */
export const ORGANIZATION_ARN_PATTERN = /^arn:aws[^:]*:organizations::[0-9]{12}:organization\/o-[a-z0-9]{10,32}$/;
/** Image Builder's OrganizationalUnitArn. */
export const ORGANIZATIONAL_UNIT_ARN_PATTERN = /^arn:aws[^:]*:organizations::[0-9]{12}:ou\/o-[a-z0-9]{10,32}\/ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$/;

/** Image Builder's SsmParameterName; the character class holds "/", so a leading slash needs nothing of its own. */
export const SSM_PARAMETER_NAME_PATTERN = /^[a-zA-Z0-9_.\-/]+$/;
/** An SSM parameter ARN (the name after `parameter` keeps its hierarchy). */
export const SSM_PARAMETER_ARN_PATTERN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter\/[a-zA-Z0-9_.\-/]+$/;

/** An IAM role name or role ARN (DistributeImage's ExecutionRole). */
export const EXECUTION_ROLE_PATTERN = /^(?:arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role\/)?[a-zA-Z_0-9+=,.@\-_/]+$/;
/** Image Builder's LogGroupName: CloudWatch Logs also allows "#", Image Builder does not. */
export const LOG_GROUP_NAME_PATTERN = /^[a-zA-Z0-9\-_/.]{1,512}$/;
