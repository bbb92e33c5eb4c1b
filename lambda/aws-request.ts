// Signed requests to the two services whose SDK clients are too big to bundle (EC2: Query protocol, SSM: AWS JSON 1.1).
// SigV4 comes from @smithy/signature-v4, which the Image Builder client bundles anyway; the transport is node's
// http/https with a per-request timeout; retries are the caller's (retry.ts). Errors have the SDK's shape
// (name, message, $metadata.httpStatusCode) so isRetryable() and the error messages treat them alike.
import { createHash, createHmac } from 'crypto';
import * as http from 'http';
import * as https from 'https';
import { partition } from '@aws-sdk/util-endpoints';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** The credentials Lambda gives its function, in environment variables. */
export function envCredentials(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw Object.assign(new Error('No AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set'), {
      name: 'CredentialsProviderError',
    });
  }
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

/** The Lambda's own Region. */
export function lambdaRegion(env: NodeJS.ProcessEnv = process.env): string {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('AWS_REGION is not set');
  return region;
}

/** Per-request timeout (ms): a hung answer fails as a retryable TimeoutError instead of eating the Lambda's time. */
export function requestTimeoutMs(): number {
  const fromEnv = Number(process.env.HANDLER_REQUEST_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 20_000;
}

/**
 * The public endpoint of `service` in `region`: `service.region.` and the DNS suffix of the Region's partition
 * (amazonaws.com, amazonaws.com.cn, c2s.ic.gov, sc2s.sgov.gov, cloud.adc-e.uk, csp.hci.ic.gov, amazonaws.eu...), from
 * the SDK's partitions data, which the bundled Image Builder client resolves its own endpoints with.
 */
export function regionalEndpoint(service: string, region: string): string {
  return `https://${service}.${region}.${partition(region).dnsSuffix}`;
}

/** An error as the SDK makes them: `name` is the service's error code. */
export interface AwsError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { readonly httpStatusCode?: number; readonly requestId?: string };
}

export function awsError(name: string, message: string, httpStatusCode?: number, requestId?: string): AwsError {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode !== undefined && httpStatusCode < 500 ? 'client' as const : 'server' as const,
    $metadata: { httpStatusCode, ...(requestId ? { requestId } : {}) },
  });
}

type Bytes = string | ArrayBuffer | ArrayBufferView;
const toBuffer = (d: Bytes): Buffer => typeof d === 'string' ? Buffer.from(d, 'utf8')
  : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);

/** The sha256 (or HMAC-sha256 with a secret) that SignatureV4 expects, on node's crypto. */
export class Sha256 {
  private hash;
  constructor(private readonly secret?: Bytes) {
    this.hash = this.make();
  }
  update(data: Bytes): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.make();
  }
  private make() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
}

export interface AwsClientOptions {
  /** Signing name and endpoint prefix: 'ec2', 'ssm'. */
  readonly service: string;
  readonly region: string;
  /** Default: the Region's public endpoint. */
  readonly endpoint?: string;
  /** The whole request, connection included, fails as a retryable TimeoutError after this long. */
  readonly timeoutMs: number;
  /** Called for every request (so rotated or refreshed credentials are picked up). Default: the environment's (Lambda's). */
  readonly credentials?: () => AwsCredentials | Promise<AwsCredentials>;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

const USER_AGENT = 'cdk-imagebuilder-distribution-handler';

/** Signs and sends POST requests to one service endpoint; keeps its connections alive until destroy(). */
export class AwsClient {
  readonly url: URL;
  private readonly signer: SignatureV4;
  private readonly agent: http.Agent;

  constructor(readonly options: AwsClientOptions) {
    this.url = new URL(options.endpoint ?? regionalEndpoint(options.service, options.region));
    const credentials = options.credentials ?? (() => envCredentials());
    this.signer = new SignatureV4({
      service: options.service,
      region: options.region,
      credentials: async () => credentials(),
      sha256: Sha256,
    });
    this.agent = this.url.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  get region(): string {
    return this.options.region;
  }

  /** Signs and sends `body`; resolves with any HTTP answer, rejects on network errors and the timeout. */
  async post(headers: Record<string, string>, body: string): Promise<RawResponse> {
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      port: this.url.port ? Number(this.url.port) : undefined,
      path: this.url.pathname,
      query: {},
      headers: { ...headers, 'host': this.url.host, 'content-length': String(Buffer.byteLength(body)) },
      body,
    });
    return this.transmit({ ...signed.headers, 'user-agent': USER_AGENT }, body);
  }

  destroy(): void {
    this.agent.destroy();
  }

  private transmit(headers: Record<string, string>, body: string): Promise<RawResponse> {
    const timeoutMs = this.options.timeoutMs;
    const send = this.url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      const req = send({
        protocol: this.url.protocol,
        hostname: this.url.hostname,
        port: this.url.port || undefined,
        path: this.url.pathname,
        method: 'POST',
        headers,
        agent: this.agent,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      timer = setTimeout(() => {
        const err = awsError('TimeoutError', `${this.options.service} request to ${this.url.host} timed out after ${timeoutMs} ms`);
        fail(err);
        req.destroy(err);
      }, timeoutMs);
      req.on('error', fail);
      req.end(body);
    });
  }
}

const requestId = (headers: http.IncomingHttpHeaders): string | undefined =>
  (headers['x-amzn-requestid'] ?? headers['x-amz-request-id']) as string | undefined;

// ---- EC2: the Query protocol ----------------------------------------------------------------------------------

export type QueryParams = Record<string, string | number | boolean | readonly string[] | undefined>;

