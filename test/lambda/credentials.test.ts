// STS AssumeRole for the per-resource roles (lambda/credentials.ts), and the per-event CallContext of
// lambda/clients.ts, against a local STS (./server/sts.ts) that checks the request and its signature.
import { GetDistributionConfigurationCommand } from '@aws-sdk/client-imagebuilder';
import { faults, LocalServer, ServiceError } from './local-server';
import { verifySigV4 } from './server/sigv4';
import { Parameters } from './server/ssm';
import { Roles, ROLE_SESSION_NAME } from './server/sts';
import { parseXml } from '../../lambda/aws-request';
import * as clients from '../../lambda/clients';
import {
  ACCESS_DENIED_BUDGET_MS, assumeRole, AssumeRoleOptions, DURATION_SECONDS, forgetCredentials, parseAssumeRoleResponse, REFRESH_MARGIN_MS,
  resetCredentials, roleSessionName, stsEndpoint,
} from '../../lambda/credentials';
import { call as callWithRetries } from '../../lambda/errors';
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
  test('per role ARN and session name, until 5 minutes before Expiration (the SDK\'s own early expiry)', async () => {
    roles.add(ROLE).add(OTHER_ROLE);
    const first = await assumeRole(ROLE, 'cdk-ibd-1', options);
    expect(await assumeRole(ROLE, 'cdk-ibd-1', options)).toBe(first);
    const other = await assumeRole(OTHER_ROLE, 'cdk-ibd-1', options);
    expect(other.accessKeyId).not.toBe(first.accessKeyId);
    expect(assumeCalls()).toHaveLength(2);

    // @smithy/core's EXPIRATION_MS: the SDK treats credentials as expired 5 minutes early.
    expect(REFRESH_MARGIN_MS).toBe(300_000);
    now = first.expiration.getTime() - REFRESH_MARGIN_MS - 1;
    expect(await assumeRole(ROLE, 'cdk-ibd-1', options)).toBe(first);
    expect(assumeCalls()).toHaveLength(2);
    now += 1;
    const refreshed = await assumeRole(ROLE, 'cdk-ibd-1', options);
    expect(refreshed.accessKeyId).not.toBe(first.accessKeyId);
    expect(assumeCalls().map((c) => [c.body.RoleArn, c.body.RoleSessionName])).toEqual([[ROLE, 'cdk-ibd-1'], [OTHER_ROLE, 'cdk-ibd-1'], [ROLE, 'cdk-ibd-1']]);
    // The refreshed credentials are cached in turn.
    expect(await assumeRole(ROLE, 'cdk-ibd-1', options)).toBe(refreshed);
    expect(assumeCalls()).toHaveLength(3);
  });

  test('another session name (another CloudFormation request) assumes the role again: credentials never carry an earlier request\'s name', async () => {
    roles.add(ROLE);
    const first = await assumeRole(ROLE, 'cdk-ibd-request-1', options);
    const second = await assumeRole(ROLE, 'cdk-ibd-request-2', options);
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(roles.sessions.map((x) => x.sessionName)).toEqual(['cdk-ibd-request-1', 'cdk-ibd-request-2']);
    expect(roles.sessionOfKey(second.accessKeyId)!.sessionName).toBe('cdk-ibd-request-2');
    // Both stay cached (each for its own request).
    expect(await assumeRole(ROLE, 'cdk-ibd-request-1', options)).toBe(first);
    expect(await assumeRole(ROLE, 'cdk-ibd-request-2', options)).toBe(second);
    expect(assumeCalls()).toHaveLength(2);
  });

  test('expired entries are dropped when new credentials are cached', async () => {
    roles.add(ROLE);
    const old = await assumeRole(ROLE, 'cdk-ibd-old', options);
    now = old.expiration.getTime();
    await assumeRole(ROLE, 'cdk-ibd-new', options);
    // The old entry is gone: its session is assumed again rather than refreshed (a refresh would not retry AccessDenied).
    roles.add(ROLE, { deniedFor: 1 });
    await assumeRole(ROLE, 'cdk-ibd-old', options);
    expect(sleeps).toHaveLength(1);
    expect(roles.sessions.map((x) => x.sessionName)).toEqual(['cdk-ibd-old', 'cdk-ibd-new', 'cdk-ibd-old']);
  });

  test('concurrent requests for one role and session share one AssumeRole', async () => {
    roles.add(ROLE);
    const all = await Promise.all([1, 2, 3].map(() => assumeRole(ROLE, 'cdk-ibd-1', options)));
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

  test('forgetCredentials drops one role\'s session (after ExpiredToken): the next request assumes the role again', async () => {
    roles.add(ROLE);
    const first = await assumeRole(ROLE, 'cdk-ibd-1', options);
    const other = await assumeRole(ROLE, 'cdk-ibd-2', options);
    expect(forgetCredentials(ROLE, 'cdk-ibd-1')).toBe(true);
    expect(forgetCredentials(ROLE, 'cdk-ibd-1')).toBe(false);
    const fresh = await assumeRole(ROLE, 'cdk-ibd-1', options);
    expect(fresh.accessKeyId).not.toBe(first.accessKeyId);
    expect(await assumeRole(ROLE, 'cdk-ibd-2', options)).toBe(other);
    expect(assumeCalls()).toHaveLength(3);
  });
});

