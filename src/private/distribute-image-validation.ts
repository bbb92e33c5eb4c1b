/**
 * Synth-time validation of DistributeImage: the DistributeImage API's patterns (API reference and Image Builder model),
 * the rules of the services its values reach, and its consistency with the configuration it distributes with.
 */
import { Duration, RemovalPolicy, Resource, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import type { DistributeImageProps } from '../distribute-image';
import { AmiDistribution, DistributionConfiguration } from '../distribution-configuration';
import {
  AMI_ID_PATTERN,
  DISTRIBUTION_CONFIGURATION_ARN_PATTERN,
  EXECUTION_ROLE_PATTERN,
  IMAGE_ARN_PATTERN,
  LOG_GROUP_NAME_PATTERN,
  SSM_PARAMETER_ARN_PATTERN,
  SSM_PARAMETER_NAME_PATTERN,
} from './patterns';
import { reportRule, Rule, RULES, warnRule } from './rules';
import { compare, environmentOfArn, knownEnvironment, shown, validateRoleTrust } from './rules-environment';
import { IMAGE_BUILDER_SERVICE } from './service-principals';
import {
  isUnresolved, validateAccountIds, validateEnum, validateLength, validatePattern, validateTags, ValidationErrors,
} from './validation';

// src/distribute-image.ts imports the pattern from here; it is defined in ./patterns.
/** RemovalPolicy values DistributeImage implements. */
const REMOVAL_POLICIES = [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY] as const;

/** An AMI ID attribute a DistributeImage was asked for (`amiIdInRegion` has no account: the stack's). */
export interface AmiAttributeRequest {
  readonly method: 'amiIdInRegion' | 'amiId';
  readonly region: string;
  readonly account?: string;
}

export interface DistributeImageValidationInput {
  readonly scope: IConstruct;
  readonly props: DistributeImageProps;
  readonly timeout: Duration;
  readonly maxTimeout: Duration;
  readonly amiAttributes: readonly AmiAttributeRequest[];
}

/** Checks a DistributeImage's props against the DistributeImage API and the configuration it distributes with. */
export function validateDistributeImage(errors: ValidationErrors, input: DistributeImageValidationInput): void {
  const { scope, props, timeout, maxTimeout } = input;
  const stack = Stack.of(scope);
  const warn = (rule: Rule, message: string) => warnRule(scope, rule, message);

  validateSource(errors, props, warn);

  const config = props.distributionConfiguration;
  const configArn = config.distributionConfigurationArn;
  validatePattern(errors, 'distributionConfiguration', configArn, DISTRIBUTION_CONFIGURATION_ARN_PATTERN,
    'must be a distribution configuration ARN (arn:aws:imagebuilder:<region>:<account>:distribution-configuration/<name>)');
  const env = knownEnvironment(config, configArn);
  const region = env ? compare(env.region, stack.region) : 'unknown';
  const account = env ? compare(env.account, stack.account) : 'unknown';
  if (region === 'different') {
    reportRule(errors, RULES.configurationEnvironment, 'distributionConfiguration', `${config.node.path} is in ${env!.region}; `
      + `DistributeImage needs the distribution configuration in the same Region as the stack (${stack.region})`);
  }
  if (account === 'different') {
    reportRule(errors, RULES.configurationEnvironment, 'distributionConfiguration', `${config.node.path} is in account ${env!.account}; `
      + `DistributeImage can only use a distribution configuration of the stack's account (${stack.account})`);
  }
  if (region === 'unknown' || account === 'unknown') {
    warn(RULES.environmentUndecided, `distributionConfiguration: synth cannot compare the Region and account of ${config.node.path} `
      + `(${shown(configArn, 'its ARN')}) with the stack's; DistributeImage needs it in the stack's account and Region. Checked at deploy time.`);
  }

  if (props.executionRole) {
    const role = props.executionRole.roleArn;
    validateLength(errors, 'executionRole', role, 1, 2048);
    validatePattern(errors, 'executionRole', role, EXECUTION_ROLE_PATTERN, 'must be an IAM role name or role ARN');
    validateRoleTrust(errors, warn, 'executionRole', props.executionRole, IMAGE_BUILDER_SERVICE, RULES.executionRoleTrust,
      'Image Builder assumes it to distribute the image');
    const roleAccount = environmentOfArn(role)?.account;
    if (roleAccount !== undefined && compare(roleAccount, stack.account) === 'different') {
      reportRule(errors, RULES.executionRoleAccount, 'executionRole', `${role} is a role of account ${roleAccount}; DistributeImage `
        + `passes the execution role with iam:PassRole, which passes roles of the caller's account (${stack.account}) only`);
    }
  }

  if (props.logGroup) {
    const name = logGroupNameOf(props.logGroup);
    if (name !== undefined && !isUnresolved(name) && !LOG_GROUP_NAME_PATTERN.test(name)) {
      reportRule(errors, RULES.logGroupName, 'logGroup', `${JSON.stringify(name)} is invalid; Image Builder takes log group names of `
        + '1 to 512 letters, digits, "-", "_", "/" and "." (CloudWatch Logs also allows "#", Image Builder does not)');
    }
  }

  validateTags(errors, 'tags', props.tags);
  // Accounts taken from this library's configuration are validated by the configuration itself.
  validateAccountIds(errors, 'targetAccountIds', props.targetAccountIds);
  if (props.executionRole && props.executionRolePolicy !== undefined) {
    reportRule(errors, RULES.executionRolePolicyWithRole, 'executionRolePolicy', 'applies only to the execution role this '
      + 'construct creates; with executionRole given, grant that role what the distribution needs (docs/iam.md)');
  }
  validateEnum(errors, 'removalPolicy', props.removalPolicy, REMOVAL_POLICIES, 'RemovalPolicy that DistributeImage supports');
  if (!isUnresolved(timeout.toSeconds()) && (timeout.toSeconds() < 60 || timeout.toSeconds() > maxTimeout.toSeconds())) {
    errors.add('timeout', `${timeout.toSeconds()} seconds`, `must be from 1 minute to ${maxTimeout.toMinutes()} minutes `
      + '(CloudFormation waits at most an hour for a custom resource, and the provider\'s waiter needs the rest)');
  }

  if (DistributionConfiguration.isDistributionConfiguration(config)) {
    const amis = config._amiDistributionEntries();
    validateAmiAttributes(errors, warn, input.amiAttributes, amis, stack.account);
    warnSourceAccountOnly(warn, amis, stack.account);
  } else {
    for (const request of input.amiAttributes) {
      warn(RULES.amiAttributeUnchecked, `${request.method}(${request.region}${request.account ? `, ${request.account}` : ''}): `
        + `the distribution configuration ${config.node.path} is imported, so synth cannot check that it distributes an AMI to `
        + 'that Region and account; CloudFormation fails the stack at Fn::GetAtt if it does not.');
    }
  }
}

function validateSource(errors: ValidationErrors, props: DistributeImageProps, warn: (rule: Rule, message: string) => void): void {
  const source = props.source;
  if (isUnresolved(source.value)) {
    // A parameter of the app: aws-cdk-lib's StringParameter checks its name, and its attribute is always a token.
    if (source.parameter && Resource.isOwnedResource(source.parameter)) return;
    warn(RULES.deployTimeValue, 'source: the image is a deploy-time value, so synth cannot check its form (AMI ID, SSM parameter '
      + 'name or ARN, image ARN); DistributeImage checks it at deploy time.');
    return;
  }
  switch (source.type) {
    case 'AMI_ID':
      validatePattern(errors, 'source', source.value, AMI_ID_PATTERN, 'an AMI ID is "ami-" followed by 8 or 17 lowercase hex digits');
      break;
    case 'SSM_PARAMETER':
      validateLength(errors, 'source', source.value, 1, 1019);
      if (isUnresolved(source.value)) break;
      if (source.value.startsWith('ssm:')) {
        reportRule(errors, RULES.distributeImageSource, 'source', `${JSON.stringify(source.value)} is invalid; give the parameter's `
          + 'name or ARN without "ssm:": the construct adds the prefix');
      } else if (source.value.startsWith('arn:')) {
        validatePattern(errors, 'source', source.value, SSM_PARAMETER_ARN_PATTERN,
          'an SSM parameter ARN looks like arn:aws:ssm:<region>:<account>:parameter/<name>');
      } else {
        validatePattern(errors, 'source', source.value, SSM_PARAMETER_NAME_PATTERN, 'an SSM parameter name may contain only letters, digits, _ . - and /');
      }
      break;
    case 'IMAGE_ARN':
      validateLength(errors, 'source', source.value, 1, 1024);
      if (!isUnresolved(source.value) && !IMAGE_ARN_PATTERN.test(source.value)) {
        reportRule(errors, RULES.distributeImageSource, 'source', `${JSON.stringify(source.value)} is invalid; an Image Builder image `
          + 'ARN is arn:aws:imagebuilder:<region>:<account>:image/<name>/<version> where the version is x.y.z with numbers or "x" '
          + 'wildcards, or a build version x.y.z/n with numbers only');
      }
      break;
  }
}

/** The name of a log group: for one of the app, the name it gives its CloudFormation resource (its attribute is a token). */
function logGroupNameOf(logGroup: logs.ILogGroup): string | undefined {
  const cfn = logGroup.node.defaultChild;
  if (cfn instanceof logs.CfnLogGroup) return cfn.logGroupName;
  return logGroup.logGroupName;
}

interface AmiEntry {
  readonly region: string;
  readonly distribution: AmiDistribution;
}

/**
 * AMI attributes exist for the Regions the configuration has an AMI distribution for (container-only Regions produce
 * none), in the distributing account and in the Region's targetAccountIds. Whether the distributing account keeps a copy
 * when targetAccountIds leave it out is not documented: a warning, not an error.
 */
function validateAmiAttributes(
  errors: ValidationErrors, warn: (rule: Rule, message: string) => void, requests: readonly AmiAttributeRequest[],
  amis: readonly AmiEntry[], stackAccount: string,
): void {
  for (const request of requests) {
    const call = `${request.method}(${request.region}${request.account ? `, ${request.account}` : ''})`;
    const matches = amis.map(a => ({ entry: a, region: compare(a.region, request.region) }));
    const entry = matches.find(m => m.region === 'same')?.entry;
    if (!entry) {
      if (matches.some(m => m.region === 'unknown')) {
        warn(RULES.amiAttributeUnchecked, `${call}: the configuration's Regions are deploy-time values, so synth cannot check that it `
          + `distributes an AMI to ${request.region}. Checked at deploy time (Fn::GetAtt).`);
      } else {
        const regions = amis.map(a => a.region).filter(r => !isUnresolved(r));
        reportRule(errors, RULES.amiAttributeProduced, request.method, `${call}: the distribution configuration has no AMI distribution to `
          + `${request.region}, so no AMI ID attribute exists for it; AMIs are distributed to ${regions.length > 0 ? regions.join(', ') : 'no Region'}`);
      }
      continue;
    }
    const account = request.account ?? stackAccount;
    const targets = entry.distribution.targetAccountIds;
    if (compare(account, stackAccount) === 'same') {
      if (targets !== undefined && !isUnresolved(targets) && !targets.includes(account) && !targets.some(isUnresolved)) {
        warn(RULES.amiAttributeUnchecked, `${call}: the AMI distribution to ${request.region} sends the AMI to targetAccountIds `
          + `(${targets.join(', ')}), which leave out the distributing account; whether it keeps a copy there is only known at deploy time.`);
      }
      continue;
    }
    if (targets === undefined || (!isUnresolved(targets) && !targets.some(isUnresolved) && !targets.some(t => compare(t, account) !== 'different'))) {
      reportRule(errors, RULES.amiAttributeProduced, request.method, `${call}: the AMI distribution to ${request.region} produces AMIs `
        + `only in ${targets === undefined ? 'the distributing account' : `its targetAccountIds (${targets.join(', ')})`}, not in ${account}`);
    } else if (isUnresolved(targets) || targets.some(isUnresolved) || isUnresolved(account)) {
      warn(RULES.amiAttributeUnchecked, `${call}: the accounts are deploy-time values; checked at deploy time (Fn::GetAtt).`);
    }
  }
}

/**
 * DistributeImage runs Image Builder's managed distribute-image workflow, whose ApplyImageConfigurations step applies
 * configurations only in the source account (SSM parameters excepted).
 */
function warnSourceAccountOnly(warn: (rule: Rule, message: string) => void, amis: readonly AmiEntry[], stackAccount: string): void {
  for (const { region, distribution } of amis) {
    const others = [
      ...(distribution.launchTemplates ?? []).map(lt => ({ what: 'launchTemplates', account: lt.accountId })),
      ...(distribution.fastLaunchConfigurations ?? []).map(fl => ({ what: 'fastLaunchConfigurations', account: fl.accountId })),
    ].filter(o => o.account !== undefined && compare(o.account, stackAccount) !== 'same');
    for (const other of others) {
      warn(RULES.sourceAccountOnlyConfigurations, `distributionConfiguration: the AMI distribution to ${region} has ${other.what} for `
        + `account ${other.account}; DistributeImage applies such configurations only in the source account `
        + '(Image Builder User Guide, ApplyImageConfigurations step action).');
    }
  }
}
