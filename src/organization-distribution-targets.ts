import { Aws, CfnResource, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DistributionConfiguration, IDistributionConfiguration } from './distribution-configuration';
import { DistributionRoleCheck } from './distribution-role-check';
import { grantDistributionRoleCheck } from './private/distribution-role-check';
import { validateDistributionConfigurationArn } from './private/distribution-validation';
import type { PatchResourceProperties } from './private/handler-contract';
import { acknowledgeWildcardResource } from './private/nag';
import { organizationChangePattern } from './private/organization-change-pattern';
import {
  ORGANIZATION_TARGETS_METRICS, ORGANIZATION_TARGETS_RESOURCE_TYPE, OrganizationTargetsAttributes, OrganizationTargetsRefreshEvent,
  OrganizationTargetsResourceProperties,
} from './private/organization-contract';
import { ORGANIZATIONS_READ_ACTIONS, ORGANIZATIONS_WILDCARD_REASON } from './private/organizations-actions';
import { PatchResource } from './private/patch-resource';
import { ImageBuilderProvider } from './private/provider';
import { addValidation, validateNotEmpty, validateRegion, validateUnique } from './private/validation';
import { TargetAccounts } from './target-accounts';

/**
 * Properties of an `OrganizationDistributionTargets`.
 */
export interface OrganizationDistributionTargetsProps {
  /**
   * The distribution configuration whose AMI distributions get the accounts as `targetAccountIds`. It may be owned by
   * this stack or imported; like a `DistributionConfigurationPatch`, this resource changes it through the API and
   * gives it back as it was on delete, keeping what others changed meanwhile.
   */
  readonly distributionConfiguration: IDistributionConfiguration;

  /**
   * Where the accounts come from: the union of these sources' accounts (each source with its own exclusions and
   * account-state filter).
   */
  readonly targetAccounts: TargetAccounts[];

  /**
   * The Regions whose AMI distribution gets the accounts. Each must already be in the configuration with an AMI
   * distribution.
   *
   * @default - the stack's Region
   */
  readonly regions?: string[];

  /**
   * The role, in the organization's management account or an account delegated to administer Organizations, that the
   * handler assumes to list OUs and accounts. `OrganizationsReaderRole` makes it in that account's stack, and
   * `OrganizationsReaderRole.fromAccount` imports it here.
   *
   * @default - this stack is itself in the management or delegated-administrator account: the resource's own role
   * reads Organizations
   */
  readonly organizationsRole?: iam.IRole;

  /**
   * Whether a resolution that finds no account is accepted (the distribution then gets none from this resource).
   * By default it fails the deployment: an OU emptied by mistake would otherwise silently stop every copy.
   *
   * @default false
   */
  readonly allowEmpty?: boolean;

  /**
   * Accounts are resolved when the resource is created and whenever its properties change. Give a value that changes
   * (a date, a build number) to resolve again on a deployment that changes nothing else.
   *
   * @default - resolved on create and on changes of the other properties only
   */
  readonly resolutionKey?: string;

  /**
   * Resolve again on this schedule, between deployments: an EventBridge rule invokes the custom-resource handler,
   * which re-resolves the accounts and updates the configuration only when the set changed (accounts that left are
   * removed). Each refresh costs one Lambda invocation and the Organizations, STS, SSM and Image Builder calls of one
   * resolution (docs/organizations.md). Its outcome is the `RefreshFailed` metric (`metricRefreshFailed`).
   *
   * @default - no scheduled refresh: accounts are resolved on deployments only
   */
  readonly refreshSchedule?: events.Schedule;

  /**
   * Also resolve again when an account joins, moves, leaves or closes: `OrganizationChangeEvents` in the
   * management account (us-east-1) forwards Organizations' events to this stack's default event bus, which this
   * resource allows the management account (the account of `organizationsRole`) to put events to. One invocation
   * per event; a burst of changes makes a burst of refreshes, which the configuration's lease serializes.
   *
   * @default false
   */
  readonly refreshOnOrganizationChanges?: boolean;

  /**
   * Check, on each resolution, that every resolved account has an `EC2ImageBuilderDistributionCrossAccountRole` this
   * account may assume, as Image Builder must to copy the AMI there, and choose what happens to those that have none.
   * The handler assumes the role in each account (one STS call per account) with a session policy that denies
   * everything, and its role is allowed `sts:AssumeRole` on that role name in every account. Such accounts are
   * reported in the `MissingRoleAccountCount` metric (`metricMissingRoleAccountCount`), the `missingRoleAccountCount`
   * and `missingRoleAccountIds` attributes, and the handler's log. Accounts others added to the configuration, and this
   * stack's own account, are not checked.
   *
   * @default - not checked: an account without the role is distributed to, and its distribution fails at build time
   */
  readonly distributionRoleCheck?: DistributionRoleCheck;
}

/**
 * Distributes to the accounts of AWS Organizations OUs, or of the whole organization, resolved at deploy time.
 *
 * The custom resource lists the OUs' accounts (ListChildren, ListAccountsForParent, or ListAccounts for the whole
 * organization) through a role in the management or delegated-administrator account, then merges them into the
 * `targetAccountIds` of the configuration's AMI distributions through the same locked, lossless update as a
 * `DistributionConfigurationPatch`: accounts that left since the last resolution are removed, accounts others
 * added to the configuration stay.
 */
