// Image Builder's JSON as it is on the wire, for the calls that read and then replace a whole distribution
// configuration. The SDK's deserializer keeps only the members its bundled model knows, and its serializer sends only
// those: a field the service added after the bundled SDK was built would be dropped by our read and, because
// UpdateDistributionConfiguration replaces the whole configuration, deleted by our write. Two middlewares, added to
// one command instance, keep the SDK client (its signing, endpoints, errors; aws-sdk-client-mock in the unit tests)
// and take the JSON from, and give it to, the wire:
//
// - captureRawJson, deserialize step, `after` the SDK's deserializerMiddleware: a middleware listed after another is
//   inside it, so this one sits between the deserializer and the transport (@smithy/core's middleware stack:
//   entries are resolved from the last to the first, each wrapping the handler made so far). It reads the HTTP
//   response body of a 2xx answer, keeps it parsed, and hands the deserializer the same bytes as a Uint8Array, which
//   the protocol's body collector (@smithy/core/protocols collectBody) takes as it is.
// - sendRawJson, build step, high priority: after the serializer (serialize step), before contentLengthMiddleware
//   (build step, normal priority) and before signing (finalizeRequest step, which hashes the body): replaces the
//   serialized body with the document and sets content-length to its length.
//
// aws-sdk-client-mock replaces the client's `send`, so neither runs in those tests: the caller then finds nothing
// captured and uses the SDK's output, and the mock receives the document as the command's input.
import type { BuildMiddleware, DeserializeMiddleware, MiddlewareStack } from '@smithy/types';

/** Where captureRawJson leaves the parsed body of the answer. */
export interface RawJsonCapture {
  /** The parsed JSON body of a 2xx answer; undefined while there is none (the middleware did not run: mocked client). */
  json?: unknown;
}

export const CAPTURE_MIDDLEWARE = 'cdkIbdCaptureRawJson';
export const SEND_MIDDLEWARE = 'cdkIbdSendRawJson';

interface HttpMessage {
  statusCode?: number;
  headers: Record<string, string>;
  body?: unknown;
}

function isHttpMessage(x: unknown): x is HttpMessage {
  return typeof x === 'object' && x !== null && typeof (x as HttpMessage).headers === 'object' && (x as HttpMessage).headers !== null;
}

/** The bytes of a response body: node's IncomingMessage (an async iterable of Buffers), or bytes/text already read. */
export async function readBody(body: unknown): Promise<Uint8Array> {
  if (body === undefined || body === null) return new Uint8Array();
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
    return Buffer.concat(chunks);
  }
  // Not a body of node's HTTP handler: rather fail than write a configuration from a read that may have lost fields.
  throw new Error(`Cannot read the response body (${Object.prototype.toString.call(body)}) as JSON; nothing is written, so that no field is lost`);
}

/** Adds captureRawJson to `stack` (a command's own middlewareStack): the parsed body of a 2xx answer goes to `capture.json`. */
export function captureRawJson<I extends object, O extends object>(stack: MiddlewareStack<I, O>, capture: RawJsonCapture): void {
  const middleware: DeserializeMiddleware<I, O> = (next) => async (args) => {
    const result = await next(args);
    const response = result.response;
    if (isHttpMessage(response) && typeof response.statusCode === 'number' && response.statusCode >= 200 && response.statusCode < 300) {
      const bytes = await readBody(response.body);
      // A copy: the deserializer may change the prototype of what it collects.
      response.body = new Uint8Array(bytes);
      try {
        capture.json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
      } catch {
        // Not JSON: the SDK's deserializer fails on it too, with its own error.
      }
    }
    return result;
  };
  stack.addRelativeTo(middleware, { relation: 'after', toMiddleware: 'deserializerMiddleware', name: CAPTURE_MIDDLEWARE, override: true });
}

/**
 * `value` without the object members that are null, at any depth (list items stay): the AWS JSON protocols treat a
 * null member as absent, the SDK drops it on reading and would not send it, and neither shall we.
 */
export function withoutNullMembers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNullMembers);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutNullMembers(v);
  return out;
}

/** Adds sendRawJson to `stack` (a command's own middlewareStack): the request's body becomes `document` as JSON. */
export function sendRawJson<I extends object, O extends object>(stack: MiddlewareStack<I, O>, document: unknown): void {
  const middleware: BuildMiddleware<I, O> = (next) => async (args) => {
    const request = args.request;
    if (!isHttpMessage(request)) throw new Error('Cannot replace the body of a request that is not an HTTP request');
    const body = JSON.stringify(document);
    request.body = body;
    for (const name of Object.keys(request.headers)) if (name.toLowerCase() === 'content-length') delete request.headers[name];
    request.headers['content-length'] = String(Buffer.byteLength(body, 'utf8'));
    return next(args);
  };
  stack.add(middleware, { step: 'build', priority: 'high', name: SEND_MIDDLEWARE, override: true });
}
