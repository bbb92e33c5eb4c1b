// `npx cdk synth --app "npx ts-node --project test/tsconfig.json examples/organization-app.ts"` writes both templates.
import { App } from 'aws-cdk-lib';
import { IMAGE_ACCOUNT, MANAGEMENT_ACCOUNT, OrganizationDistributionStack, OrganizationReaderStack } from './organization-stack';

const app = new App();
new OrganizationReaderStack(app, 'OrganizationReader', { env: { account: MANAGEMENT_ACCOUNT, region: 'us-east-1' } });
new OrganizationDistributionStack(app, 'OrganizationDistribution', { env: { account: IMAGE_ACCOUNT, region: 'us-east-1' } });
app.synth();
