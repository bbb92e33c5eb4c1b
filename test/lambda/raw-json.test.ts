// The two middlewares of lambda/raw-json.ts: where they sit in the SDK's middleware stack, and what they do to the
// response and the request (over the wire: wire-update.test.ts, "fields of a newer Image Builder API").
import { Readable } from 'stream';
import { GetDistributionConfigurationCommand, ImagebuilderClient, UpdateDistributionConfigurationCommand } from '@aws-sdk/client-imagebuilder';
import {
  CAPTURE_MIDDLEWARE, captureRawJson, RawJsonCapture, readBody, SEND_MIDDLEWARE, sendRawJson, withoutNullMembers,
} from '../../lambda/raw-json';

/** The one middleware `add` registers on a fake stack, with its options. */
function registered(addTo: (stack: any) => void): { middleware: any; options: any } {
  const found: { middleware?: any; options?: any } = {};
  const record = (middleware: any, options: any) => Object.assign(found, { middleware, options });
  addTo({ add: record, addRelativeTo: record });
  return found as { middleware: any; options: any };
}

describe('placement in the SDK client\'s stack', () => {
  const client = new ImagebuilderClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  afterAll(() => client.destroy());
  const order = (command: { middlewareStack: any }) => client.middlewareStack.concat(command.middlewareStack).identify().map((m) => m.split(' ')[0]);

  test('captureRawJson: inside the deserializer, next to the transport (the last middleware)', () => {
    const command = new GetDistributionConfigurationCommand({ distributionConfigurationArn: 'arn' });
    captureRawJson(command.middlewareStack, {});
    const list = order(command);
    expect(list.slice(-2)).toEqual(['deserializerMiddleware', CAPTURE_MIDDLEWARE]);
  });

  test('sendRawJson: after the serializer, before content-length and before signing', () => {
    const command = new UpdateDistributionConfigurationCommand({ distributionConfigurationArn: 'arn', distributions: [], clientToken: 't' });
    sendRawJson(command.middlewareStack, {});
    const list = order(command);
    const at = (name: string) => {
      expect(list).toContain(name);
      return list.indexOf(name);
    };
    expect(at('serializerMiddleware')).toBeLessThan(at(SEND_MIDDLEWARE));
    expect(at(SEND_MIDDLEWARE)).toBeLessThan(at('contentLengthMiddleware'));
    expect(at(SEND_MIDDLEWARE)).toBeLessThan(at('httpSigningMiddleware'));
  });

  test('added twice to one command (a command sent again): one middleware', () => {
    const command = new GetDistributionConfigurationCommand({ distributionConfigurationArn: 'arn' });
    captureRawJson(command.middlewareStack, {});
    captureRawJson(command.middlewareStack, {});
    expect(order(command).filter((m) => m === CAPTURE_MIDDLEWARE)).toHaveLength(1);
  });
});

describe('readBody', () => {
  test('node streams, bytes, text and nothing', async () => {
    const text = '{"a":"é€"}';
    expect(Buffer.from(await readBody(Readable.from([Buffer.from(text.slice(0, 6)), Buffer.from(text.slice(6))]))).toString()).toBe(text);
    expect(Buffer.from(await readBody(Readable.from(['{"a":', '1}'], { objectMode: true }))).toString()).toBe('{"a":1}');
    const bytes = new Uint8Array([1, 2]);
    expect(await readBody(bytes)).toBe(bytes);
    expect(Buffer.from(await readBody(text)).toString()).toBe(text);
    expect(await readBody(undefined)).toEqual(new Uint8Array());
    expect(await readBody(null)).toEqual(new Uint8Array());
  });

  test('anything else fails rather than let a write lose fields', async () => {
    await expect(readBody({ getReader() {} })).rejects.toThrow('Cannot read the response body ([object Object]) as JSON; nothing is written, so that no field is lost');
  });
});

describe('captureRawJson', () => {
  const run = async (response: any) => {
    const capture: RawJsonCapture = {};
    const { middleware } = registered((stack) => captureRawJson(stack, capture));
    const result = await middleware(async () => ({ response }), {})({ input: {}, request: {} });
    return { capture, result };
  };

  test('a 2xx answer: the JSON is kept, and the deserializer gets the same bytes as a Uint8Array', async () => {
    const json = { distributionConfiguration: { distributions: [{ region: 'r', unknownToTheSdk: { x: [1] } }] } };
    const response = { statusCode: 200, headers: {}, body: Readable.from([Buffer.from(JSON.stringify(json))]) };
    const { capture, result } = await run(response);
    expect(capture.json).toEqual(json);
    expect(result.response).toBe(response);
    expect(response.body).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(response.body as unknown as Uint8Array).toString()).toBe(JSON.stringify(json));
  });

  test('an error answer is left to the deserializer, unread', async () => {
    const body = Readable.from([Buffer.from('{"message":"no"}')]);
    const response = { statusCode: 404, headers: {}, body };
    const { capture } = await run(response);
    expect(capture.json).toBeUndefined();
    expect(response.body).toBe(body);
  });

  test('a body that is not JSON: nothing kept, the bytes still go to the deserializer (which then fails with its own error)', async () => {
    const response = { statusCode: 200, headers: {}, body: '<html>' };
    const { capture } = await run(response);
    expect(capture.json).toBeUndefined();
    expect(Buffer.from(response.body as unknown as Uint8Array).toString()).toBe('<html>');
  });

  test('a response that is not an HTTP response is passed on', async () => {
    const { capture, result } = await run(undefined);
    expect(capture.json).toBeUndefined();
    expect(result).toEqual({ response: undefined });
  });
});

test('withoutNullMembers: null members are absent (AWS JSON), at any depth; list items and other values stay', () => {
  expect(withoutNullMembers({ a: null, b: { c: null, d: 0, e: '', f: false }, g: [null, { h: null, i: 1 }], j: {} }))
    .toEqual({ b: { d: 0, e: '', f: false }, g: [null, { i: 1 }], j: {} });
  expect(withoutNullMembers(null)).toBeNull();
  expect(withoutNullMembers('x')).toBe('x');
});

describe('sendRawJson', () => {
  const doc = { distributionConfigurationArn: 'arn', distributions: [{ region: 'r', unknownToTheSdk: 'é' }], clientToken: 't' };
  const { middleware, options } = registered((stack) => sendRawJson(stack, doc));

  test('a build-step middleware of high priority', () => {
    expect(options).toMatchObject({ step: 'build', priority: 'high', name: SEND_MIDDLEWARE });
  });

  test('replaces the serialized body and its content-length (whatever the header\'s case)', async () => {
    const request = { method: 'PUT', headers: { 'Content-Length': '2', 'content-type': 'application/json' }, body: '{}' };
    const next = jest.fn(async (args: any) => ({ output: args }));
    await middleware(next, {})({ input: {}, request });
    expect(request.body).toBe(JSON.stringify(doc));
    // Bytes, not characters: 'é' is two.
    const length = JSON.stringify(doc).length + 1;
    expect(request.headers).toEqual({ 'content-length': String(length), 'content-type': 'application/json' });
    expect(next).toHaveBeenCalledWith({ input: {}, request });
  });

  test('a request that is not an HTTP request fails', async () => {
    await expect(middleware(async () => ({}), {})({ input: {}, request: undefined })).rejects.toThrow('not an HTTP request');
  });
});