/** RFC 3986 percent-encoding, as AWS signs and decodes it. */
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** `Action=..&Version=..` then the parameters; a list `Name: [a, b]` becomes `Name.1=a&Name.2=b`. */
export function encodeQuery(action: string, version: string, params: QueryParams = {}): string {
  const pairs: [string, string][] = [['Action', action], ['Version', version]];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) value.forEach((v, i) => pairs.push([`${key}.${i + 1}`, v]));
    else pairs.push([key, String(value)]);
  }
  return pairs.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
}

export interface XmlNode {
  readonly name: string;
  readonly children: XmlNode[];
  /** The element's own text, entities decoded (empty for elements with children). */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' };
const decodeEntities = (s: string) => s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) =>
  e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ENTITIES[e] ?? m);

/** Enough XML for AWS answers: elements, text, entities and CDATA; attributes, comments and declarations are skipped. */
export function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '#document', children: [], text: '' };
  const stack = [root];
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)[^>]*?(\/?)>|<!\[CDATA\[([\s\S]*?)\]\]>|<[?!][\s\S]*?>|([^<]+)/g;
  for (let m; (m = tag.exec(xml));) {
    const top = stack[stack.length - 1];
    if (m[5] !== undefined || m[4] !== undefined) {
      top.text += m[4] ?? decodeEntities(m[5]);
    } else if (m[2]) {
      if (m[1]) {
        if (stack.length > 1 && top.name === m[2]) stack.pop();
        else throw new Error(`Malformed XML: unexpected </${m[2]}>`);
      } else {
        const node: XmlNode = { name: m[2], children: [], text: '' };
        top.children.push(node);
        if (!m[3]) stack.push(node);
      }
    }
  }
  if (stack.length > 1) throw new Error(`Malformed XML: <${stack[stack.length - 1].name}> is not closed`);
  return root;
}

/** The first child named `name`. */
export const xmlChild = (node: XmlNode | undefined, name: string): XmlNode | undefined => node?.children.find((c) => c.name === name);
/** The text of the path of first children named `names`, trimmed. */
export function xmlText(node: XmlNode | undefined, ...names: string[]): string | undefined {
  for (const name of names) node = xmlChild(node, name);
  return node?.text.trim();
}
/** The `<item>`s of a list element. */
export const xmlItems = (node: XmlNode | undefined): XmlNode[] => node?.children.filter((c) => c.name === 'item') ?? [];

/** The service's error in a Query (EC2) error answer `<Response><Errors><Error><Code/><Message/>`. */
export function queryError(res: RawResponse): AwsError {
  let code: string | undefined;
  let message: string | undefined;
  let reqId = requestId(res.headers);
  try {
    const doc = parseXml(res.body);
    const root = xmlChild(doc, 'Response') ?? xmlChild(doc, 'ErrorResponse');
    const error = xmlChild(xmlChild(root, 'Errors'), 'Error') ?? xmlChild(root, 'Error');
    code = xmlText(error, 'Code');
    message = xmlText(error, 'Message');
    reqId = xmlText(root, 'RequestID') ?? xmlText(root, 'RequestId') ?? reqId;
  } catch {
    // not XML (e.g. a proxy's page): described by the status below
  }
  return awsError(code || `Http${res.status}Error`, message ?? `HTTP ${res.status}: ${res.body.slice(0, 200)}`, res.status, reqId);
}

/** A service that speaks the Query protocol (EC2). */
export class QueryClient extends AwsClient {
  constructor(options: AwsClientOptions, readonly version: string) {
    super(options);
  }

  /** The parsed answer of `action`; an error answer rejects with an AwsError named by its code. */
  async call(action: string, params: QueryParams = {}): Promise<XmlNode> {
    const res = await this.post({ 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, encodeQuery(action, this.version, params));
    if (res.status < 200 || res.status >= 300) throw queryError(res);
    try {
      return parseXml(res.body);
    } catch (err) {
      throw awsError('DeserializationError', `${action}: unreadable answer: ${(err as Error).message}`, res.status, requestId(res.headers));
    }
  }
}

// ---- SSM: AWS JSON 1.1 -----------------------------------------------------------------------------------------

/** The service's error in an AWS JSON error answer: `{ __type, message }` or the x-amzn-errortype header. */
export function jsonError(res: RawResponse): AwsError {
  let body: any;
  try {
    body = JSON.parse(res.body);
  } catch {
    body = undefined;
  }
  // 'com.amazonaws.ssm#ParameterNotFound' or 'ParameterNotFound:http://internal.amazon.com/...' -> 'ParameterNotFound'
  const raw = String(body?.__type ?? body?.code ?? res.headers['x-amzn-errortype'] ?? '');
  const name = raw.split(':')[0].split('#').pop() || `Http${res.status}Error`;
  const message = body?.message ?? body?.Message ?? body?.errorMessage ?? (body ? '' : `HTTP ${res.status}: ${res.body.slice(0, 200)}`);
  // Organizations' InvalidInputException says which constraint the input broke only in its Reason.
  const reason = typeof body?.Reason === 'string' ? ` (Reason: ${body.Reason})` : '';
  return awsError(name, `${String(message)}${reason}`, res.status, requestId(res.headers));
}

/** A service that speaks AWS JSON 1.1 (SSM: target prefix 'AmazonSSM'). */
export class JsonClient extends AwsClient {
  constructor(options: AwsClientOptions, readonly targetPrefix: string) {
    super(options);
  }

  async call<T = any>(operation: string, input: object): Promise<T> {
    const res = await this.post({
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `${this.targetPrefix}.${operation}`,
    }, JSON.stringify(input));
    if (res.status < 200 || res.status >= 300) throw jsonError(res);
    try {
      return (res.body ? JSON.parse(res.body) : {}) as T;
    } catch (err) {
      throw awsError('DeserializationError', `${operation}: unreadable answer: ${(err as Error).message}`, res.status, requestId(res.headers));
    }
  }
}
