/**
 * A tiny AWS look-alike on 127.0.0.1 for over-the-wire tests: the real SDK clients talk HTTP to it.
 *
 * Usage:
 *   const server = await LocalServer.start();               // random port on 127.0.0.1, model-checked (below)
 *   process.env.IMAGEBUILDER_ENDPOINT = server.endpoint;    // then clients.resetClients()
 *   // REST-JSON operations (Image Builder): by method and path; the operation name is the path without '/'.
 *   server.route('PUT', '/DistributeImage', (req) => ({ body: { imageBuildVersionArn: '...' } }));
 *   // AWS JSON operations (SSM, ...): by X-Amz-Target; the operation name is what follows the '.'.
 *   server.target('AmazonSSM.GetParameter', (req) => ({ body: { Parameter: {...} } }));
 *   // Query operations (STS, ...: form-encoded POST): by the Action parameter; reply with an XML string.
 *   server.action('AssumeRole', (req) => ({ body: '<AssumeRoleResponse>...</AssumeRoleResponse>' }));
 *   // Handlers read req.body (parsed JSON, or the form's parameters for Query), req.query, req.headers and may
 *   // throw new ServiceError(400, 'InvalidRequestException', 'why') (answered in the protocol's error format).
 *   server.inject('DistributeImage', faults.throttle, 2);   // the next 2 calls answer 429 CallRateLimitExceeded
 *   server.inject('DistributeImage', faults.slow(500));     // the next call answers normally after 500 ms
 *   server.count('DistributeImage');                         // calls received, faulted ones included
 *   server.calls;                                            // every request received, in order
 *   server.addCheck({ request: (req) => ..., response: (req, reply) => ... }); // see ServerCheck
 *   await server.close();                                    // always, e.g. in afterAll/afterEach
 * Models of the services' state live in ./server/*.ts (e.g. server/imagebuilder.ts, server/ssm.ts, server/sts.ts).
 *
 * Every server checks requests and answers against the services' API models (server/model-check.ts): a request
 * that breaks its operation's input shape is answered 400 as AWS would, before faults and routes; a successful answer
 * that breaks the output shape is a bug in the fake: answered 500, and the test fails in afterEach (FAKE_BUGS).
 * `server.modelCheck.model('imagebuilder').extend(...)` plays a newer API version; a test of a client's handling of
 * an answer AWS would never give marks it `{ offModel: 'why' }`; `LocalServer.start({ modelCheck: false })` opts out.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { ModelCheck } from './server/model-check';
import { ServiceError } from './server/service-error';

export { ServiceError };

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawBody: string;
  /** Parsed JSON body (undefined when the body is empty), or for Query requests the form's parameters. */
  readonly body: any;
  /** Path without '/' for REST operations, the part of X-Amz-Target after '.' for AWS JSON ones, Action for Query. */
  readonly operation: string;
  /** True when a check rejected the request or a fault was injected instead of calling the route. */
  readonly faulted: boolean;
}

export interface Reply {
  readonly status?: number;
  /** Sent as JSON; a string is sent as it is (Query protocol XML). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Deliberately not what the API model allows (a test of the client's handling of it): why. The model check skips it. */
  readonly offModel?: string;
}

export type RouteHandler = (req: ReceivedRequest) => Reply | Promise<Reply>;

/**
 * A check every request passes through, as the real service applies it before any operation runs (e.g. the API
 * model's constraints, IAM authorization). Checks run in the order they were added, before injected faults and routes.
 */
export interface ServerCheck {
  /** Reject the request as the service would by throwing a ServiceError; anything else thrown is a test bug. */
  readonly request?: (req: ReceivedRequest) => void | Promise<void>;
  /** Throw (a plain Error: a bug in the fake, not a service answer) when a successful reply breaks the contract. */
  readonly response?: (req: ReceivedRequest, reply: Reply) => void;
  /**
   * Throw (a plain Error: a bug in the fake) when the service would never answer `req` with this error; else the
   * members of the error's body as the service names them (its message included), or undefined to leave them to
   * another check (the default: `message` and the error's fields).
   */
  readonly error?: (req: ReceivedRequest, err: ServiceError) => Record<string, unknown> | undefined;
}

