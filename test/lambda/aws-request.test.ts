// The signed-request module that replaces the EC2 and SSM SDK clients, against a local HTTP server that records what
// arrives and answers what each test says. Signatures are checked by an independent verifier (server/sigv4.ts).
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { buildSync, Metafile } from 'esbuild';
import { LocalServer } from './local-server';
import { DistributionConfigurations } from './server/imagebuilder';
import { ARN, createEvent, deleteEvent, exportPatch, fullDistribution, PARAM, props, S3_EXPORT } from './server/patch-fixtures';
import { verifySigV4 } from './server/sigv4';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import {
  AwsCredentials, encodeQuery, envCredentials, JsonClient, jsonError, parseXml, QueryClient, queryError, regionalEndpoint, xmlItems, xmlText,
} from '../../lambda/aws-request';
import { arnRegion, Ec2, imagebuilder, LAMBDA_CREDENTIALS, resetClients, Ssm } from '../../lambda/clients';
import { isRetryable } from '../../lambda/retry';
import { defaultProvider } from '../../lambda/shims/credential-provider-node';
import { EventStreamSerde, eventStreamSerdeProvider } from '../../lambda/shims/event-streams';
import { HANDLER_BUILD_OPTIONS } from '../../scripts/bundle-handler';

const execFileAsync = promisify(execFile);

interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Answer = { status: number; body: string; headers?: Record<string, string> } | 'hang' | 'reset';

let server: http.Server;
let endpoint: string;
let received: Received[];
let answer: (req: Received) => Answer;
const clients: { destroy(): void }[] = [];

