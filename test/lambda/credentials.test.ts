// STS AssumeRole for the per-resource roles (lambda/credentials.ts), and the per-event CallContext of
// lambda/clients.ts, against a local STS (./server/sts.ts) that checks the request and its signature.
import { faults, LocalServer } from './local-server';
import { Parameters } from './server/ssm';
import { Roles, ROLE_SESSION_NAME } from './server/sts';
import { parseXml } from '../../lambda/aws-request';
import * as clients from '../../lambda/clients';
import {
  ACCESS_DENIED_BUDGET_MS, assumeRole, AssumeRoleOptions, DURATION_SECONDS, parseAssumeRoleResponse, REFRESH_MARGIN_MS, resetCredentials,
  roleSessionName, stsEndpoint,
} from '../../lambda/credentials';
import { isRetryable, withRetries } from '../../lambda/retry';

const ROLE = 'arn:aws:iam::111111111111:role/cdk-ibd/Stack-DistributeHandlerRole-1A2B3C';
const OTHER_ROLE = 'arn:aws:iam::111111111111:role/cdk-ibd/Stack-PatchHandlerRole-4D5E6F';
const REQUEST_ID = '0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';
const T0 = Date.parse('2025-06-01T12:00:00.000Z');

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'STS_ENDPOINT', 'SSM_ENDPOINT', 'HANDLER_REQUEST_TIMEOUT_MS'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

let server: LocalServer;
let roles: Roles;
let now: number;
let sleeps: number[];
let options: AssumeRoleOptions;

beforeEach(async () => {
  server = await LocalServer.start();
  now = T0;
  roles = new Roles(server, { clock: () => now });
  for (const k of ENV_KEYS) delete process.env[k];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: 'lambda-token',
    AWS_REGION: 'eu-central-1',
    STS_ENDPOINT: server.endpoint,
    HANDLER_REQUEST_TIMEOUT_MS: '2000',
  });
  clients.resetClients();
  sleeps = [];
  // The clock moves only when the code sleeps.
  options = { now: () => now, sleep: async (ms) => { sleeps.push(ms); now += ms; }, random: () => 0.5 };
});

afterEach(async () => {
  clients.resetClients();
  await server.close();
});