/** Thrown by a ServerCheck's `response`: the operation ran, but the connection drops before its answer is sent. */
export class AnswerLost extends Error {}

export type Fault =
  | { readonly kind: 'error'; readonly status: number; readonly type: string; readonly message?: string }
  | { readonly kind: 'slow'; readonly delayMs: number };

export const faults = {
  throttle: { kind: 'error', status: 429, type: 'CallRateLimitExceededException', message: 'Rate exceeded' } as Fault,
  serverError: { kind: 'error', status: 500, type: 'ServiceException', message: 'Internal failure' } as Fault,
  inUse: { kind: 'error', status: 400, type: 'ResourceInUseException', message: 'The resource is in use' } as Fault,
  error: (status: number, type: string, message = type): Fault => ({ kind: 'error', status, type, message }),
  slow: (delayMs: number): Fault => ({ kind: 'slow', delayMs }),
};

type Protocol = 'rest-json' | 'json' | 'query';

const CONTENT_TYPES: Record<Protocol, string> = {
  'rest-json': 'application/json',
  'json': 'application/x-amz-json-1.1',
  'query': 'text/xml',
};

export const escapeXml = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '\'': 'apos', '"': 'quot' } as Record<string, string>)[c]};`);

/**
 * Bugs of the fakes (an answer that breaks the model, a check or route that threw something else than a
 * ServiceError) not yet reported: every test that uses a LocalServer fails in afterEach while there are any.
 */
export const FAKE_BUGS: string[] = [];

export function takeFakeBugs(): string[] {
  return FAKE_BUGS.splice(0, FAKE_BUGS.length);
}

try {
  afterEach(() => {
    const bugs = [...new Set(takeFakeBugs())];
    if (bugs.length > 0) throw new Error(`The local AWS fakes misbehaved (a bug in the fake, not in the code under test):\n${bugs.join('\n')}`);
  });
} catch {
  // imported outside jest's collection phase: whoever imported it reads FAKE_BUGS
}

export interface LocalServerOptions {
  /** Check requests and answers against the API models (server/model-check.ts). @default true */
  readonly modelCheck?: boolean;
}

export class LocalServer {
  static async start(options: LocalServerOptions = {}): Promise<LocalServer> {
    const s = new LocalServer();
    if (options.modelCheck ?? true) {
      s.modelCheck = new ModelCheck();
      s.addCheck(s.modelCheck);
    }
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(0, '127.0.0.1', () => resolve());
    });
    return s;
  }

  readonly calls: ReceivedRequest[] = [];
  /** Every error answered, in order: the operation, HTTP status, and body as sent (JSON parsed; XML as text). */
  readonly errorAnswers: Array<{ readonly operation: string; readonly status: number; readonly body: unknown }> = [];
  /** The API-model check installed by start() (undefined when opted out). */
  modelCheck?: ModelCheck;
  private readonly server: http.Server;
  private readonly routes = new Map<string, RouteHandler>();
  private readonly injected = new Map<string, Fault[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly checks: ServerCheck[] = [];

  private constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.handle(req, Buffer.concat(chunks).toString('utf8'), res).catch((err) => {
          FAKE_BUGS.push(`${req.method} ${req.url}: ${String(err)}`);
          if (!res.headersSent) this.send(res, 500, { message: String(err) }, {});
        });
      });
    });
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  route(method: string, path: string, handler: RouteHandler): this {
    this.routes.set(`${method.toUpperCase()} ${path}`, handler);
    return this;
  }

  target(amzTarget: string, handler: RouteHandler): this {
    this.routes.set(`TARGET ${amzTarget}`, handler);
    return this;
  }

  /** A Query-protocol operation (form-encoded POST with `Action=<action>`). */
  action(action: string, handler: RouteHandler): this {
    this.routes.set(`ACTION ${action}`, handler);
    return this;
  }

  addCheck(check: ServerCheck): this {
    this.checks.push(check);
    return this;
  }

  /** Answer the next `times` calls of `operation` with `fault` (queued after faults injected earlier). */
  inject(operation: string, fault: Fault, times = 1): this {
    const queue = this.injected.get(operation) ?? [];
    for (let i = 0; i < times; i++) queue.push(fault);
    this.injected.set(operation, queue);
    return this;
  }

  /** Faults injected for `operation` that no call has consumed yet. */
  pendingFaults(operation: string): number {
    return this.injected.get(operation)?.length ?? 0;
  }

  count(operation: string): number {
    return this.calls.filter((c) => c.operation === operation).length;
  }

  callsTo(operation: string): ReceivedRequest[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, rawBody: string, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const amzTarget = req.headers['x-amz-target'] as string | undefined;
    const protocol: Protocol = amzTarget !== undefined ? 'json'
      : /^application\/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? '')) ? 'query' : 'rest-json';
    let body: any;
    if (protocol === 'query') {
      body = Object.fromEntries(new URLSearchParams(rawBody).entries());
    } else {
      try {
        body = rawBody ? JSON.parse(rawBody) : undefined;
      } catch {
        body = undefined;
      }
    }
    const operation = protocol === 'json' ? amzTarget!.split('.').pop()! : protocol === 'query' ? String(body.Action ?? '') : url.pathname.replace(/^\//, '');
    const key = protocol === 'json' ? `TARGET ${amzTarget}` : protocol === 'query' ? `ACTION ${operation}` : `${req.method} ${url.pathname}`;
    const request = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams.entries()),
      headers: req.headers,
      rawBody,
      body,
      operation,
    };
    let rejection: ServiceError | undefined;
    for (const check of this.checks) {
      try {
        await check.request?.({ ...request, faulted: false });
      } catch (err) {
        if (!(err instanceof ServiceError)) throw err;
        rejection = err;
        break;
      }
    }
    const fault = rejection ? undefined : this.injected.get(operation)?.shift();
    const received: ReceivedRequest = { ...request, faulted: rejection !== undefined || fault?.kind === 'error' };
    this.calls.push(received);
    if (rejection) return this.sendError(res, protocol, rejection, received);

    if (fault?.kind === 'slow') await this.delay(fault.delayMs);
    if (res.destroyed) return; // the client gave up waiting
    if (fault?.kind === 'error') {
      return this.sendError(res, protocol, new ServiceError(fault.status, fault.type, fault.message ?? fault.type), received);
    }
    const handler = this.routes.get(key);
    if (!handler) {
      return this.sendError(res, protocol, new ServiceError(404, 'UnknownOperationException', `No route for ${key}`), received);
    }
    try {
      const reply = await handler(received);
      try {
        for (const check of this.checks) check.response?.(received, reply);
      } catch (err) {
        if (!(err instanceof AnswerLost)) throw err;
        res.destroy(); // the operation ran; its answer never arrives
        return;
      }
      this.send(res, reply.status ?? 200, reply.body ?? {}, { 'content-type': CONTENT_TYPES[protocol], ...reply.headers });
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      this.sendError(res, protocol, err, received);
    }
  }

  private sendError(res: http.ServerResponse, protocol: Protocol, err: ServiceError, req: ReceivedRequest): void {
    // The checks see every error answer (the model's: is it one the operation can give, in its shape?).
    let modeled: Record<string, unknown> | undefined;
    for (const check of this.checks) modeled ??= check.error?.(req, err);
    if (protocol === 'query') {
      // <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>, as STS answers.
      const xml = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${err.status >= 500 ? 'Receiver' : 'Sender'}</Type>`
        + `<Code>${escapeXml(err.type)}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>req-${this.calls.length}</RequestId></ErrorResponse>`;
      this.errorAnswers.push({ operation: req.operation, status: err.status, body: xml });
      return this.send(res, err.status, xml, { 'content-type': CONTENT_TYPES.query });
    }
    // REST-JSON clients read the type from x-amzn-errortype; AWS JSON clients from __type in the body.
    const isJsonProtocol = protocol === 'json';
    const members = modeled ?? { message: err.message, ...err.fields };
    const body = isJsonProtocol ? { __type: err.type, ...members } : members;
    this.errorAnswers.push({ operation: req.operation, status: err.status, body });
    this.send(res, err.status, body, {
      'content-type': CONTENT_TYPES[protocol],
      'x-amzn-errortype': err.type,
    });
  }

  private send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'x-amzn-requestid': `req-${this.calls.length}`, ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }
}