const KEYS: AwsCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const WITH_TOKEN: AwsCredentials = { ...KEYS, sessionToken: 'session-token-value' };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const a = answer(r);
      if (a === 'hang') return;
      if (a === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(a.status, { 'x-amzn-requestid': 'req-1', ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  received = [];
  answer = () => ({ status: 200, body: '{}' });
});

afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

const savedEnv = { ...process.env };
afterAll(async () => {
  process.env = savedEnv;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function json(options: { region?: string; credentials?: AwsCredentials; timeoutMs?: number } = {}): JsonClient {
  const c = new JsonClient({
    service: 'ssm', region: options.region ?? 'eu-west-1', endpoint, timeoutMs: options.timeoutMs ?? 2_000, credentials: () => options.credentials ?? KEYS,
  }, 'AmazonSSM');
  clients.push(c);
  return c;
}

function query(options: { region?: string; credentials?: AwsCredentials; timeoutMs?: number } = {}): QueryClient {
  const c = new QueryClient({
    service: 'ec2', region: options.region ?? 'ap-southeast-2', endpoint, timeoutMs: options.timeoutMs ?? 2_000, credentials: () => options.credentials ?? KEYS,
  }, '2016-11-15');
  clients.push(c);
  return c;
}

const verify = (r: Received, service: string) =>
  verifySigV4({ method: r.method, path: r.path, query: {}, headers: r.headers, rawBody: r.body }, service);

describe('signing', () => {
  test('AWS JSON 1.1: SigV4 for ssm in the client\'s Region, target and content type signed, session token sent and signed', async () => {
    answer = () => ({ status: 200, body: '{"Parameter":{"Name":"/a","Value":"v"}}', headers: { 'content-type': 'application/x-amz-json-1.1' } });
    const out = await json({ credentials: WITH_TOKEN }).call('GetParameter', { Name: '/a b/ü' });
    expect(out).toEqual({ Parameter: { Name: '/a', Value: 'v' } });
    const [r] = received;
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/');
    expect(r.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/ssm\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
    expect(r.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(r.headers['x-amz-security-token']).toBe('session-token-value');
    expect(r.headers['x-amz-target']).toBe('AmazonSSM.GetParameter');
    expect(r.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(r.body)).toEqual({ Name: '/a b/ü' });
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    const v = verify(r, 'ssm');
    expect(v.region).toBe('eu-west-1');
    expect(v.signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-amz-security-token', 'x-amz-target', 'content-type']));
  });

  test('without a session token there is no x-amz-security-token', async () => {
    await json().call('DeleteParameter', { Name: '/a' });
    expect(received[0].headers).not.toHaveProperty('x-amz-security-token');
    expect(verify(received[0], 'ssm').signedHeaders).not.toContain('x-amz-security-token');
  });

  test('Query: SigV4 for ec2 in the client\'s Region over a form-encoded body', async () => {
    answer = () => ({ status: 200, body: '<DeleteSnapshotResponse><return>true</return></DeleteSnapshotResponse>' });
    const doc = await query({ credentials: WITH_TOKEN }).call('DeleteSnapshot', { SnapshotId: 'snap-1' });
    expect(xmlText(doc, 'DeleteSnapshotResponse', 'return')).toBe('true');
    const [r] = received;
    expect(r.body).toBe('Action=DeleteSnapshot&Version=2016-11-15&SnapshotId=snap-1');
    expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
    expect(r.headers.authorization).toContain('/ap-southeast-2/ec2/aws4_request');
    expect(verify(r, 'ec2').region).toBe('ap-southeast-2');
  });

  test('a signature over other content, or for another service, does not verify (the verifier can fail)', async () => {
    await json().call('GetParameter', { Name: '/a' });
    const [r] = received;
    expect(() => verify({ ...r, body: r.body.replace('/a', '/b') }, 'ssm')).toThrow(/signature .* does not match/);
    expect(() => verify(r, 'ec2')).toThrow('signed for service ssm, expected ec2');
    const wrongKey = received.length;
    await json({ credentials: { ...KEYS, secretAccessKey: 'not-the-secret' } }).call('GetParameter', { Name: '/a' });
    expect(() => verify(received[wrongKey], 'ssm')).toThrow(/does not match/);
  });

  test('credentials are read for every request (rotated keys are picked up)', async () => {
    let creds: AwsCredentials = KEYS;
    const c = new JsonClient({ service: 'ssm', region: 'us-east-1', endpoint, timeoutMs: 2_000, credentials: () => creds }, 'AmazonSSM');
    clients.push(c);
    await c.call('GetParameter', { Name: '/a' });
    creds = { accessKeyId: 'test', secretAccessKey: 'test', sessionToken: 't2' };
    await c.call('GetParameter', { Name: '/a' });
    expect(received.map((r) => verify(r, 'ssm').accessKeyId)).toEqual(['AKIDEXAMPLE', 'test']);
    expect(received[1].headers['x-amz-security-token']).toBe('t2');
  });
});

describe('encoding', () => {
  test('Query parameters: Action and Version first, lists as Name.N, RFC 3986 percent-encoding', () => {
    expect(encodeQuery('DescribeImages', '2016-11-15', { ImageId: ['ami-1', 'ami-2'], Owner: ['self'], Skipped: undefined, DryRun: false }))
      .toBe('Action=DescribeImages&Version=2016-11-15&ImageId.1=ami-1&ImageId.2=ami-2&Owner.1=self&DryRun=false');
    expect(encodeQuery('A', 'v', { Name: 'a b&c=d/é!*\'()~' })).toBe('Action=A&Version=v&Name=a%20b%26c%3Dd%2F%C3%A9%21%2A%27%28%29~');
    expect(Object.fromEntries(new URLSearchParams(encodeQuery('A', 'v', { X: 'a+b c%' })))).toEqual({ Action: 'A', Version: 'v', X: 'a+b c%' });
  });

  test('XML: nested lists, entities, CDATA, self-closing elements, declarations and comments', () => {
    const doc = parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><R xmlns="urn:x"><set><item><id>1</id><inner><item><v>a &amp; b &lt;&#x41;&#66;&gt;</v></item>'
      + '<item><v><![CDATA[<raw>]]></v></item></inner></item><item><id>2</id><empty/><inner/></item></set></R>');
    const items = xmlItems(doc.children[0].children[0]);
    expect(items.map((i) => xmlText(i, 'id'))).toEqual(['1', '2']);
    expect(xmlItems(items[0].children[1]).map((i) => xmlText(i, 'v'))).toEqual(['a & b <AB>', '<raw>']);
    expect(xmlText(items[1], 'empty')).toBe('');
    expect(xmlItems(items[1].children[2])).toEqual([]);
    expect(xmlText(items[1], 'missing')).toBeUndefined();
    expect(xmlText(parseXml('<v>&#X4A;&#x6b;</v>'), 'v')).toBe('Jk');
    expect(xmlItems(undefined)).toEqual([]);
    expect(() => parseXml('<a><b></a>')).toThrow('Malformed XML');
    expect(() => parseXml('<a><b>')).toThrow('<b> is not closed');
  });
});

describe('errors', () => {
  const res = (status: number, body: string, headers: http.IncomingHttpHeaders = {}) => ({ status, body, headers });

  test('EC2 XML errors: the code is the name, with message, HTTP status and request id', () => {
    const err = queryError(res(400, '<?xml version="1.0"?><Response><Errors><Error><Code>InvalidAMIID.NotFound</Code>'
      + '<Message>The image id &apos;[ami-1]&apos; does not exist</Message></Error></Errors><RequestID>abc-123</RequestID></Response>'));
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'InvalidAMIID.NotFound', message: 'The image id \'[ami-1]\' does not exist', $metadata: { httpStatusCode: 400, requestId: 'abc-123' }, $fault: 'client' });
    expect(isRetryable(err)).toBe(false);
    const throttled = queryError(res(503, '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors></Response>'));
    expect(throttled).toMatchObject({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 }, $fault: 'server' });
    expect(isRetryable(throttled)).toBe(true);
    const notXml = queryError(res(502, '<html>Bad gateway'));
    expect(notXml).toMatchObject({ name: 'Http502Error', $metadata: { httpStatusCode: 502 } });
    expect(notXml.message).toContain('HTTP 502');
    expect(isRetryable(notXml)).toBe(true);
  });

  test('JSON errors: __type (with or without namespace) or x-amzn-errortype is the name', () => {
    const notFound = jsonError(res(400, '{"__type":"com.amazonaws.ssm#ParameterNotFound","message":"gone"}', { 'x-amzn-requestid': 'r-9' }));
    expect(notFound).toMatchObject({ name: 'ParameterNotFound', message: 'gone', $metadata: { httpStatusCode: 400, requestId: 'r-9' } });
    expect(jsonError(res(400, '{"Message":"m"}', { 'x-amzn-errortype': 'AccessDeniedException:http://internal.amazon.com/' })))
      .toMatchObject({ name: 'AccessDeniedException', message: 'm' });
    const throttled = jsonError(res(400, '{"__type":"ThrottlingException","message":"Rate exceeded"}'));
    expect(throttled.name).toBe('ThrottlingException');
    expect(isRetryable(throttled)).toBe(true);
    expect(isRetryable(jsonError(res(400, '{"__type":"AccessDeniedException"}')))).toBe(false);
    expect(jsonError(res(500, 'oops'))).toMatchObject({ name: 'Http500Error', $metadata: { httpStatusCode: 500 } });
  });

  test('error answers reject the call with the parsed error', async () => {
    answer = () => ({ status: 400, body: '{"__type":"ParameterNotFound","message":""}' });
    await expect(json().call('GetParameter', { Name: '/x' })).rejects.toMatchObject({ name: 'ParameterNotFound', $metadata: { httpStatusCode: 400 } });
    answer = () => ({ status: 401, body: '<Response><Errors><Error><Code>AuthFailure</Code><Message>no</Message></Error></Errors></Response>' });
    await expect(query().call('DescribeImages', {})).rejects.toMatchObject({ name: 'AuthFailure', message: 'no', $metadata: { httpStatusCode: 401 } });
    answer = () => ({ status: 200, body: 'not json' });
    await expect(json().call('GetParameter', { Name: '/x' })).rejects.toMatchObject({ name: 'DeserializationError' });
  });

  test('a request that takes longer than the timeout fails as a retryable TimeoutError', async () => {
    answer = () => 'hang';
    const started = Date.now();
    const err = await json({ timeoutMs: 100 }).call('GetParameter', { Name: '/x' }).catch((e) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(err.name).toBe('TimeoutError');
    expect(err.message).toMatch(/ssm request to 127\.0\.0\.1:\d+ timed out after 100 ms/);
    expect(isRetryable(err)).toBe(true);
  });

  test('a connection reset fails with its retryable code', async () => {
    answer = () => 'reset';
    const err = await query().call('DescribeImages', {}).catch((e) => e);
    expect(err.code).toBe('ECONNRESET');
    expect(isRetryable(err)).toBe(true);
  });
});

describe('EC2 and SSM calls', () => {
  test('DescribeImages sends the ids and owners and reads the snapshot ids of the EBS mappings', async () => {
    answer = () => ({
      status: 200,
      body: '<?xml version="1.0" encoding="UTF-8"?>\n<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><imagesSet><item>'
        + '<imageId>ami-1</imageId><creationDate>2025-06-01T12:00:00.000Z</creationDate><blockDeviceMapping>'
        + '<item><deviceName>/dev/xvda</deviceName><ebs><snapshotId>snap-1</snapshotId><volumeSize>8</volumeSize></ebs></item>'
        + '<item><deviceName>/dev/sdb</deviceName><virtualName>ephemeral0</virtualName></item>'
        + '<item><deviceName>/dev/sdc</deviceName><ebs><snapshotId>snap-2</snapshotId></ebs></item>'
        + '</blockDeviceMapping><tagSet><item><key>k</key><value>v</value></item></tagSet></item></imagesSet></DescribeImagesResponse>',
    });
    // Ec2 signs with the environment's credentials, as in Lambda.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    const ec2 = new Ec2('us-west-2', endpoint);
    clients.push(ec2);
    expect(await ec2.describeImages({ ImageIds: ['ami-1'], Owners: ['self'] })).toEqual({
      Images: [{
        ImageId: 'ami-1',
        CreationDate: '2025-06-01T12:00:00.000Z',
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-1' } },
          { DeviceName: '/dev/sdb' },
          { DeviceName: '/dev/sdc', Ebs: { SnapshotId: 'snap-2' } },
        ],
      }],
    });
    expect(received[0].body).toBe('Action=DescribeImages&Version=2016-11-15&ImageId.1=ami-1&Owner.1=self');
    expect(verify(received[0], 'ec2').region).toBe('us-west-2');
    answer = () => ({ status: 200, body: '<DescribeImagesResponse><imagesSet/></DescribeImagesResponse>' });
    expect(await ec2.describeImages({ ImageIds: ['ami-2'] })).toEqual({ Images: [] });
    expect(received[1].body).toBe('Action=DescribeImages&Version=2016-11-15&ImageId.1=ami-2');
  });

  test('DeleteParameter: an empty answer body is an empty result', async () => {
    const ssm = new Ssm('eu-central-1', endpoint);
    clients.push(ssm);
    answer = () => ({ status: 200, body: '' });
    await expect(ssm.deleteParameter({ Name: '/p' })).resolves.toBeUndefined();
    expect(JSON.parse(received[0].body)).toEqual({ Name: '/p' });
  });

  test('PutParameter sends the input as JSON with its target', async () => {
    const ssm = new Ssm('eu-central-1', endpoint);
    clients.push(ssm);
    answer = () => ({ status: 200, body: '{"Version":3,"Tier":"Standard"}' });
    const input = { Name: '/p', Value: '{"v":1}', Type: 'String' as const, Tier: 'Intelligent-Tiering', Overwrite: true };
    expect(await ssm.putParameter(input)).toEqual({ Version: 3, Tier: 'Standard' });
    expect(JSON.parse(received[0].body)).toEqual(input);
    expect(received[0].headers['x-amz-target']).toBe('AmazonSSM.PutParameter');
    expect(verify(received[0], 'ssm').region).toBe('eu-central-1');
  });
});

describe('endpoints and credentials', () => {
  test.each([
    ['ec2', 'us-east-1', 'https://ec2.us-east-1.amazonaws.com'],
    ['ssm', 'eu-west-1', 'https://ssm.eu-west-1.amazonaws.com'],
    ['ec2', 'cn-north-1', 'https://ec2.cn-north-1.amazonaws.com.cn'],
    ['ssm', 'cn-northwest-1', 'https://ssm.cn-northwest-1.amazonaws.com.cn'],
    ['sts', 'us-gov-west-1', 'https://sts.us-gov-west-1.amazonaws.com'],
    ['ec2', 'us-iso-east-1', 'https://ec2.us-iso-east-1.c2s.ic.gov'],
    ['ssm', 'us-isob-east-1', 'https://ssm.us-isob-east-1.sc2s.sgov.gov'],
    ['sts', 'eu-isoe-west-1', 'https://sts.eu-isoe-west-1.cloud.adc-e.uk'],
    ['ec2', 'us-isof-south-1', 'https://ec2.us-isof-south-1.csp.hci.ic.gov'],
    ['ssm', 'eusc-de-east-1', 'https://ssm.eusc-de-east-1.amazonaws.eu'],
  ])('%s in %s: %s', (service, region, url) => {
    expect(regionalEndpoint(service, region)).toBe(url);
    const c = new QueryClient({ service, region, timeoutMs: 1 }, 'v');
    clients.push(c);
    expect(c.url.href).toBe(`${url}/`);
  });

  test('in every partition, the same DNS suffix as the bundled Image Builder client\'s own endpoint ruleset resolves', async () => {
    const regions = ['us-east-1', 'cn-north-1', 'us-gov-east-1', 'us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'us-isof-south-1', 'eusc-de-east-1'];
    for (const region of regions) {
      const client = new ImagebuilderClient({ region, credentials: { accessKeyId: 'a', secretAccessKey: 's' } });
      try {
        const resolved = client.config.endpointProvider({ Region: region, UseFIPS: false, UseDualStack: false });
        expect(`${regionalEndpoint('imagebuilder', region)}/`).toBe(resolved.url.href);
      } finally {
        client.destroy();
      }
    }
  });

  test('a configuration ARN names the Region whose Image Builder endpoint knows it', async () => {
    expect(arnRegion('arn:aws-iso:imagebuilder:us-iso-east-1:123456789012:distribution-configuration/d')).toBe('us-iso-east-1');
    expect(arnRegion('arn:aws:iam::123456789012:role/r')).toBeUndefined();
    const client = imagebuilder(LAMBDA_CREDENTIALS, arnRegion('arn:aws:imagebuilder:eu-west-1:123456789012:distribution-configuration/d'));
    try {
      expect(await client.config.region()).toBe('eu-west-1');
    } finally {
      resetClients();
    }
  });

  test('environment credentials; the session token only when set; a clear error when missing', async () => {
    expect(envCredentials({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' })).toEqual({ accessKeyId: 'a', secretAccessKey: 's' });
    expect(envCredentials({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' })).toEqual({ accessKeyId: 'a', secretAccessKey: 's', sessionToken: 't' });
    expect(() => envCredentials({ AWS_ACCESS_KEY_ID: 'a' })).toThrow(expect.objectContaining({ name: 'CredentialsProviderError', message: expect.stringMatching(/AWS_SECRET_ACCESS_KEY/) }));
  });

  test('the bundle\'s credential-provider-node shim: defaultProvider(init)() reads the environment', async () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIA1', AWS_SECRET_ACCESS_KEY: 'sec', AWS_SESSION_TOKEN: 'tok' });
      await expect(defaultProvider({ profile: 'ignored' })()).resolves.toEqual({ accessKeyId: 'AKIA1', secretAccessKey: 'sec', sessionToken: 'tok' });
      delete process.env.AWS_ACCESS_KEY_ID;
      await expect(defaultProvider()()).rejects.toMatchObject({ name: 'CredentialsProviderError' });
    } finally {
      process.env = saved;
    }
  });
});

describe('the handler bundle (scripts/bundle-handler.ts options)', () => {
  let dir: string;
  let bundlePath: string;
  let metafile: Metafile;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handler-bundle-test-'));
    bundlePath = path.join(dir, 'index.js');
    metafile = buildSync({ ...HANDLER_BUILD_OPTIONS, outfile: bundlePath, metafile: true, logLevel: 'error' }).metafile!;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /**
   * Runs the bundle's onEvent in a fresh node process, as Lambda loads it (jest's module sandbox cannot run the bundle's
   * import('node:...')), against `local`. Nothing but the environment can supply credentials: no profile files, no IMDS.
   */
  async function runBundle(local: LocalServer, event: unknown, extraEnv: Record<string, string> = {}): Promise<any> {
    const env = {
      PATH: process.env.PATH,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_SESSION_TOKEN: 'bundle-token',
      AWS_REGION: 'us-east-1',
      IMAGEBUILDER_ENDPOINT: local.endpoint,
      SSM_ENDPOINT: local.endpoint,
      HOME: dir,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...extraEnv,
    };
    const script = `require(${JSON.stringify(bundlePath)}).onEvent(${JSON.stringify(event)}).then((r) => process.stdout.write(JSON.stringify(r)))`;
    const { stdout } = await execFileAsync(process.execPath, ['-e', script], { env, timeout: 20_000 });
    return JSON.parse(stdout);
  }

  test('holds neither the EC2, SSM nor STS SDK client nor the default credential chain; the shim stands in', () => {
    const inputs = Object.keys(metafile.inputs);
    for (const pkg of ['@aws-sdk/client-ec2', '@aws-sdk/client-ssm', '@aws-sdk/client-sts', '@aws-sdk/credential-provider-node', '@aws-sdk/credential-provider-ini',
      '@aws-sdk/credential-provider-sso', '@aws-sdk/nested-clients', '@smithy/credential-provider-imds', '@smithy/core/dist-es/submodules/event-streams']) {
      expect(inputs.filter((f) => f.includes(`node_modules/${pkg}/`))).toEqual([]);
    }
    expect(inputs).toContain('lambda/shims/credential-provider-node.ts');
    expect(inputs).toContain('lambda/shims/event-streams.ts');
    expect(inputs).toContain('lambda/aws-request.ts');
    expect(inputs).toContain('lambda/credentials.ts'); // STS AssumeRole over the same signed Query client
  });

  test('the event-streams stub is safe: Image Builder has no event-stream or streaming members, and the stub fails loudly', () => {
    const dist = path.dirname(require.resolve('@aws-sdk/client-imagebuilder/package.json'));
    const files = fs.readdirSync(path.join(dist, 'dist-es'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) expect(fs.readFileSync(path.join(dist, 'dist-es', f), 'utf8')).not.toMatch(/eventstream|streaming/i);
    expect(() => new EventStreamSerde()).toThrow('Event streams are not bundled');
    expect(() => eventStreamSerdeProvider()).toThrow('Event streams are not bundled');
  });

  test('runs a patch create and delete against local Image Builder and SSM, signing with the environment\'s keys', async () => {
    const local = await LocalServer.start();
    try {
      const ib = new DistributionConfigurations(local);
      const ssm = new Parameters(local);
      ib.put({ arn: ARN, name: 'imported-dist', distributions: [fullDistribution('us-east-1')] });
      const run = (event: unknown) => runBundle(local, event);
      const created = await run(createEvent(props(exportPatch)));
      expect(ib.get(ARN)!.distributions[0].s3ExportConfiguration).toEqual(S3_EXPORT);
      expect(ssm.params.has(PARAM)).toBe(true);
      await run(deleteEvent(created.PhysicalResourceId, props(exportPatch)));
      expect(ssm.params.has(PARAM)).toBe(false);
      expect(ssm.regions.length).toBeGreaterThanOrEqual(3);
      // The bundled clients signed with the environment's keys (no RoleArn): the session token is the environment's.
      const ibCalls = local.calls.filter((c) => !c.headers['x-amz-target']);
      expect(ibCalls.length).toBeGreaterThanOrEqual(2);
      for (const c of local.calls) {
        expect(c.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\//);
        expect(c.headers['x-amz-security-token']).toBe('bundle-token');
      }
    } finally {
      await local.close();
    }
  });

  test('with RoleArn, the bundle assumes the role through STS and signs every Image Builder and SSM request with it', async () => {
    const local = await LocalServer.start();
    try {
      const ib = new DistributionConfigurations(local);
      const ssm = new Parameters(local);
      const roles = new Roles(local);
      const role = 'arn:aws:iam::123456789012:role/cdk-ibd/Stack-PatchRole-1A2B3C';
      roles.add(role, { deniedFor: 1 });
      ib.put({ arn: ARN, name: 'imported-dist', distributions: [fullDistribution('us-east-1')] });
      const event = createEvent({ ...props(exportPatch), RoleArn: role }, 'bundle-request');
      await runBundle(local, event, { STS_ENDPOINT: local.endpoint });
      expect(ib.get(ARN)!.distributions[0].s3ExportConfiguration).toEqual(S3_EXPORT);
      expect(ssm.params.has(PARAM)).toBe(true);

      // Denied once (a new role), retried after a real backoff of at most a second or so, then assumed.
      expect(roles.denied).toBe(1);
      expect(roles.sessions).toHaveLength(1);
      const [session] = roles.sessions;
      expect(session).toMatchObject({ roleArn: role, sessionName: 'cdk-ibd-bundle-request', durationSeconds: 900, callerKey: 'test' });
      for (const c of local.callsTo('AssumeRole')) expect(c.headers['x-amz-security-token']).toBe('bundle-token');
      const calls = local.calls.filter((c) => c.operation !== 'AssumeRole');
      expect(new Set(calls.map((c) => c.operation))).toEqual(new Set(['GetDistributionConfiguration', 'UpdateDistributionConfiguration', 'GetParameter', 'PutParameter']));
      for (const c of calls) {
        expect(c.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${session.accessKeyId}/`));
        expect(c.headers['x-amz-security-token']).toBe(session.sessionToken);
      }
    } finally {
      await local.close();
    }
  });
});
