// Many writers of one distribution configuration at once, over the wire: the handler (each writer with its own role,
// baseline and CloudFormation request) against the local Image Builder, SSM and STS. Every writer's change must end
// present, or the writer must fail with a clear reason; none may report success for a change that is not there.
// With IAM evaluated (server/iam.ts): each writer is a patch of its own synthesized stack, whose provider role (the
// Lambda's keys) assumes the patch role, and every call is authorized against the roles those stacks synthesize.
import { App, Stack } from 'aws-cdk-lib';
import type { CdkCustomResourceEvent } from 'aws-lambda';
import { setLambdaEnvironment } from './lambda-environment';
import { faults, LocalServer, ReceivedRequest } from './local-server';
import { IamAuthorizer } from './server/iam';
import { DistributionConfigurations } from './server/imagebuilder';
import { ARN, createEvent, deleteEvent, exportPatch, fullDistribution, S3_EXPORT, updateEvent } from './server/patch-fixtures';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import * as clients from '../../lambda/clients';
import { MAX_WRITE_ROUNDS } from '../../lambda/distribution-configuration-patch';
import { entryPoints } from '../../lambda/index';
import {
  CLOCK_SKEW_MS, LEASE_PARAMETER_PREFIX, LEASE_TTL_MS, leaseLocation, LeaseValue, withLease,
} from '../../lambda/lease';
import { DistributionConfiguration, DistributionConfigurationPatch } from '../../src';
import type { PatchDocument } from '../../src/private/handler-contract';
import { IamRoles } from '../util/iam-template';

jest.mock('../../lambda/distribute-image', () => ({ onEvent: jest.fn(), isComplete: jest.fn() }), { virtual: true });

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'IMAGEBUILDER_ENDPOINT', 'SSM_ENDPOINT', 'STS_ENDPOINT',
  'HANDLER_REQUEST_TIMEOUT_MS', 'AWS_EC2_METADATA_DISABLED'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
const LEASE = leaseLocation(ARN).name;
const ACCOUNT = ARN.split(':')[4];
/** A configuration in another Region: the lease is taken there. */
const WEST_ARN = `arn:aws:imagebuilder:eu-west-1:${ACCOUNT}:distribution-configuration/shared`;

const WRITER_COUNTS = [2, 3, 5, 10];
/** Runs per order and writer count. */
const RUNS = 3;
/** The writers' numbers (writer(i)): those of the runs at once, in both orders, and of the tests of a few writers. */
const WRITERS = [...new Set([
  ...Array.from({ length: RUNS }, (_, run) =>
    Array.from({ length: Math.max(...WRITER_COUNTS) }, (__, k) => [1000 * run + k, 1000 * run + 100 + k])).flat(2),
  11, 12, 13,
])];
const PATCH_TYPE = 'Custom::ImageBuilderDistributionConfigurationPatch';
/** The stack whose patches of one configuration share its role and baseline: renames and moves within a stack. */
const MOVES = 'Moves';

/**
 * The stacks as synthesized: `Writer<i>` with one patch adding account 500000000000 + i to us-east-1, and `Moves` with
 * a patch of ARN and one of WEST_ARN. One synthesis of one app for all of them.
 */
function synthesize(): IamRoles {
  const app = new App();
  const stacks: Stack[] = [];
  const patchOf = (stack: Stack, id: string, arn: string) => new DistributionConfigurationPatch(stack, id, {
    distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(stack, `${id}Config`, arn),
  });
  for (const i of WRITERS) {
    const stack = new Stack(app, `Writer${i}`, { env: { account: ACCOUNT, region: 'us-east-1' } });
    patchOf(stack, 'Patch', ARN).addTargetAccounts('us-east-1', String(500000000000 + i));
    stacks.push(stack);
  }
  const moves = new Stack(app, MOVES, { env: { account: ACCOUNT, region: 'us-east-1' } });
  patchOf(moves, 'Patch', ARN).addTargetAccounts('us-east-1', '700000000001');
  patchOf(moves, 'West', WEST_ARN).addTargetAccounts('eu-west-1', '700000000001');
  stacks.push(moves);
  const assembly = app.synth();
  return IamRoles.fromTemplates(
    Object.fromEntries(stacks.map((stack) => [stack.stackName, assembly.getStackByName(stack.stackName).template])), { account: ACCOUNT, region: 'us-east-1' });
}

