import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GoldenImageStack } from './zz-example-stack';

test('explore', () => {
  const app = new App();
  const stack = new GoldenImageStack(app, 'G', { env: { account: '111111111111', region: 'us-east-1' } });
  const report = new AwsSolutionsChecks(app, { verbose: false }).validateScope(stack);
  for (const v of report.violations) console.log(v.severity, v.ruleName, v.violatingResources.map(r => r.constructPath).join(' , '), '\n   ', v.description.slice(0, 150));
});
