import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from './private/nag';
import { ORGANIZATIONS_READ_ACTIONS, ORGANIZATIONS_WILDCARD_REASON } from './private/organizations-actions';
import { ACCOUNT_ID_PATTERN } from './private/patterns';
import { HANDLER_ROLE_PATH_PREFIX } from './private/provider';
import { addValidation, isUnresolved, validateNotEmpty, validateUnique } from './private/validation';

/** The role's name unless given: the distributing stacks build its ARN from it. */
export const DEFAULT_ORGANIZATIONS_READER_ROLE_NAME = 'cdk-imagebuilder-distribution-organizations-reader';

/**
 * Properties of an `OrganizationsReaderRole`.
 */
export interface OrganizationsReaderRoleProps {
  /**
   * The accounts whose stacks distribute to the organization's accounts (they use
   * `OrganizationDistributionTargets`): only the custom-resource handler roles of this library in these accounts
   * may assume the role.
   */
  readonly distributingAccountIds: string[];

  /**
   * The role's name.
   *
   * @default 'cdk-imagebuilder-distribution-organizations-reader'
   */
  readonly roleName?: string;
}

/**
 * The role, for the stack of the organization's management account (or of an account delegated to administer
 * Organizations), that `OrganizationDistributionTargets` assumes to list the organization's OUs and accounts.
 *
 * It may only read the organization's structure (ListChildren, ListAccountsForParent, ListAccounts), and only the
 * handler roles this library creates in the distributing accounts may assume it: its trust policy names those
 * accounts and requires the caller's role to be under the library's IAM path.
 */
export class OrganizationsReaderRole extends Construct {
  /**
   * The role in another account (the management account), for `OrganizationDistributionTargetsProps.organizationsRole`.
   *
   * @param accountId the management or delegated-administrator account
   * @param roleName the role's name, if not the default
   */
  public static fromAccount(scope: Construct, id: string, accountId: string, roleName: string = DEFAULT_ORGANIZATIONS_READER_ROLE_NAME): iam.IRole {
    const arn = Stack.of(scope).formatArn({ service: 'iam', region: '', account: accountId, resource: 'role', resourceName: roleName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    return iam.Role.fromRoleArn(scope, id, arn, { mutable: false });
  }

  /** The role. */
  public readonly role: iam.Role;
  /** Its ARN, for the distributing stacks. @attribute */
  public readonly roleArn: string;

  constructor(scope: Construct, id: string, props: OrganizationsReaderRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const accounts = props.distributingAccountIds;
    const handlerRoles = accounts.map((account) => stack.formatArn({
      service: 'iam', region: '', account, resource: 'role', resourceName: `${HANDLER_ROLE_PATH_PREFIX.slice(1)}*`,
    }));
    this.role = new iam.Role(this, 'Resource', {
      roleName: props.roleName ?? DEFAULT_ORGANIZATIONS_READER_ROLE_NAME,
      description: 'cdk-imagebuilder-distribution: read the organization\'s OUs and accounts for image distribution',
      // The accounts' principals, narrowed by the condition to this library's handler roles (whose names CloudFormation
      // generates, so they cannot be listed here).
      assumedBy: new iam.CompositePrincipal(...accounts.map((a) => new iam.AccountPrincipal(a))).withConditions({
        ArnLike: { 'aws:PrincipalArn': handlerRoles },
      }),
      maxSessionDuration: undefined,
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...ORGANIZATIONS_READ_ACTIONS], resources: ['*'] }));
    acknowledgeWildcardResource(this.role, '*', ORGANIZATIONS_WILDCARD_REASON);
    this.roleArn = this.role.roleArn;

    addValidation(this, (errors) => {
      if (isUnresolved(accounts)) return;
      validateNotEmpty(errors, 'distributingAccountIds', accounts);
      accounts.forEach((a, i) => {
        if (!isUnresolved(a) && !ACCOUNT_ID_PATTERN.test(a)) errors.add(`distributingAccountIds[${i}]`, a, 'must be a 12-digit AWS account ID');
      });
      validateUnique(errors, 'distributingAccountIds', accounts);
    });
  }
}