const world = synthesize();
/** The resolved properties of stack `stack`'s patch `id`. */
const synthesized = (stack: string, id = 'Patch'): Record<string, string> => world.propertiesOf(PATCH_TYPE, id, stack);
/** The provider role of stack `stack`: what its Lambda's own keys belong to. */
const providerRoleOf = (stack: string) => world.all.find((r) => r.stack === stack && r.logicalId.startsWith('ImageBuilderDistributionProviderRole'))?.arn;
/**
 * The Lambdas of all the stacks share this process's keys: a request signed with them is made as the provider role of
 * the stack whose event it serves, which the event's RequestId names (`<stack>.<n>`) and the AssumeRole session carries.
 */
const baseRoleOf = (req: ReceivedRequest) =>
  req.operation === 'AssumeRole' ? providerRoleOf(/^cdk-ibd-([^.]+)\./.exec(String(req.body?.RoleSessionName))?.[1] ?? '') : undefined;
let requests = 0;
/** `event` as stack `stack`'s Lambda receives it. */
const servedBy = <E extends CdkCustomResourceEvent>(stack: string, event: E): E => ({ ...event, RequestId: `${stack}.${++requests}` });

let server: LocalServer;
let ib: DistributionConfigurations;
let ssm: Parameters;
let iam: IamAuthorizer;
let expectedDenials: unknown[] = [];
/**
 * A clock that moves when a writer sleeps, as a discrete-event simulation: a sleeper wakes at its own now + delay,
 * and concurrent sleeps overlap instead of adding up (so waiting writers do not age the holder's lease).
 */
let offset = 0;
const now = () => Date.now() + offset;
const sleep = async (ms: number) => {
  const wake = now() + ms;
  await new Promise((r) => setTimeout(r, 1));
  offset = Math.max(offset, wake - Date.now());
};
/** The calls' backoff and the lease's waits on that clock. */
const seams = { retry: { maxAttempts: 5, sleep, now } };
const { onEvent: route } = entryPoints(seams);

beforeEach(async () => {
  server = await LocalServer.start();
  ib = new DistributionConfigurations(server);
  ssm = new Parameters(server);
  iam = new IamAuthorizer(world, { account: ACCOUNT, baseRoleOf }).attach(server);
  new Roles(server, { clock: now, iam });
  setLambdaEnvironment(server, {
    HANDLER_REQUEST_TIMEOUT_MS: '2000',
  });
  clients.resetClients();
  offset = 0;
  ib.put({ arn: ARN, name: 'imported-dist', description: 'owned by another team', distributions: [fullDistribution('us-east-1'), fullDistribution('us-west-2')] });
});

afterEach(async () => {
  clients.resetClients();
  await server.close();
  // Every call was authorized, unless a test looked for the denial.
  expect(iam.denials).toEqual(expectedDenials);
  expectedDenials = [];
});

afterAll(() => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** The Moves stack's patch of ARN, making `patch`. */
const props = (patch: PatchDocument): Record<string, string> => ({ ...synthesized(MOVES), Patch: JSON.stringify(patch), BaseHash: 'h1' });

/** Writer i: its own stack's patch (role, baseline), adding its own account to us-east-1, or making `patch`. */
function writer(i: number, patch?: PatchDocument) {
  const stack = `Writer${i}`;
  const synthesizedProps = synthesized(stack);
  const writerProps: Record<string, string> = { ...synthesizedProps, ...(patch ? { Patch: JSON.stringify(patch) } : {}), BaseHash: 'h1' };
  return {
    account: String(500000000000 + i),
    props: writerProps,
    create: () => route(servedBy(stack, createEvent(writerProps))),
    remove: (physicalId: string) => route(servedBy(stack, deleteEvent(physicalId, writerProps))),
  };
}

const accounts = () => ib.get(ARN)!.distributions[0].amiDistributionConfiguration.targetAccountIds as string[];
const leases = () => [...ssm.params.keys()].filter((k) => k.startsWith(LEASE_PARAMETER_PREFIX));

/** Some answers slower than others, so that the writers' calls interleave differently from run to run. */
function jitter(seed: number) {
  for (const [i, op] of ['GetDistributionConfiguration', 'PutParameter', 'GetParameter', 'UpdateDistributionConfiguration'].entries()) {
    for (let k = 0; k < 4; k++) server.inject(op, faults.slow(((seed * 7 + i * 13 + k * 5) % 11) * 3));
  }
}

/** Runs the writers at once; the accounts whose writer reported success but are not in the configuration. */
async function runConcurrently(ws: ReturnType<typeof writer>[]) {
  const results = await Promise.allSettled(ws.map((w) => w.create()));
  const succeeded = ws.filter((_, i) => results[i].status === 'fulfilled');
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String(r.reason?.message));
  const lost = succeeded.filter((w) => !accounts().includes(w.account)).map((w) => w.account);
  return { succeeded: succeeded.length, failures, lost };
}

