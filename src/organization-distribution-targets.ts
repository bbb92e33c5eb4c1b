import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DistributionConfiguration, IDistributionConfiguration } from './distribution-configuration';
import { validateDistributionConfigurationArn } from './private/distribution-validation';
import {
  ORGANIZATION_TARGETS_RESOURCE_TYPE, OrganizationTargetsAttributes, OrganizationTargetsResourceProperties,
} from './private/organization-contract';
import type { PatchResourceProperties } from './private/handler-contract';
import { ORGANIZATIONS_READ_ACTIONS } from './private/organizations-actions';
import { PatchResource } from './private/patch-resource';
import { addValidation, validateNotEmpty, validateRegion, validateUnique } from './private/validation';
import { TargetAccounts } from './target-accounts';

/**
 * Properties of an {@link OrganizationDistributionTargets}.
 */
export interface OrganizationDistributionTargetsProps {
  /**
   * The distribution configuration whose AMI distributions get the accounts as `targetAccountIds`. It may be owned by
   * this stack or imported; like a {@link DistributionConfigurationPatch}, this resource changes it through the API and
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
   * handler assumes to list OUs and accounts. {@link OrganizationsReaderRole} makes it in that account's stack, and
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
}

/**
 * Distributes to the accounts of AWS Organizations OUs, or of the whole organization, resolved at deploy time.
 *
 * The custom resource lists the OUs' accounts (ListChildren, ListAccountsForParent, or ListAccounts for the whole
 * organization) through a role in the management or delegated-administrator account, then merges them into the
 * `targetAccountIds` of the configuration's AMI distributions through the same locked, lossless update as a
 * {@link DistributionConfigurationPatch}: accounts that left since the last resolution are removed, accounts others
 * added to the configuration stay.
 */
export class OrganizationDistributionTargets extends Construct {
  /** How many accounts the last resolution found. @attribute */
  public readonly accountCount: string;
  /** A digest of the resolved account set: changes exactly when the set changes. @attribute */
  public readonly accountSetDigest: string;
  /**
   * The resolved account IDs, comma-joined, when they fit a custom-resource answer (about 250 accounts); else empty.
   * @attribute
   */
  public readonly accountIds: string;
  /** The SSM parameter of the stack's account and Region in which the handler keeps the configuration as it was before. */
  public readonly baselineParameterName: string;
  /** The role the handler assumes for this resource's calls (it in turn assumes `organizationsRole`). */
  public readonly handlerRole: iam.IRole;

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
    };
    const resource = new PatchResource(this, 'Resource', {
      distributionConfigurationArn: configArn,
      distributionConfigurationName: props.distributionConfiguration instanceof DistributionConfiguration
        ? props.distributionConfiguration._resource.name
        : props.distributionConfiguration.distributionConfigurationName,
      // The handler fills the patch in with the accounts it resolves.
      patch: () => ({ distributions: [] }),
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
    }

    this.accountCount = resource.resource.getAttString(OrganizationTargetsAttributes.ACCOUNT_COUNT);
    this.accountSetDigest = resource.resource.getAttString(OrganizationTargetsAttributes.ACCOUNT_SET_DIGEST);
    this.accountIds = resource.resource.getAttString(OrganizationTargetsAttributes.ACCOUNT_IDS);

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
}
