// FAILED reasons fit CloudFormation's 4096-byte response, built as aws-cdk-lib's Provider framework builds it
// (framework.js invokeUserFunction and cfn-response.js submitResponse): Reason = the error's stack, i.e. its message,
// "Logs: /aws/lambda/<function>", then the stack lines after the first as Lambda reports them.
import { forCloudFormation, RESPONSE_LIMIT_BYTES } from '../../lambda/errors';

const FUNCTION = 'Lifecycle-ImageBuilderDistributionProviderOnEventD7826-AbCdEfGhIjKl';

/** The framework's FAILED body for an error thrown by the user function. */
function frameworkBody(err: Error, event: Record<string, any>): string {
  const trace = String(err.stack).split('\n'); // Lambda's error payload
  const message = [err.message, '', `Logs: /aws/lambda/${FUNCTION}`, ''].join('\n');
  const reason = [message, ...trace.slice(1)].join('\n');
  return JSON.stringify({
    Status: 'FAILED',
    Reason: reason,
    StackId: event.StackId,
    RequestId: event.RequestId,
    PhysicalResourceId: event.PhysicalResourceId || 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED',
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: undefined,
    Data: event.Data,
  });
}

const event = {
  StackId: `arn:aws:cloudformation:us-east-1:111111111111:stack/${'s'.repeat(128)}/5f6d0a40-0000-4000-8000-000000000001`,
  RequestId: '5f6d0a40-0000-4000-8000-000000000002',
  LogicalResourceId: 'L'.repeat(255),
  PhysicalResourceId: `arn:aws:imagebuilder:us-east-1:111111111111:image/${'n'.repeat(128)}/1.0.0/1`,
  Data: { ImageBuildVersionArn: `arn:aws:imagebuilder:us-east-1:111111111111:image/${'n'.repeat(128)}/1.0.0/1` },
};

let saved: string | undefined;
beforeAll(() => {
  saved = process.env.AWS_LAMBDA_FUNCTION_NAME;
  process.env.AWS_LAMBDA_FUNCTION_NAME = FUNCTION;
});
afterAll(() => {
  if (saved === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  else process.env.AWS_LAMBDA_FUNCTION_NAME = saved;
});

test.each([
  ['ASCII', 'x'.repeat(10_000)],
  ['multi-byte characters', 'é€😀'.repeat(3_000)],
  ['quotes and control characters (escaped in JSON)', '"\\\u0001'.repeat(3_000)],
  ['several lines', 'line\n'.repeat(3_000)],
])('a long message (%s) is cut so that the whole body fits', (_, message) => {
  jest.spyOn(console, 'error').mockImplementation(() => {});
  const err = forCloudFormation(new Error(`GetImage failed: ${message}`), event);
  const bytes = Buffer.byteLength(frameworkBody(err, event));
  expect(bytes).toBeLessThanOrEqual(RESPONSE_LIMIT_BYTES);
  expect(bytes).toBeGreaterThan(RESPONSE_LIMIT_BYTES - 400); // cut, not emptied
  expect(err.message).toMatch(/^GetImage failed: /);
  expect(err.message).toMatch(/\[\.\.\. \d+ characters cut, see the log\]$/);
  expect(err.stack).toBe(`Error: ${err.message}`);
});

test('a short message is kept whole, on one line, with its error name', () => {
  const original = Object.assign(new Error('Property Patch is required\nsecond line'), { name: 'ValidationError' });
  const err = forCloudFormation(original, { ...event, PhysicalResourceId: undefined });
  expect(err.message).toBe('Property Patch is required second line');
  expect(err.name).toBe('ValidationError');
  expect(err.cause).toBe(original);
  expect(Buffer.byteLength(frameworkBody(err, event))).toBeLessThan(2000);
});
