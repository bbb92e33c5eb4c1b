// Integration test: DistributionConfigurationPatch on a configuration of the same stack, imported by ARN as another
// team's would be: it replaces one Region and adds target accounts and a launch permission to another.
// Snapshot: integ.distribution-configuration-patch.js.snapshot/.
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { DistributionConfiguration, DistributionConfigurationPatch } from '../../src';

const app = new App();
const stack = new Stack(app, 'ImageBuilderDistributionConfigurationPatchInteg');

const base = new DistributionConfiguration(stack, 'Base', {
  amiDistributions: [
    { amiName: 'base-{{ imagebuilder:buildDate }}' },
    { region: 'us-west-2', amiName: 'base-{{ imagebuilder:buildDate }}' },
  ],
});
const imported = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Imported', base.distributionConfigurationArn);

const patch = new DistributionConfigurationPatch(stack, 'Patch', {
  distributionConfiguration: imported,
  amiDistributions: [{ region: 'eu-west-1', amiName: 'patched-{{ imagebuilder:buildDate }}', amiTags: { patched: 'true' } }],
});
patch.addTargetAccounts('us-west-2', stack.account);
patch.addLaunchPermission('us-west-2', { accountIds: [stack.account] });
patch.node.addDependency(base);

new IntegTest(app, 'DistributionConfigurationPatchTest', { testCases: [stack] });
app.synth();