describe('a refresh that fails (within the refresh margin)', () => {
  async function cachedThenInMargin() {
    roles.add(ROLE);
    const cached = await assumeRole(ROLE, 'cdk-ibd-1', options);
    now = cached.expiration.getTime() - REFRESH_MARGIN_MS + 1_000;
    return cached;
  }

  test.each([
    ['a throttled STS', faults.error(400, 'Throttling', 'Rate exceeded')],
    ['an STS error', faults.error(500, 'InternalFailure', 'Internal error')],
    ['AccessDenied (not waited for: the role was assumable minutes ago)', faults.error(403, 'AccessDenied', 'not authorized')],
  ])('%s: the cached credentials are used while they are valid', async (_what, fault) => {
    const cached = await cachedThenInMargin();
    server.inject('AssumeRole', fault);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(await assumeRole(ROLE, 'cdk-ibd-1', options)).toBe(cached);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(`Refreshing the credentials of ${ROLE} failed; using the cached ones until they expire at ${cached.expiration.toISOString()}`));
    } finally {
      warn.mockRestore();
    }
    expect(sleeps).toEqual([]);
    expect(assumeCalls()).toHaveLength(2);
    // The next request tries the refresh again, and caches what it gets.
    const refreshed = await assumeRole(ROLE, 'cdk-ibd-1', options);
    expect(refreshed.accessKeyId).not.toBe(cached.accessKeyId);
    expect(await assumeRole(ROLE, 'cdk-ibd-1', options)).toBe(refreshed);
    expect(assumeCalls()).toHaveLength(3);
  });

  test('the error is thrown once the cached credentials have expired (meanwhile too)', async () => {
    const cached = await cachedThenInMargin();
    // The clock passes the expiration while the refresh is under way.
    server.action('AssumeRole', () => {
      now = cached.expiration.getTime();
      throw new ServiceError(500, 'InternalFailure', 'Internal error');
    });
    await expect(assumeRole(ROLE, 'cdk-ibd-1', options)).rejects.toMatchObject({ name: 'InternalFailure', message: `AssumeRole of ${ROLE} failed: Internal error` });
    // Expired in the cache: a full AssumeRole, which fails the same way.
    await expect(assumeRole(ROLE, 'cdk-ibd-1', options)).rejects.toMatchObject({ name: 'InternalFailure' });
  });
});