/** Per writer (its session's key): the span from its first configuration read to its last write; none overlap. */
function expectNoOverlap(writers: number) {
  const spans = new Map<string, [number, number]>();
  server.calls.forEach((c, index) => {
    if (c.operation !== 'GetDistributionConfiguration' && c.operation !== 'UpdateDistributionConfiguration') return;
    const key = /Credential=([^/]+)/.exec(String(c.headers.authorization))![1];
    const span = spans.get(key);
    spans.set(key, span ? [span[0], index] : [index, index]);
  });
  const sorted = [...spans.values()].sort((a, b) => a[0] - b[0]);
  expect(sorted).toHaveLength(writers);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThan(sorted[i - 1][1]);
}

describe('patch / patch', () => {
  test.each(WRITER_COUNTS)('%i writers at once, in both orders, several runs: every change is there, no lease is left', async (n) => {
    let lost = 0;
    for (let run = 0; run < RUNS; run++) {
      for (const order of ['forward', 'reverse']) {
        ib.put({ arn: ARN, name: 'imported-dist', distributions: [fullDistribution('us-east-1')] });
        const ws = Array.from({ length: n }, (_, i) => writer(1000 * run + (order === 'forward' ? i : 100 + n - 1 - i)));
        jitter(n + run);
        const result = await runConcurrently(ws);
        expect(result.failures).toEqual([]);
        expect(result.succeeded).toBe(n);
        lost += result.lost.length;
        expect(leases()).toEqual([]);
      }
    }
    // README.md quotes this: no change lost over all the runs.
    expect(lost).toBe(0);
  });

  test('the lease is taken before the read and released after the write: no two writers\' read-to-write spans overlap', async () => {
    const ws = Array.from({ length: 5 }, (_, i) => writer(i));
    jitter(3);
    await runConcurrently(ws);
    expectNoOverlap(5);
  });
});

test('each writer is held to its own synthesized role: without its SSM grant one writer is denied the lease; the others\' changes are there', async () => {
  const ws = [1, 2, 3].map((i) => writer(i));
  const denied = ws[1].props.RoleArn;
  const grant = world.statementsOf(denied).findIndex(({ statement }) => [statement.Action].flat().includes('ssm:PutParameter'));
  expect(grant).toBeGreaterThanOrEqual(0);
  iam.world = world.withoutStatement(denied, grant);
  const { succeeded, failures, lost } = await runConcurrently(ws);
  expect(succeeded).toBe(2);
  expect(failures).toEqual([expect.stringMatching(new RegExp(`^ssm:PutParameter on ${LEASE} failed: AccessDeniedException \\(HTTP 400\\): User: \\S+/${denied.split('/').pop()}/`))]);
  expect(lost).toEqual([]);
  expect(accounts()).not.toContain(ws[1].account);
  expect(leases()).toEqual([]);
  expectedDenials = [expect.objectContaining({ action: 'ssm:PutParameter', operation: 'PutParameter' })];
});

test('patch / export: an account share and an S3 export at once both end in the configuration', async () => {
  for (const reverse of [false, true]) {
    ib.put({ arn: ARN, name: 'imported-dist', distributions: [fullDistribution('us-east-1')] });
    const ws = [writer(1), writer(2, exportPatch)];
    if (reverse) ws.reverse();
    jitter(reverse ? 2 : 1);
    const results = await Promise.all(ws.map((w) => w.create()));
    expect(results).toHaveLength(2);
    const east = ib.get(ARN)!.distributions[0];
    expect(east.amiDistributionConfiguration.targetAccountIds).toContain('500000000001');
    expect(east.s3ExportConfiguration).toEqual(S3_EXPORT);
  }
});

