import { Stack, Token } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import { Construct } from 'constructs';
import { distributionRoleTemplate } from './private/distribution-role-template';
import { ORGANIZATIONAL_UNIT_ID_PATTERN, ROOT_ID_PATTERN } from './private/organizations-ids';
import { ACCOUNT_ID_PATTERN } from './private/patterns';
import { addValidation, isUnresolved, validateNotEmpty, validateRegion, validateUnique } from './private/validation';

/**
 * Properties of an `OrganizationDistributionRoles`.
 */
export interface OrganizationDistributionRolesProps {
  /** The OUs (or roots) whose accounts, present and future, get the role. */
  readonly organizationalUnitIds: string[];

  /** The accounts that distribute images to them: the role trusts these. */
  readonly distributingAccountIds: string[];

  /**
   * Whether the distributed AMIs are encrypted with KMS keys: the role then gets the KMS permissions Image Builder's
   * guide lists for copying them.
   *
   * @default false
   */
  readonly encryptedAmis?: boolean;

  /**
   * The Region of the stack instances: the role is global, so one Region is enough.
   *
   * @default - the stack's Region
   */
  readonly region?: string;

  /**
   * The StackSet's name.
   *
   * @default 'cdk-imagebuilder-distribution-role'
   */
  readonly stackSetName?: string;
}

/**
 * For the stack of the organization's management account (or a delegated StackSets administrator): a service-managed
 * CloudFormation StackSet that creates `EC2ImageBuilderDistributionCrossAccountRole`, which Image Builder assumes to
 * copy AMIs, in every account of the OUs, including accounts that join them later (automatic deployment), and removes
 * it from accounts that leave. Accounts resolved by `OrganizationDistributionTargets` then never lack it.
 */
export class OrganizationDistributionRoles extends Construct {
  /** The StackSet. */
  public readonly stackSet: cloudformation.CfnStackSet;

  constructor(scope: Construct, id: string, props: OrganizationDistributionRolesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.stackSet = new cloudformation.CfnStackSet(this, 'Resource', {
      stackSetName: props.stackSetName ?? 'cdk-imagebuilder-distribution-role',
      description: 'cdk-imagebuilder-distribution: the role Image Builder assumes to copy AMIs into this account',
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      stackInstancesGroup: [{
        deploymentTargets: { organizationalUnitIds: props.organizationalUnitIds },
        regions: [props.region ?? stack.region],
      }],
      templateBody: stack.toJsonString(distributionRoleTemplate(props.distributingAccountIds, props.encryptedAmis ?? false)),
    });

    addValidation(this, (errors) => {
      validateNotEmpty(errors, 'organizationalUnitIds', props.organizationalUnitIds);
      props.organizationalUnitIds.forEach((ou, i) => {
        if (!isUnresolved(ou) && !ORGANIZATIONAL_UNIT_ID_PATTERN.test(ou) && !ROOT_ID_PATTERN.test(ou)) {
          errors.add(`organizationalUnitIds[${i}]`, ou, 'must be an organizational unit ID ("ou-...") or a root ID ("r-...")');
        }
      });
      validateUnique(errors, 'organizationalUnitIds', props.organizationalUnitIds);
      validateNotEmpty(errors, 'distributingAccountIds', props.distributingAccountIds);
      props.distributingAccountIds.forEach((a, i) => {
        if (!isUnresolved(a) && !ACCOUNT_ID_PATTERN.test(a)) errors.add(`distributingAccountIds[${i}]`, a, 'must be a 12-digit AWS account ID');
      });
      validateUnique(errors, 'distributingAccountIds', props.distributingAccountIds);
      if (props.region !== undefined && !Token.isUnresolved(props.region)) validateRegion(errors, 'region', props.region);
    });
  }
}