describe('the invocation\'s deadline', () => {
  test('AccessDenied is not retried past it: the error names the role, the attempts and STS\'s reason', async () => {
    // 30 s left: each retry must fit its backoff and one whole request (here 2 s) before the deadline.
    const deadline = now + 30_000;
    const err = await assumeRole(ROLE, 'cdk-ibd-1', { ...options, deadline, attemptMs: 2_000 }).then(() => undefined, (e) => e);
    expect(err).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(err.message).toMatch(new RegExp(`^AssumeRole of ${ROLE} was denied for \\d+ s \\(\\d+ attempts; no time left for another before the invocation ends\\): `
      + `User: .* is not authorized to perform: sts:AssumeRole on resource: ${ROLE}\\. The role must trust the handler's role`));
    expect(now).toBeLessThanOrEqual(deadline - 2_000);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(30_000);
    expect(assumeCalls().length).toBeGreaterThan(2);
  });

  test('a deadline farther than the budget changes nothing; one already passed allows no retry', async () => {
    roles.add(ROLE, { deniedFor: 2 });
    await assumeRole(ROLE, 'cdk-ibd-1', { ...options, deadline: now + 3_600_000 });
    expect(sleeps).toHaveLength(2);
    resetCredentials();
    roles.add(OTHER_ROLE, { deniedFor: 1 });
    await expect(assumeRole(OTHER_ROLE, 'cdk-ibd-1', { ...options, deadline: now - 1 })).rejects.toThrow(/was denied for 0 s \(1 attempts; no time left/);
  });

  test('the per-request timeout is the default attempt length', async () => {
    process.env.HANDLER_REQUEST_TIMEOUT_MS = '10000';
    resetCredentials();
    const deadline = now + 10_400;
    await expect(assumeRole(ROLE, 'cdk-ibd-1', { ...options, deadline })).rejects.toThrow(/no time left/);
    // A first retry after 500 ms (the jitter draw is 0.5) plus a 10 s request would end after the deadline.
    expect(assumeCalls()).toHaveLength(1);
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

  test('a network error keeps its code (retried by the caller), naming the role', async () => {
    process.env.STS_ENDPOINT = 'http://127.0.0.1:1';
    resetCredentials();
    const err = await assumeRole(ROLE, 'cdk-ibd-1', options).then(() => undefined, (e) => e);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', message: expect.stringMatching(`^AssumeRole of ${ROLE} failed: `) });
    expect(isRetryable(err)).toBe(true);
  });

  test('without injected sleep and clock, the real ones are used', async () => {
    roles.add(ROLE, { deniedFor: 1 });
    // A budget of 20 ms: the one delay is cut to what is left of it.
    const started = Date.now();
    await assumeRole(ROLE, 'cdk-ibd-1', { accessDeniedBudgetMs: 20 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(assumeCalls()).toHaveLength(2);
  });

  test('without the Lambda\'s own credentials there is nothing to sign with', async () => {
    delete process.env.AWS_SECRET_ACCESS_KEY;
    await expect(assumeRole(ROLE, 'cdk-ibd-1', options)).rejects.toMatchObject({
      name: 'CredentialsProviderError', message: expect.stringMatching(`^AssumeRole of ${ROLE} failed: No AWS credentials`),
    });
    expect(assumeCalls()).toHaveLength(0);
  });
});

const event = (requestId: string, roleArn?: string) => ({ RequestId: requestId, ResourceProperties: { ServiceToken: 'x', ...(roleArn ? { RoleArn: roleArn } : {}) } });

describe('clients.callContext and the client caches', () => {

  test('without RoleArn: the Lambda\'s own credentials; with it: the role\'s, in a session named after the request', async () => {
    roles.add(ROLE);
    const own = clients.callContext(event('r-1'));
    expect(own).toBe(clients.LAMBDA_CREDENTIALS);
    expect(own.roleArn).toBeUndefined();
    await expect(own.credentials()).resolves.toEqual({ accessKeyId: 'test', secretAccessKey: 'test', sessionToken: 'lambda-token' });
    expect(assumeCalls()).toHaveLength(0);

    const role = clients.callContext(event(REQUEST_ID, ROLE), { retry: options });
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
    const ssm = new Parameters(server, 'eu-central-1'); // the Lambda's Region here
    ssm.params.set('/p', { value: 'v', type: 'String', tier: 'Standard', version: 1 });
    process.env.SSM_ENDPOINT = server.endpoint;
    const a1 = clients.callContext(event('r-1', ROLE), { retry: options });
    const b = clients.callContext(event('r-2', OTHER_ROLE), { retry: options });
    const own = clients.callContext(event('r-3'), { retry: options });
    const a2 = clients.callContext(event('r-4', ROLE), { retry: options });

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
    expect(clients.imagebuilder(a1, 'eu-west-1')).not.toBe(clients.imagebuilder(a1));
    await expect(clients.imagebuilder(a1, 'eu-west-1').config.region()).resolves.toBe('eu-west-1');
    await expect(clients.imagebuilder(a1).config.region()).resolves.toBe('eu-central-1');

    for (const context of [a1, b, own, a2]) await clients.ssm(context).getParameter({ Name: '/p' });
    const keys = server.callsTo('GetParameter').map((c) => /Credential=([^/]+)\//.exec(String(c.headers.authorization))![1]);
    // r-4 reuses role A's client, but not r-1's credentials: it assumes the role in a session named after itself.
    expect(roles.sessions.map((x) => [x.roleArn, x.sessionName])).toEqual([[ROLE, 'cdk-ibd-r-1'], [OTHER_ROLE, 'cdk-ibd-r-2'], [ROLE, 'cdk-ibd-r-4']]);
    const [sessionA, sessionB, sessionA4] = roles.sessions;
    expect(keys).toEqual([sessionA.accessKeyId, sessionB.accessKeyId, 'test', sessionA4.accessKeyId]);

    // When r-4's credentials need refreshing (a long event), they are refreshed in r-4's session.
    now = Date.parse(sessionA4.expiration) - REFRESH_MARGIN_MS;
    await clients.ssm(a2).getParameter({ Name: '/p' });
    expect(roles.sessions.map((x) => x.sessionName)).toEqual(['cdk-ibd-r-1', 'cdk-ibd-r-2', 'cdk-ibd-r-4', 'cdk-ibd-r-4']);
    expect(server.callsTo('GetParameter').pop()!.headers.authorization).toContain(`Credential=${roles.sessions[3].accessKeyId}/`);
  });
});

describe('the Image Builder SDK client', () => {
  const ARN = 'arn:aws:imagebuilder:eu-central-1:111111111111:distribution-configuration/cfg';
  const expired = () => faults.error(403, 'ExpiredTokenException', 'The security token included in the request is expired');
  const get = (context: clients.CallContext) =>
    clients.imagebuilder(context).send(new GetDistributionConfigurationCommand({ distributionConfigurationArn: ARN }));
  const signers = () => server.callsTo('GetDistributionConfiguration').map((c) => verifySigV4(c, 'imagebuilder').accessKeyId);

  beforeEach(() => {
    // A real clock: credentials expire 15 minutes from now, so the SDK would keep them if it cached them itself.
    now = Date.now();
    process.env.IMAGEBUILDER_ENDPOINT = server.endpoint;
    server.route('GET', '/GetDistributionConfiguration', () => ({ body: { distributionConfiguration: { arn: ARN, name: 'cfg', distributions: [], timeoutMinutes: 720 } } }));
    roles.add(ROLE);
  });
  afterEach(() => {
    delete process.env.IMAGEBUILDER_ENDPOINT;
  });

  test('asks for credentials on every request: a client shared by a role\'s events signs each event\'s calls with its own session', async () => {
    const r1 = clients.callContext(event('r-1', ROLE), { retry: options });
    const r2 = clients.callContext(event('r-2', ROLE), { retry: options });
    expect(clients.imagebuilder(r2)).toBe(clients.imagebuilder(r1));
    await get(r1);
    await get(r2);
    await get(r1);
    const [s1, s2] = roles.sessions;
    expect(roles.sessions.map((x) => x.sessionName)).toEqual(['cdk-ibd-r-1', 'cdk-ibd-r-2']);
    expect(signers()).toEqual([s1.accessKeyId, s2.accessKeyId, s1.accessKeyId]);

    // Refreshed when our cache says so (5 minutes before expiry), not kept by the SDK.
    now = Date.parse(s2.expiration) - REFRESH_MARGIN_MS;
    await get(r2);
    expect(roles.sessions.map((x) => x.sessionName)).toEqual(['cdk-ibd-r-1', 'cdk-ibd-r-2', 'cdk-ibd-r-2']);
    expect(signers().pop()).toBe(roles.sessions[2].accessKeyId);
  });

  test('ExpiredToken: the cached credentials are dropped and the call is made once more, at once, with fresh ones', async () => {
    const context = clients.callContext(event('r-1', ROLE), { retry: options });
    await get(context);
    server.inject('GetDistributionConfiguration', expired());
    await expect(callWithRetries(context, 'GetDistributionConfiguration', ARN, () => get(context))).resolves.toMatchObject({ distributionConfiguration: { arn: ARN } });
    expect(roles.sessions.map((x) => x.sessionName)).toEqual(['cdk-ibd-r-1', 'cdk-ibd-r-1']);
    expect(signers()).toEqual([roles.sessions[0].accessKeyId, roles.sessions[0].accessKeyId, roles.sessions[1].accessKeyId]);
    expect(sleeps).toEqual([]);
  });

  test('only once: a second ExpiredToken fails the call with the service\'s reason', async () => {
    const context = clients.callContext(event('r-1', ROLE), { retry: options });
    server.inject('GetDistributionConfiguration', expired(), 2);
    await expect(callWithRetries(context, 'GetDistributionConfiguration', ARN, () => get(context))).rejects.toThrow(
      `GetDistributionConfiguration on ${ARN} failed: ExpiredTokenException (HTTP 403): The security token included in the request is expired`);
    expect(server.count('GetDistributionConfiguration')).toBe(2);
    expect(roles.sessions).toHaveLength(2);
  });

  test('with the Lambda\'s own credentials there is nothing to renew: ExpiredToken fails at once', async () => {
    server.inject('GetDistributionConfiguration', expired());
    await expect(callWithRetries(clients.LAMBDA_CREDENTIALS, 'GetDistributionConfiguration', ARN, () => get(clients.LAMBDA_CREDENTIALS)))
      .rejects.toThrow('ExpiredTokenException');
    expect(server.count('GetDistributionConfiguration')).toBe(1);
    expect(assumeCalls()).toHaveLength(0);
  });
});
