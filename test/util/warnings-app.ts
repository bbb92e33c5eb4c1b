// An app with every warning of the library, one stack each (the rule's first rejection-corpus case): test/warnings.test.ts
// runs it through the real CDK CLI to read the acknowledgement IDs the CLI prints.
import { App, Stack } from 'aws-cdk-lib';
import { WARNINGS } from './warning-cases';

const app = new App();
WARNINGS.forEach(([, c], i) => c.invalid(new Stack(app, `Warning${i}`, c.agnostic ? {} : { env: { account: '111111111111', region: 'us-east-1' } })));
app.synth();