test('patch / delete: one writer\'s undo and others\' patches at once: the undone change is gone, the others are there', async () => {
  for (const reverse of [false, true]) {
    ib.put({ arn: ARN, name: 'imported-dist', distributions: [fullDistribution('us-east-1')] });
    const leaving = writer(reverse ? 11 : 1);
    const created = await leaving.create();
    const joining = [writer(reverse ? 12 : 2), writer(reverse ? 13 : 3)];
    jitter(reverse ? 5 : 4);
    const events = [leaving.remove(created.PhysicalResourceId!), ...joining.map((w) => w.create())];
    await Promise.all(reverse ? events.reverse() : events);
    expect(accounts()).not.toContain(leaving.account);
    for (const w of joining) expect(accounts()).toContain(w.account);
    expect(accounts()).toContain('111111111111');
    expect(leases()).toEqual([]);
  }
});

describe('a writer that crashed while holding the lease', () => {
  /** What a crashed writer leaves: its lease, valid for the TTL from when it took it. */
  function crashedLease(name = LEASE, owner = 'crashed-stack Patch request-0') {
    const lease: LeaseValue = { owner, nonce: 'c0ffee', expires: new Date(now() + LEASE_TTL_MS).toISOString() };
    ssm.params.set(name, { value: JSON.stringify(lease), type: 'String', tier: 'Standard', version: 1 });
    return lease;
  }

  test('others wait until it expires (plus the clock-skew margin), take it over, and all their changes are there', async () => {
    const crashedAt = now();
    crashedLease();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const ws = [1, 2, 3].map((i) => writer(i));
    const { succeeded, failures, lost } = await runConcurrently(ws);
    warn.mockRestore();
    expect(failures).toEqual([]);
    expect(succeeded).toBe(3);
    expect(lost).toEqual([]);
    // The cost of the crash: the others waited out the lease, not longer than a few polls past it.
    const waited = now() - crashedAt;
    expect(waited).toBeGreaterThan(LEASE_TTL_MS + CLOCK_SKEW_MS);
    expect(waited).toBeLessThan(LEASE_TTL_MS + CLOCK_SKEW_MS + 30_000);
    expect(leases()).toEqual([]);
  });

  test('of writers that find the same expired lease, one takes it over; the others wait for it', async () => {
    crashedLease();
    // The first takeover's overwrite is slow, so the other takers read the expired lease again before it lands.
    let slowed = false;
    server.addCheck({
      request: async (req) => {
        if (req.operation === 'PutParameter' && req.body.Name === LEASE && req.body.Overwrite === true && !slowed) {
          slowed = true;
          await new Promise((r) => setTimeout(r, 50));
        }
      },
    });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const { succeeded, lost } = await runConcurrently([1, 2, 3].map((i) => writer(i)));
    const takeovers = warn.mock.calls.filter(([m]) => String(m).startsWith(`Taking over the lease ${LEASE}`)).length;
    warn.mockRestore();
    expect(slowed).toBe(true);
    expect(takeovers).toBe(1);
    expect(succeeded).toBe(3);
    expect(lost).toEqual([]);
    expectNoOverlap(3);
  });

  test('a writer that crashed while taking over a crashed writer\'s lease is recovered from the same way', async () => {
    const first = crashedLease();
    crashedLease(`${LEASE}.${first.nonce}`, 'crashed-taker Patch request-1');
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const { succeeded, lost } = await runConcurrently([writer(1), writer(2)]);
    warn.mockRestore();
    expect(succeeded).toBe(2);
    expect(lost).toEqual([]);
    expect(leases()).toEqual([]);
  });

  test('a writer gives up at its deadline with a clear reason naming the holder; nothing is written', async () => {
    crashedLease();
    const w = writer(1);
    const updates = server.count('UpdateDistributionConfiguration');
    // 60 s left in the invocation: the crashed writer's lease outlasts it.
    await expect(route(servedBy('Writer1', createEvent(w.props)), { getRemainingTimeInMillis: () => 60_000 - (now() - startedAt) })).rejects.toThrow(
      new RegExp(`^${ARN} is being changed by another writer \\(crashed-stack Patch request-0\\), which holds the lease ${LEASE} until .*; `
        + 'no time left to wait for it'));
    expect(server.count('UpdateDistributionConfiguration')).toBe(updates);
    expect(accounts()).not.toContain(w.account);
  });
  let startedAt = 0;
  beforeEach(() => {
    startedAt = now();
  });

  test('a holder that outlives its lease makes no more calls: it fails clearly, the writer that took over succeeds', async () => {
    const slow = writer(1);
    const fast = writer(2);
    // The slow writer's configuration read answers only after its lease has expired (its clock jumps past it).
    let first = true;
    server.addCheck({
      request: (req) => {
        if (first && req.operation === 'GetDistributionConfiguration') {
          first = false;
          offset += LEASE_TTL_MS + CLOCK_SKEW_MS + 1;
        }
      },
    });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const slowRun = slow.create();
    await new Promise((r) => setTimeout(r, 5));
    const fastRun = fast.create();
    const [slowResult, fastResult] = await Promise.allSettled([slowRun, fastRun]);
    warn.mockRestore();
    expect(fastResult.status).toBe('fulfilled');
    expect(slowResult.status).toBe('rejected');
    expect(String((slowResult as PromiseRejectedResult).reason.message)).toMatch(
      new RegExp(`LeaseError: The lease ${LEASE} on ${ARN} expires at .*, before this request could end`));
    expect(accounts()).toContain(fast.account);
    expect(accounts()).not.toContain(slow.account);
  });
});

