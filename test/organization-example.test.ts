// The example of distribution to an OU (examples/organization-stack.ts): both stacks synthesize, and cdk-nag's
// AwsSolutions pack finds nothing unacknowledged.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import {
  IMAGE_ACCOUNT, MANAGEMENT_ACCOUNT, OrganizationDistributionStack, OrganizationReaderStack, WORKLOADS_OU,
} from '../examples/organization-stack';
import { ORGANIZATION_TARGETS_RESOURCE_TYPE } from '../src/private/organization-contract';

function nagFindings(scope: IConstruct): string[] {
  // cdk-nag's EventBusOpenAccess rule reads CfnEventBusPolicy's deprecated `principal`, and aws-cdk-lib prints a
  // deprecation warning with a stack trace for it: cdk-nag's doing, not ours, so it is silenced for the check.
  const previous = process.env.JSII_DEPRECATED;
  process.env.JSII_DEPRECATED = 'quiet';
  let report;
  try {
    report = new AwsSolutionsChecks(scope).validateScope(scope);
  } finally {
    if (previous === undefined) delete process.env.JSII_DEPRECATED;
    else process.env.JSII_DEPRECATED = previous;
  }
  return report.violations.flatMap(v => v.violatingResources.map(r => `${v.severity} ${v.ruleName} ${r.constructPath}`));
}

test('the organization example synthesizes, distributes to the OU in both Regions, and passes cdk-nag', () => {
  const app = new App();
  const reader = new OrganizationReaderStack(app, 'OrganizationReader', { env: { account: MANAGEMENT_ACCOUNT, region: 'us-east-1' } });
  const distribution = new OrganizationDistributionStack(app, 'OrganizationDistribution', { env: { account: IMAGE_ACCOUNT, region: 'us-east-1' } });
  const template = Template.fromStack(distribution);
  const [resource] = Object.values(template.findResources(ORGANIZATION_TARGETS_RESOURCE_TYPE)) as any[];
  expect(JSON.parse(resource.Properties.Query)[0].parents).toEqual([WORKLOADS_OU]);
  expect(JSON.parse(resource.Properties.Regions)).toEqual(['us-east-1', 'eu-west-1']);
  template.resourceCountIs('AWS::Events::Rule', 2);
  Template.fromStack(reader).resourceCountIs('AWS::Events::Rule', 1);
  Template.fromStack(reader).resourceCountIs('AWS::CloudFormation::StackSet', 1);
  expect(resource.Properties.DistributionRoleCheck).toBe('EXCLUDE');
  template.resourceCountIs('AWS::CloudWatch::Alarm', 2); // refresh failed; accounts without the distribution role
  Template.fromStack(reader).resourceCountIs('AWS::IAM::Role', 2); // the reader, and EventBridge's role for the forwarding
  expect(nagFindings(reader)).toEqual([]);
  expect(nagFindings(distribution)).toEqual([]);
});