afterAll(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

const assumeCalls = () => server.callsTo('AssumeRole');

describe('roleSessionName', () => {
  test('cdk-ibd- and the CloudFormation request id', () => {
    expect(roleSessionName(REQUEST_ID)).toBe(`cdk-ibd-${REQUEST_ID}`);
    expect(roleSessionName(REQUEST_ID)).toMatch(ROLE_SESSION_NAME);
  });

  test.each([
    ['a request id with spaces/slashes:colons', 'cdk-ibd-a-request-id-with-spaces-slashes-colons'],
    ['', 'cdk-ibd-unknown'],
    [undefined, 'cdk-ibd-unknown'],
    ['ok+=,.@-_chars', 'cdk-ibd-ok+=,.@-_chars'],
  ])('%j becomes %j', (requestId, name) => {
    expect(roleSessionName(requestId)).toBe(name);
    expect(name).toMatch(ROLE_SESSION_NAME);
  });

  test('cut to 64 characters', () => {
    const name = roleSessionName('x'.repeat(100));
    expect(name).toHaveLength(64);
    expect(name).toMatch(ROLE_SESSION_NAME);
    expect(name.startsWith('cdk-ibd-xxx')).toBe(true);
  });
});

describe('stsEndpoint', () => {
  test('the Lambda\'s Region\'s regional endpoint, STS_ENDPOINT overriding it', () => {
    expect(stsEndpoint({ AWS_REGION: 'eu-central-1' })).toBe('https://sts.eu-central-1.amazonaws.com');
    expect(stsEndpoint({ AWS_REGION: 'cn-north-1' })).toBe('https://sts.cn-north-1.amazonaws.com.cn');
    expect(stsEndpoint({ AWS_DEFAULT_REGION: 'us-west-2' })).toBe('https://sts.us-west-2.amazonaws.com');
    expect(stsEndpoint({ AWS_REGION: 'eu-central-1', STS_ENDPOINT: 'http://127.0.0.1:1' })).toBe('http://127.0.0.1:1');
    expect(() => stsEndpoint({})).toThrow('AWS_REGION is not set');
  });
});

describe('the AssumeRole request', () => {
  test('Action, Version, RoleArn, RoleSessionName and DurationSeconds 900, form-encoded, signed for sts with the Lambda\'s keys', async () => {
    roles.add(ROLE);
    const credentials = await assumeRole(ROLE, roleSessionName(REQUEST_ID), options);

    const [call] = assumeCalls();
    expect(call.method).toBe('POST');
    expect(call.path).toBe('/');
    expect(call.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
    expect(call.body).toEqual({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: ROLE,
      RoleSessionName: `cdk-ibd-${REQUEST_ID}`,
      DurationSeconds: String(DURATION_SECONDS),
    });
    expect(DURATION_SECONDS).toBe(900);
    expect(call.rawBody).toBe(`Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(ROLE)}&RoleSessionName=cdk-ibd-${REQUEST_ID}&DurationSeconds=900`);
    // The server verified the signature; the key, Region and token are the Lambda's.
    const [session] = roles.sessions;
    expect(session).toMatchObject({ callerKey: 'test', region: 'eu-central-1', durationSeconds: 900 });
    expect(call.headers['x-amz-security-token']).toBe('lambda-token');
    expect(call.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/eu-central-1\/sts\/aws4_request, /);

    expect(credentials).toEqual({
      accessKeyId: session.accessKeyId,
      secretAccessKey: session.secretAccessKey,
      sessionToken: session.sessionToken,
      expiration: new Date(T0 + 900_000),
    });
  });
});

describe('parseAssumeRoleResponse', () => {
  const answer = (credentials: string) => parseXml(`<?xml version="1.0" encoding="UTF-8"?>
<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>Alice</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>${credentials}</Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`);

  test('reads the four fields (the API reference\'s example answer), entities decoded, whitespace trimmed', () => {
    const doc = answer(`
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>
       AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==
      </SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>`);
    expect(parseAssumeRoleResponse(doc)).toEqual({
      accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
      sessionToken: expect.stringMatching(/^AQoDYXdzEPT\/+wEXAMPLE.*BA==$/),
      expiration: new Date('2019-11-09T13:34:41Z'),
    });
    expect(parseAssumeRoleResponse(answer(`<AccessKeyId>A</AccessKeyId><SecretAccessKey>a&amp;b&lt;c</SecretAccessKey>
      <SessionToken><![CDATA[t<o>k]]></SessionToken><Expiration>2019-11-09T13:34:41.123Z</Expiration>`))).toMatchObject({
      secretAccessKey: 'a&b<c', sessionToken: 't<o>k', expiration: new Date('2019-11-09T13:34:41.123Z'),
    });
  });

  test('an answer without the credentials is a DeserializationError naming what is missing', () => {
    expect(() => parseAssumeRoleResponse(answer('<AccessKeyId>A</AccessKeyId><SecretAccessKey>s</SecretAccessKey><Expiration>soon</Expiration>')))
      .toThrow(expect.objectContaining({ name: 'DeserializationError', message: expect.stringContaining('without SessionToken, Expiration') }));
    expect(() => parseAssumeRoleResponse(parseXml('<AssumeRoleResponse/>'))).toThrow(/without AccessKeyId, SecretAccessKey, SessionToken, Expiration/);
  });

  test('over the wire: an unreadable answer fails naming the role, and is not cached', async () => {
    server.action('AssumeRole', () => ({ body: '<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>' }));
    await expect(assumeRole(ROLE, 'cdk-ibd-x', options)).rejects.toThrow(
      expect.objectContaining({ name: 'DeserializationError', message: expect.stringMatching(`^AssumeRole of ${ROLE} failed: AssumeRole answered without AccessKeyId`) }));
    await expect(assumeRole(ROLE, 'cdk-ibd-x', options)).rejects.toThrow(/answered without/);
    expect(assumeCalls()).toHaveLength(2);
  });
});

describe('caching', () => {
  test('per role ARN, until 2 minutes before Expiration', async () => {
    roles.add(ROLE).add(OTHER_ROLE);
    const first = await assumeRole(ROLE, 'cdk-ibd-1', options);
    expect(await assumeRole(ROLE, 'cdk-ibd-2', options)).toBe(first);
    const other = await assumeRole(OTHER_ROLE, 'cdk-ibd-3', options);
    expect(other.accessKeyId).not.toBe(first.accessKeyId);
    expect(assumeCalls()).toHaveLength(2);

    expect(REFRESH_MARGIN_MS).toBe(120_000);
    now = first.expiration.getTime() - REFRESH_MARGIN_MS - 1;
    expect(await assumeRole(ROLE, 'cdk-ibd-4', options)).toBe(first);
    expect(assumeCalls()).toHaveLength(2);
    now += 1;
    const refreshed = await assumeRole(ROLE, 'cdk-ibd-5', options);
    expect(refreshed.accessKeyId).not.toBe(first.accessKeyId);
    expect(assumeCalls().map((c) => c.body.RoleSessionName)).toEqual(['cdk-ibd-1', 'cdk-ibd-3', 'cdk-ibd-5']);
    // The refreshed credentials are cached in turn.
    expect(await assumeRole(ROLE, 'cdk-ibd-6', options)).toBe(refreshed);
    expect(assumeCalls()).toHaveLength(3);
  });

  test('concurrent requests for one role share one AssumeRole', async () => {
    roles.add(ROLE);
    const all = await Promise.all([1, 2, 3].map((i) => assumeRole(ROLE, `cdk-ibd-${i}`, options)));
    expect(new Set(all).size).toBe(1);
    expect(assumeCalls()).toHaveLength(1);
  });

  test('resetCredentials forgets them', async () => {
    roles.add(ROLE);
    await assumeRole(ROLE, 'cdk-ibd-1', options);
    resetCredentials();
    await assumeRole(ROLE, 'cdk-ibd-1', options);
    expect(assumeCalls()).toHaveLength(2);
  });
});

describe('AccessDenied (a role IAM has not propagated yet)', () => {
  test('is retried with jittered, growing delays until the role can be assumed', async () => {
    roles.add(ROLE, { deniedFor: 4 });
    options = { ...options, random: () => 0.999 };
    const credentials = await assumeRole(ROLE, 'cdk-ibd-1', options);
    expect(credentials.accessKeyId).toBe(roles.sessions[0].accessKeyId);
    expect(assumeCalls()).toHaveLength(5);
    expect(roles.denied).toBe(4);
    // retry.ts's full-jitter backoff from 1 s, doubling (here at the top of the jitter range).
    expect(sleeps).toEqual([999, 1998, 3996, 7992]);
    // ... and with a low draw, a floor keeps the retries from hammering STS.
    resetCredentials();
    roles.add(OTHER_ROLE, { deniedFor: 2 });
    sleeps.length = 0;
    await assumeRole(OTHER_ROLE, 'cdk-ibd-2', { ...options, random: () => 0 });
    expect(sleeps).toEqual([250, 250]);
  });

  test('that persists fails after about 90 s, naming the role and STS\'s reason; not retried by the caller', async () => {
    // No such role (or one that does not trust the handler's role): always AccessDenied.
    const err = await assumeRole(ROLE, 'cdk-ibd-1', options).then(() => undefined, (e) => e);
    expect(err).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(err.message).toBe(`AssumeRole of ${ROLE} was denied for 90 s (${assumeCalls().length} attempts): `
      + `User: arn:aws:sts::111111111111:assumed-role/HandlerRole/provider-onEvent is not authorized to perform: sts:AssumeRole on resource: ${ROLE}. `
      + 'The role must trust the handler\'s role, and the handler\'s role must be allowed sts:AssumeRole on it');
    expect(ACCESS_DENIED_BUDGET_MS).toBe(90_000);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(90_000);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(10_000);
    expect(assumeCalls().length).toBeGreaterThan(10);
    expect(assumeCalls().length).toBeLessThan(40);
    expect(isRetryable(err)).toBe(false);
    expect(err.cause).toMatchObject({ name: 'AccessDenied' });
  });

  test('the budget is wall-clock time when the clock moves (requests take time too)', async () => {
    const slow = { ...options, sleep: async (ms: number) => { sleeps.push(ms); now += ms + 5_000; } };
    await expect(assumeRole(ROLE, 'cdk-ibd-1', slow)).rejects.toThrow(/was denied for 9\d s/);
    expect(sleeps.length).toBeLessThan(assumeCalls().length);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(90_000);
  });
});

describe('other errors', () => {
  test('a non-transient error fails at once, naming the role and the reason', async () => {
    server.inject('AssumeRole', faults.error(400, 'ValidationError', 'Value at roleArn failed to satisfy constraint'));
    const err = await assumeRole(ROLE, 'cdk-ibd-1', options).then(() => undefined, (e) => e);
    expect(err).toMatchObject({
      name: 'ValidationError',
      message: `AssumeRole of ${ROLE} failed: Value at roleArn failed to satisfy constraint`,
      $metadata: { httpStatusCode: 400, requestId: 'req-1' },
    });
    expect(isRetryable(err)).toBe(false);
    expect(sleeps).toEqual([]);
    expect(assumeCalls()).toHaveLength(1);
  });

  test.each([
    faults.error(400, 'Throttling', 'Rate exceeded'),
    faults.error(500, 'InternalFailure', 'Internal error'),
    faults.error(503, 'ServiceUnavailable', 'Unavailable'),
  ])('%j is left to the caller\'s retries (name and status kept), which then succeed', async (fault) => {
    roles.add(ROLE);
    server.inject('AssumeRole', fault);
    const err = await assumeRole(ROLE, 'cdk-ibd-1', options).then(() => undefined, (e) => e);
    expect(err.name).toBe((fault as any).type);
    expect(err.message).toMatch(`AssumeRole of ${ROLE} failed: `);
    expect(isRetryable(err)).toBe(true);
    expect(sleeps).toEqual([]);

    server.inject('AssumeRole', fault, 2);
    resetCredentials();
    const retried: number[] = [];
    const credentials = await withRetries(() => assumeRole(ROLE, 'cdk-ibd-1', options), { sleep: async (ms) => { retried.push(ms); } });
    expect(credentials.accessKeyId).toBe(roles.sessions[0].accessKeyId);
    expect(retried).toHaveLength(2);
    expect(assumeCalls()).toHaveLength(4);
  });

  test('a request that times out is a retryable TimeoutError naming the role', async () => {
    process.env.HANDLER_REQUEST_TIMEOUT_MS = '100';
    resetCredentials();
    server.inject('AssumeRole', faults.slow(1_000));
    const err = await assumeRole(ROLE, 'cdk-ibd-1', options).then(() => undefined, (e) => e);
    expect(err).toMatchObject({ name: 'TimeoutError', message: expect.stringMatching(`^AssumeRole of ${ROLE} failed: sts request to 127.0.0.1:\\d+ timed out after 100 ms`) });
    expect(isRetryable(err)).toBe(true);
  });

  test('without the Lambda\'s own credentials there is nothing to sign with', async () => {
    delete process.env.AWS_SECRET_ACCESS_KEY;
    await expect(assumeRole(ROLE, 'cdk-ibd-1', options)).rejects.toMatchObject({
      name: 'CredentialsProviderError', message: expect.stringMatching(`^AssumeRole of ${ROLE} failed: No AWS credentials`),
    });
    expect(assumeCalls()).toHaveLength(0);
  });
});

describe('clients.callContext and the client caches', () => {
  const event = (requestId: string, roleArn?: string) => ({ RequestId: requestId, ResourceProperties: { ServiceToken: 'x', ...(roleArn ? { RoleArn: roleArn } : {}) } });

  test('without RoleArn: the Lambda\'s own credentials; with it: the role\'s, in a session named after the request', async () => {
    roles.add(ROLE);
    const own = clients.callContext(event('r-1'));
    expect(own).toBe(clients.LAMBDA_CREDENTIALS);
    expect(own.roleArn).toBeUndefined();
    await expect(own.credentials()).resolves.toEqual({ accessKeyId: 'test', secretAccessKey: 'test', sessionToken: 'lambda-token' });
    expect(assumeCalls()).toHaveLength(0);

    const role = clients.callContext(event(REQUEST_ID, ROLE), options);
    expect(role.roleArn).toBe(ROLE);
    expect(assumeCalls()).toHaveLength(0); // assumed on first use only
    const credentials = await role.credentials();
    expect(credentials.accessKeyId).toBe(roles.sessions[0].accessKeyId);
    expect(roles.sessions[0].sessionName).toBe(`cdk-ibd-${REQUEST_ID}`);
  });

  test.each([[''], [42], [{ 'Fn::GetAtt': ['Role', 'Arn'] }]])('RoleArn %j is refused', (roleArn) => {
    expect(() => clients.callContext({ RequestId: 'r', ResourceProperties: { RoleArn: roleArn } })).toThrow(/Property RoleArn must be the ARN of the IAM role/);
  });

  test('a client made for one role is never used for another role or for none; later events of a role reuse it', async () => {
    roles.add(ROLE).add(OTHER_ROLE);
    const ssm = new Parameters(server);
    ssm.params.set('/p', { value: 'v', type: 'String', tier: 'Standard', version: 1 });
    process.env.SSM_ENDPOINT = server.endpoint;
    const a1 = clients.callContext(event('r-1', ROLE), options);
    const b = clients.callContext(event('r-2', OTHER_ROLE), options);
    const own = clients.callContext(event('r-3'), options);
    const a2 = clients.callContext(event('r-4', ROLE), options);

    expect(clients.ssm(a1)).not.toBe(clients.ssm(b));
    expect(clients.ssm(a1)).not.toBe(clients.ssm(own));
    expect(clients.ssm(b)).not.toBe(clients.ssm(own));
    expect(clients.ssm(a2)).toBe(clients.ssm(a1));
    expect(clients.ec2(a1, 'us-east-1')).not.toBe(clients.ec2(b, 'us-east-1'));
    expect(clients.ec2(a1, 'us-east-1')).not.toBe(clients.ec2(a1, 'eu-west-1'));
    expect(clients.ec2(a1, 'us-east-1')).toBe(clients.ec2(a2, 'us-east-1'));
    expect(clients.imagebuilder(a1)).not.toBe(clients.imagebuilder(own));
    expect(clients.imagebuilder(a1)).not.toBe(clients.imagebuilder(b));
    expect(clients.imagebuilder(a2)).toBe(clients.imagebuilder(a1));

    for (const context of [a1, b, own, a2]) await clients.ssm(context).getParameter({ Name: '/p' });
    const keys = server.callsTo('GetParameter').map((c) => /Credential=([^/]+)\//.exec(String(c.headers.authorization))![1]);
    const [sessionA, sessionB] = roles.sessions;
    expect(keys).toEqual([sessionA.accessKeyId, sessionB.accessKeyId, 'test', sessionA.accessKeyId]);
    expect(roles.sessions).toHaveLength(2); // role A's credentials were cached for r-4

    // When role A's credentials need refreshing, the reused client assumes it in a session named after the current request.
    now = Date.parse(sessionA.expiration);
    const a3 = clients.callContext(event('r-5', ROLE), options);
    await clients.ssm(a3).getParameter({ Name: '/p' });
    expect(roles.sessions.map((s) => s.sessionName)).toEqual(['cdk-ibd-r-1', 'cdk-ibd-r-2', 'cdk-ibd-r-5']);
    expect(server.callsTo('GetParameter').pop()!.headers.authorization).toContain(`Credential=${roles.sessions[2].accessKeyId}/`);
  });
});