export class OrganizationDistributionTargets extends Construct {
  /** How many accounts the last resolution found (without those `DistributionRoleCheck.EXCLUDE` left out). @attribute */
  public readonly accountCount: string;
  /** A digest of the resolved account set: changes exactly when the set changes. @attribute */
  public readonly accountSetDigest: string;
  /**
   * The resolved account IDs, comma-joined, when they fit a custom-resource answer (about 200 accounts, fewer when
   * `missingRoleAccountIds` lists some, as the two share the room), else empty.
   * @attribute
   */
  public readonly accountIds: string;
  /**
   * How many resolved accounts have no distribution role this account may assume, when `distributionRoleCheck` is set.
   * Empty when it is not.
   * @attribute
   */
  public readonly missingRoleAccountCount: string;
  /**
   * The IDs of those accounts, comma-joined, when they fit a custom-resource answer (30 accounts), else empty (the
   * handler's log names them all).
   * @attribute
   */
  public readonly missingRoleAccountIds: string;
  /** The SSM parameter of the stack's account and Region in which the handler keeps the configuration as it was before. */
  public readonly baselineParameterName: string;
  /** The role the handler assumes for this resource's calls (it in turn assumes `organizationsRole`). */
  public readonly handlerRole: iam.IRole;
  /** The rule of the scheduled refresh, when `refreshSchedule` is given. */
  public readonly refreshRule?: events.Rule;
  /** The rule that refreshes on Organizations' change events, when `refreshOnOrganizationChanges` is set. */
  public readonly organizationChangeRule?: events.Rule;

