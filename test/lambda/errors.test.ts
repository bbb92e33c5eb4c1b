// The messages failures reach CloudFormation with (lambda/errors.ts).
import { describeFailure, errorName, errorText } from '../../lambda/errors';

test('errorName: the service\'s error name, else the network code, else Error', () => {
  expect(errorName(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe('ThrottlingException');
  expect(errorName(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
  expect(errorName(new Error('x'))).toBe('Error');
  expect(errorName(undefined)).toBe('Error');
});

test('describeFailure: operation, target, name and message; something thrown that is not an Error is shown as it is', () => {
  const cause = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
  const err = describeFailure('GetDistributionConfiguration', 'arn:x', cause);
  expect(err.message).toBe('GetDistributionConfiguration on arn:x failed: ThrottlingException: Rate exceeded');
  expect(err.cause).toBe(cause);
  expect(describeFailure('PutParameter', '/p', 'boom').message).toBe('PutParameter on /p failed: Error: boom');
  const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
  expect(describeFailure('ssm:PutParameter', '/p', denied).message).toBe('ssm:PutParameter on /p failed: AccessDeniedException (HTTP 403): not authorized');
});

test('errorText: name, HTTP status when known, message', () => {
  expect(errorText(Object.assign(new Error('no'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }))).toBe('AccessDeniedException (HTTP 403): no');
  expect(errorText(Object.assign(new Error('reset'), { name: 'Error' }))).toBe('Error: reset');
  expect(errorText(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe('ECONNRESET: reset');
  expect(errorText(undefined)).toBe('Error: undefined');
});
