// Distribution to an AWS Organizations OU, kept current: examples/organization-app.ts synthesizes these two stacks,
// test/organization-example.test.ts checks them (template, cdk-nag). The management account's stack provides the
// read-only role; the image account's stack owns the distribution configuration and resolves the OU's accounts.
import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import {
  DistributionConfiguration, DistributionRoleCheck, OrganizationChangeEvents, OrganizationDistributionRoles, OrganizationDistributionTargets,
  OrganizationsReaderRole, TargetAccounts,
} from '../src';

/** The account that builds and distributes the images. */
export const IMAGE_ACCOUNT = '111111111111';
/** The organization's management account. */
export const MANAGEMENT_ACCOUNT = '999999999999';
/** The OU of the workload accounts, and a sandbox OU below it that gets no copies. */
export const WORKLOADS_OU = 'ou-ab12-workload';
export const SANDBOX_OU = 'ou-ab12-sandbox1';

/** Deployed once in the management account (or a delegated administrator). */
export class OrganizationReaderStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const reader = new OrganizationsReaderRole(this, 'Reader', { distributingAccountIds: [IMAGE_ACCOUNT] });
    // The role Image Builder assumes to copy AMIs, in every account of the OU, present and future.
    new OrganizationDistributionRoles(this, 'DistributionRoles', { organizationalUnitIds: [WORKLOADS_OU], distributingAccountIds: [IMAGE_ACCOUNT] });
    // Accounts joining, moving and leaving, forwarded to the image account's default event bus.
    new OrganizationChangeEvents(this, 'Changes', { destinations: [{ account: IMAGE_ACCOUNT, region: 'us-east-1' }] });
    new CfnOutput(this, 'ReaderRoleArn', { value: reader.roleArn });
  }
}

/** The image account's distribution: every ACTIVE account of the workloads OU, except the sandbox OU's. */
export class OrganizationDistributionStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const distribution = new DistributionConfiguration(this, 'Distribution', {
      amiDistributions: [
        { amiName: 'golden-{{ imagebuilder:buildDate }}' },
        { region: 'eu-west-1', amiName: 'golden-{{ imagebuilder:buildDate }}' },
      ],
    });
    const targets = new OrganizationDistributionTargets(this, 'WorkloadAccounts', {
      distributionConfiguration: distribution,
      regions: [this.region, 'eu-west-1'],
      targetAccounts: [TargetAccounts.fromOrganizationalUnits([WORKLOADS_OU], { exclude: [SANDBOX_OU] })],
      organizationsRole: OrganizationsReaderRole.fromAccount(this, 'Reader', MANAGEMENT_ACCOUNT),
      refreshSchedule: events.Schedule.rate(Duration.hours(6)),
      refreshOnOrganizationChanges: true,
      // An account whose distribution role is missing (the StackSet not there yet) gets no copy until it has one.
      distributionRoleCheck: DistributionRoleCheck.EXCLUDE,
    });
    // A scheduled refresh that failed (e.g. the reader role was deleted) raises this alarm.
    targets.metricRefreshFailed().createAlarm(this, 'RefreshFailed', {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'The target accounts of the golden image could not be refreshed from AWS Organizations',
    });
    targets.metricMissingRoleAccountCount().createAlarm(this, 'AccountsWithoutDistributionRole', {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'Accounts of the workloads OU have no distribution role this account may assume: they get no copy of the golden image',
    });
    new CfnOutput(this, 'AccountCount', { value: targets.accountCount });
    new CfnOutput(this, 'AccountSetDigest', { value: targets.accountSetDigest });
  }
}
