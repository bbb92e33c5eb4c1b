// A runnable example: `npx projen synth:example` (or `npx cdk synth`) writes its template to cdk.out/.
import { App } from 'aws-cdk-lib';
import { GoldenImageStack } from './stack';

const app = new App();
new GoldenImageStack(app, 'GoldenImageExample', { env: { account: '111111111111', region: 'us-east-1' } });
app.synth();
