// An app with every warning of the library, one stack each: test/warnings.test.ts runs it through the real CDK CLI
// to read the acknowledgement IDs the CLI prints.
import { App, Stack } from 'aws-cdk-lib';
import { WARNING_TRIGGERS } from './warning-triggers';

const app = new App();
Object.values(WARNING_TRIGGERS).forEach((build, i) => build(new Stack(app, `Warning${i}`)));
app.synth();