  constructor(scope: Construct, id: string, props: OrganizationDistributionTargetsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const regions = props.regions ?? [stack.region];
    const configArn = props.distributionConfiguration.distributionConfigurationArn;

    const properties: Omit<OrganizationTargetsResourceProperties, keyof PatchResourceProperties> = {
      Query: stack.toJsonString(props.targetAccounts.map((t) => t._query())),
      Regions: stack.toJsonString(regions),
      AllowEmpty: props.allowEmpty ? 'true' : 'false',
      OrganizationsRoleArn: props.organizationsRole?.roleArn,
      ResolutionKey: props.resolutionKey,
      MetricDimension: this.metricDimension,
      DistributionRoleCheck: props.distributionRoleCheck,
    };
    const resource = new PatchResource(this, 'Resource', {
      distributionConfigurationArn: configArn,
      distributionConfigurationName: props.distributionConfiguration instanceof DistributionConfiguration
        ? props.distributionConfiguration._resource.name
        : props.distributionConfiguration.distributionConfigurationName,
      // The handler fills the patch in with the accounts it resolves.
      patch: () => ({ distributions: [] }),
      // CloudFormation rewrites an owned configuration whole on each of its updates: the accounts are then applied again.
      base: props.distributionConfiguration instanceof DistributionConfiguration ? props.distributionConfiguration._resource : undefined,
      resourceType: ORGANIZATION_TARGETS_RESOURCE_TYPE,
      properties,
    });
    this.baselineParameterName = resource.baselineParameterName;
    this.handlerRole = resource.handlerRole;

    const needsOrganizations = props.targetAccounts.some((t) => t.needsOrganizations);
    if (props.organizationsRole) {
      resource.handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: [props.organizationsRole.roleArn],
      }));
    } else if (needsOrganizations) {
      // Organizations' List actions take no resource-level permissions for these calls but "*".
      resource.handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...ORGANIZATIONS_READ_ACTIONS], resources: ['*'] }));
      acknowledgeWildcardResource(resource.handlerRole, '*', ORGANIZATIONS_WILDCARD_REASON);
    }

    if (props.distributionRoleCheck) grantDistributionRoleCheck(resource.handlerRole);

    if (props.refreshSchedule || props.refreshOnOrganizationChanges) {
      const cfn = resource.resource.node.defaultChild as CfnResource;
      const refresh: OrganizationTargetsRefreshEvent = {
        Refresh: true,
        RequestType: 'Update',
        ResourceType: ORGANIZATION_TARGETS_RESOURCE_TYPE,
        StackId: Aws.STACK_ID,
        LogicalResourceId: stack.getLogicalId(cfn),
        PhysicalResourceId: resource.resource.ref,
        // The properties CloudFormation sends, without those that only make it send an Update.
        ResourceProperties: {
          DistributionConfigurationArn: configArn,
          Patch: stack.toJsonString({ distributions: [] }),
          BaselineParameterName: resource.baselineParameterName,
          RoleArn: resource.handlerRole.roleArn,
          ...properties,
          ResolutionKey: undefined,
        },
      };
      const target = () => new targets.LambdaFunction(ImageBuilderProvider.of(this).onEventHandler, {
        event: events.RuleTargetInput.fromObject(refresh),
        // A failed refresh is retried by the next one; its failure is the RefreshFailed metric.
        retryAttempts: 0,
      });
      if (props.refreshSchedule) {
        this.refreshRule = new events.Rule(this, 'Refresh', {
          schedule: props.refreshSchedule,
          description: 'cdk-imagebuilder-distribution: resolves the target accounts from AWS Organizations again',
          targets: [target()],
        });
        // Created after the resource (the first resolution is the deployment's) and deleted before its undo.
        this.refreshRule.node.addDependency(resource.resource);
      }
      if (props.refreshOnOrganizationChanges) {
        const management = props.organizationsRole?.env.account;
        const fromElsewhere = management !== undefined && management !== stack.account;
        this.organizationChangeRule = new events.Rule(this, 'OrganizationChange', {
          description: 'cdk-imagebuilder-distribution: resolves the target accounts again when the organization\'s accounts change',
          eventPattern: organizationChangePattern(fromElsewhere ? management : undefined),
          targets: [target()],
        });
        this.organizationChangeRule.node.addDependency(resource.resource);
        if (fromElsewhere) allowEventsFrom(stack, management);
      }
    }

    this.accountCount = resource.resource.getAttString(OrganizationTargetsAttributes.ACCOUNT_COUNT);
    this.accountSetDigest = resource.resource.getAttString(OrganizationTargetsAttributes.ACCOUNT_SET_DIGEST);
    this.accountIds = resource.resource.getAttString(OrganizationTargetsAttributes.ACCOUNT_IDS);
    this.missingRoleAccountCount = resource.resource.getAttString(OrganizationTargetsAttributes.MISSING_ROLE_ACCOUNT_COUNT);
    this.missingRoleAccountIds = resource.resource.getAttString(OrganizationTargetsAttributes.MISSING_ROLE_ACCOUNT_IDS);

    addValidation(this, (errors) => {
      validateDistributionConfigurationArn(errors, 'distributionConfiguration', configArn);
      validateNotEmpty(errors, 'targetAccounts', props.targetAccounts);
      props.targetAccounts.forEach((t, i) => t._validate(errors, `targetAccounts[${i}]`));
      if (!Token.isUnresolved(regions)) {
        validateNotEmpty(errors, 'regions', regions);
        regions.forEach((r, i) => validateRegion(errors, `regions[${i}]`, r));
        validateUnique(errors, 'regions', regions);
      }
      if (props.organizationsRole && !needsOrganizations) {
        errors.addMessage('organizationsRole', 'is not used: no target source reads Organizations (only literal account IDs)');
      }
    });
  }

  /** The value of this resource's `DistributionTargets` metric dimension: its construct path. */
  private get metricDimension(): string {
    return this.node.path;
  }

  /**
   * Accounts found by each resolution (on deployments and scheduled refreshes).
   *
   * @default - maximum over 1 hour
   */
  public metricResolvedAccountCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(ORGANIZATION_TARGETS_METRICS.ACCOUNT_COUNT, { statistic: 'Maximum', period: Duration.hours(1), ...props });
  }

  /**
   * 1 for each scheduled refresh that failed (Organizations unreachable, the role not assumable, an empty or too large
   * resolution, accounts without the distribution role under `DistributionRoleCheck.FAIL`, the configuration gone),
   * 0 for each that succeeded. Alarm on its maximum.
   *
   * @default - maximum over 1 hour
   */
  public metricRefreshFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(ORGANIZATION_TARGETS_METRICS.REFRESH_FAILED, { statistic: 'Maximum', period: Duration.hours(1), ...props });
  }

  /**
   * Resolved accounts without a distribution role this account may assume, on each resolution (deployments and
   * refreshes) when `distributionRoleCheck` is set. Alarm on its maximum above 0.
   *
   * @default - maximum over 1 hour
   */
  public metricMissingRoleAccountCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(ORGANIZATION_TARGETS_METRICS.MISSING_ROLE_ACCOUNT_COUNT, { statistic: 'Maximum', period: Duration.hours(1), ...props });
  }

  private metric(metricName: string, props: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: ORGANIZATION_TARGETS_METRICS.NAMESPACE,
      metricName,
      dimensionsMap: { [ORGANIZATION_TARGETS_METRICS.DIMENSION]: this.metricDimension },
      ...props,
    });
  }
}

/** Lets `account` (the management account) put events to the stack's default bus: once per stack and account. */
function allowEventsFrom(stack: Stack, account: string): void {
  const id = `OrganizationChangeEventsFrom${Token.isUnresolved(account) ? 'Management' : account}`;
  if (stack.node.tryFindChild(id)) return;
  const statementId = `cdk-imagebuilder-distribution-organizations-${Token.isUnresolved(account) ? 'management' : account}`;
  // `statement` rather than the deprecated action/principal pair.
  new events.CfnEventBusPolicy(stack, id, {
    statementId,
    statement: {
      Sid: statementId,
      Effect: 'Allow',
      Principal: { AWS: stack.formatArn({ service: 'iam', region: '', account, resource: 'root' }) },
      Action: 'events:PutEvents',
      Resource: stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' }),
    },
  });
}