describe('a writer outside the lease changes the configuration between our write and its read-back', () => {
  /** The outside writer: puts back the configuration as it was, just before our read-back (the Get after our Update). */
  function outsideWriterUndoes(times: number) {
    let left = times;
    let sawUpdate = false;
    const original = ib.get(ARN)!.distributions;
    server.addCheck({
      request: (req) => {
        if (req.operation === 'UpdateDistributionConfiguration') sawUpdate = true;
        if (req.operation === 'GetDistributionConfiguration' && sawUpdate && left > 0) {
          left--;
          sawUpdate = false;
          ib.modify(ARN, (c) => { c.distributions = structuredClone(original); });
        }
      },
    });
  }

  test('once: the patch is applied again, and reported done only when it is there', async () => {
    outsideWriterUndoes(1);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const w = writer(1);
    await w.create();
    warn.mockRestore();
    expect(accounts()).toContain(w.account);
    expect(server.count('UpdateDistributionConfiguration')).toBe(2);
    expect(ib.applied).toBe(2);
  });

  test('every time: the writer fails with a clear message instead of reporting success', async () => {
    outsideWriterUndoes(MAX_WRITE_ROUNDS);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const w = writer(1);
    await expect(w.create()).rejects.toThrow(
      `The patch of ${ARN} was undone by another writer each time, between our write and its read-back (${MAX_WRITE_ROUNDS} rounds)`);
    warn.mockRestore();
    expect(accounts()).not.toContain(w.account);
    expect(leases()).toEqual([]);
  });

  test('the undo on delete is checked the same way', async () => {
    const w = writer(1);
    const created = await w.create();
    outsideWriterUndoes(1); // puts our patch back right after the undo
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    await w.remove(created.PhysicalResourceId!);
    warn.mockRestore();
    expect(accounts()).not.toContain(w.account);
    expect(ssm.params.has(w.props.BaselineParameterName)).toBe(false);
  });
});

