// The example app (examples/app.ts, what `npx projen synth:example` synthesizes) as a user first sees it: no warning.
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { GoldenImageStack } from '../examples/stack';

test('the example stack synthesizes with no warning and no error', () => {
  const app = new App();
  const stack: Stack = new GoldenImageStack(app, 'GoldenImageExample', { env: { account: '111111111111', region: 'us-east-1' } });
  const annotations = Annotations.fromStack(stack);
  const text = (found: Array<{ id: string; entry: { data?: unknown } }>) => found.map((m) => `${m.id}: ${String(m.entry.data)}`);
  expect(text(annotations.findWarning('*', Match.anyValue()))).toEqual([]);
  expect(text(annotations.findError('*', Match.anyValue()))).toEqual([]);
});