describe('the lease itself', () => {
  /** The Moves stack's Lambda, with the role of its patch of `arn`. */
  const context = (arn = ARN) =>
    clients.callContext({ RequestId: `${MOVES}.${++requests}`, ResourceProperties: { RoleArn: synthesized(MOVES, arn === ARN ? 'Patch' : 'West').RoleArn } }, seams);

  test('is an SSM parameter created with Overwrite false in the configuration\'s Region, named after the configuration', async () => {
    const west = WEST_ARN;
    const seen: string[] = [];
    await withLease(context(west), west, 'me', async () => {
      seen.push(...ssm.in('eu-west-1').keys());
    });
    expect(seen).toEqual([`${LEASE_PARAMETER_PREFIX}/shared`]);
    expect(ssm.in('eu-west-1').size).toBe(0);
    const [put] = server.callsTo('PutParameter');
    expect(put.body).toMatchObject({ Name: `${LEASE_PARAMETER_PREFIX}/shared`, Overwrite: false, Type: 'String' });
    expect(ssm.regions.every((r) => r === 'eu-west-1')).toBe(true);
    expect(leases()).toEqual([]);
  });

  test('SSM\'s TooManyUpdates while taking it is contention: the writer tries again', async () => {
    server.inject('PutParameter', faults.error(400, 'TooManyUpdates', 'There are concurrent updates'));
    let ran = false;
    await withLease(context(), ARN, 'me', async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  test('is released when the work fails, and the failure is passed on', async () => {
    await expect(withLease(context(), ARN, 'me', async () => {
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(leases()).toEqual([]);
  });
});

describe('a patch renamed or moved within its stack (CloudFormation creates the new resource, then deletes the old)', () => {
  // The stack's patches of one configuration share one baseline parameter and role (src/private/patch-resource.ts).
  const PARAM = synthesized(MOVES).BaselineParameterName;
  const share = (...ids: string[]): PatchDocument =>
    ({ distributions: [{ region: 'us-east-1', merge: { amiDistributionConfiguration: { targetAccountIds: ids } } }] });
  const create = (logicalId: string, patch: PatchDocument) => route(servedBy(MOVES, { ...createEvent(props(patch)), LogicalResourceId: logicalId }));
  const remove = (logicalId: string, physicalId: string, patch: PatchDocument) =>
    route(servedBy(MOVES, { ...deleteEvent(physicalId, props(patch)), LogicalResourceId: logicalId }));
  const original = () => fullDistribution('us-east-1').amiDistributionConfiguration.targetAccountIds;

  test('the change stays through the old one\'s delete, and goes with the new one\'s', async () => {
    const patch = share('700000000001');
    const old = await create('Patch', patch);
    const renamed = await create('PatchRenamed', patch);
    await remove('Patch', old.PhysicalResourceId!, patch);
    expect(accounts()).toContain('700000000001');
    await remove('PatchRenamed', renamed.PhysicalResourceId!, patch);
    expect(accounts()).toEqual(original());
    expect(ssm.params.has(PARAM)).toBe(false);
  });

  test('a later patch that makes the same change as an earlier one keeps it when the earlier one goes', async () => {
    const first = share('700000000001');
    const second = share('700000000001', '700000000002');
    const a = await create('First', first);
    const b = await create('Second', second);
    await remove('First', a.PhysicalResourceId!, first);
    expect([...accounts()].sort()).toEqual([...original(), '700000000001', '700000000002'].sort());
    await remove('Second', b.PhysicalResourceId!, second);
    expect(accounts()).toEqual(original());
  });

  test('an earlier patch\'s own change still goes when a later one stays', async () => {
    const first = share('700000000001');
    const second = share('700000000002');
    const a = await create('First', first);
    const b = await create('Second', second);
    await remove('First', a.PhysicalResourceId!, first);
    expect(accounts()).toEqual([...original(), '700000000002']);
    await remove('Second', b.PhysicalResourceId!, second);
    expect(accounts()).toEqual(original());
  });
});

describe('an earlier patch of the stack changes while a later one overlaps it', () => {
  const PARAM = synthesized(MOVES).BaselineParameterName;
  const share = (...ids: string[]): PatchDocument =>
    ({ distributions: [{ region: 'us-east-1', merge: { amiDistributionConfiguration: { targetAccountIds: ids } } }] });
  const event = (logicalId: string, e: ReturnType<typeof createEvent>) => servedBy(MOVES, { ...e, LogicalResourceId: logicalId });
  const original = () => fullDistribution('us-east-1').amiDistributionConfiguration.targetAccountIds;

  test('the later patch keeps its change, and the earlier one\'s new change goes with the earlier one', async () => {
    const first = share('700000000001');
    const firstChanged = share('700000000003');
    const second = share('700000000001', '700000000002');
    const a = await route(event('First', createEvent(props(first))));
    const b = await route(event('Second', createEvent(props(second))));
    await route(event('First', updateEvent(a.PhysicalResourceId!, props(firstChanged), props(first))));
    expect([...accounts()].sort()).toEqual([...original(), '700000000001', '700000000002', '700000000003'].sort());
    await route(event('First', deleteEvent(a.PhysicalResourceId!, props(firstChanged))));
    expect([...accounts()].sort()).toEqual([...original(), '700000000001', '700000000002'].sort());
    await route(event('Second', deleteEvent(b.PhysicalResourceId!, props(second))));
    expect(accounts()).toEqual(original());
    expect(ssm.params.has(PARAM)).toBe(false);
  });
});
