// Every branch of the patch handler, with the Image Builder client mocked (aws-sdk-client-mock) and SSM faked
// (clients.ssm() answers from `params`).
import {
  GetDistributionConfigurationCommand, ImagebuilderClient, ResourceNotFoundException, UpdateDistributionConfigurationCommand,
} from '@aws-sdk/client-imagebuilder';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ARN, createEvent, deleteEvent, exportPatch, fullDistribution, OTHER_ARN, PARAM, props, S3_EXPORT, sharePatch, STACK_ID, updateEvent,
} from './server/patch-fixtures';
import { decode, encode, entryKey } from '../../lambda/baseline';
import * as clients from '../../lambda/clients';
import { onEvent as handle, physicalResourceId } from '../../lambda/distribution-configuration-patch';
import type { HandlerOptions } from '../../lambda/handler-options';
import { LEASE_PARAMETER_PREFIX } from '../../lambda/lease';
import type { Log, LogLevel } from '../../lambda/log';
import * as merge from '../../lambda/merge';
import { CAPTURE_MIDDLEWARE, SEND_MIDDLEWARE } from '../../lambda/raw-json';
import { CLIENT_TOKEN_MAX_LENGTH, clientToken, digest } from '../../lambda/tokens';

const ib = mockClient(ImagebuilderClient);
// The three Parameter Store calls of clients.Ssm, as jest mocks (clients.ssm() is spied to return them).
const ssmMock = { getParameter: jest.fn(), putParameter: jest.fn(), deleteParameter: jest.fn() };
/** The entry of the fixtures' patch resource (logical ID Patch) in its baseline document. */
const KEY = entryKey(ARN, 'Patch');
const parameterNotFound = () => Object.assign(new Error(''), { name: 'ParameterNotFound', $metadata: { httpStatusCode: 400 } });
let configs: Record<string, any>;
let params: Record<string, string>;
let leases: Record<string, string>;
const isLease = (name: string) => name.startsWith(LEASE_PARAMETER_PREFIX);
/** The SSM calls of `fn` on baseline parameters (not on leases). */
const baselineCalls = (fn: jest.Mock) => fn.mock.calls.filter(([input]) => !isLease(input.Name));
let log: string[];
/** The handler's log lines of the current test, by level: captured, so that tests assert them and a passing run prints none. */
const logged: Record<LogLevel, string[]> = { info: [], warn: [], error: [] };
const captureLog: Log = (message, level = 'info') => { logged[level].push(message); };
/** The tests' seams (no real sleeping, the log captured), given to every event with the test's own options. */
let seams: HandlerOptions;
const onEvent = (event: Parameters<typeof handle>[0], options: HandlerOptions = {}) => handle(event, { ...seams, ...options });
const ROLE = 'arn:aws:iam::123456789012:role/cdk-ibd/PatchRole';
const OTHER_ROLE = 'arn:aws:iam::123456789012:role/cdk-ibd/OtherPatchRole';

function seed() {
  configs = {
    [ARN]: { arn: ARN, name: 'imported-dist', description: 'd', timeoutMinutes: 720, distributions: [fullDistribution('us-east-1'), fullDistribution('us-west-2')] },
    [OTHER_ARN]: { arn: OTHER_ARN, name: 'other-dist', timeoutMinutes: 720, distributions: [fullDistribution('us-east-1')] },
  };
}

beforeEach(() => {
  process.env.AWS_REGION = 'us-east-1';
  clients.resetClients();
  ib.reset();
  for (const fn of Object.values(ssmMock)) fn.mockReset();
  jest.spyOn(clients, 'ssm').mockReturnValue(ssmMock as unknown as clients.Ssm);
  seed();
  params = {};
  leases = {};
  log = [];
  for (const lines of Object.values(logged)) lines.length = 0;
  seams = { retry: { sleep: async () => {} }, log: captureLog };
  ib.on(GetDistributionConfigurationCommand).callsFake((input) => {
    log.push('GetDistributionConfiguration');
    const c = configs[input.distributionConfigurationArn];
    if (!c) throw new ResourceNotFoundException({ message: 'not found', $metadata: {} });
    return { distributionConfiguration: structuredClone(c) };
  });
  ib.on(UpdateDistributionConfigurationCommand).callsFake(applyUpdate);
  // The lease's calls (lease.ts; tested over the wire in lease.test.ts) are logged as 'lease'; `params` holds the
  // baselines only.
  ssmMock.getParameter.mockImplementation(async (input) => {
    if (isLease(input.Name)) {
      log.push('lease');
      if (!(input.Name in leases)) throw parameterNotFound();
      return { Parameter: { Name: input.Name, Value: leases[input.Name] } };
    }
    log.push('GetParameter');
    if (!(input.Name in params)) throw parameterNotFound();
    return { Parameter: { Name: input.Name, Value: params[input.Name] } };
  });
  ssmMock.putParameter.mockImplementation(async (input) => {
    if (isLease(input.Name)) {
      log.push('lease');
      if (input.Name in leases && !input.Overwrite) throw Object.assign(new Error('exists'), { name: 'ParameterAlreadyExists', $metadata: { httpStatusCode: 400 } });
      leases[input.Name] = input.Value;
      return { Version: 1 };
    }
    log.push('PutParameter');
    params[input.Name] = input.Value;
    return { Version: 1 };
  });
  ssmMock.deleteParameter.mockImplementation(async (input) => {
    const store = isLease(input.Name) ? leases : params;
    log.push(isLease(input.Name) ? 'lease' : 'DeleteParameter');
    if (!(input.Name in store)) throw parameterNotFound();
    delete store[input.Name];
  });
});

afterEach(() => jest.restoreAllMocks());

function applyUpdate(input: any) {
  log.push('UpdateDistributionConfiguration');
  configs[input.distributionConfigurationArn].distributions = structuredClone(input.distributions);
  return { distributionConfigurationArn: input.distributionConfigurationArn };
}

const updates = () => ib.commandCalls(UpdateDistributionConfigurationCommand).map((c) => c.args[0].input);
const region = (arn: string, r: string) => configs[arn].distributions.find((d: any) => d.region === r);

describe('create', () => {
  test('stores the baseline, then writes the whole configuration with the patch applied', async () => {
    const out = await onEvent(createEvent(props(exportPatch)));
    expect(out.PhysicalResourceId).toBe(physicalResourceId(ARN, { StackId: STACK_ID, LogicalResourceId: 'Patch' }));
    expect(out.PhysicalResourceId).toMatch(new RegExp(`^${ARN}\\|patch\\|[0-9a-f]{16}$`));
    const [input] = updates();
    expect(Object.keys(input).sort()).toEqual(['clientToken', 'description', 'distributionConfigurationArn', 'distributions']);
    expect(input.description).toBe('d');
    expect(input.clientToken).toHaveLength(36);
    expect(input.distributions).toEqual([{ ...fullDistribution('us-east-1'), s3ExportConfiguration: S3_EXPORT }, fullDistribution('us-west-2')]);
    const doc = decode(params[PARAM]);
    expect(doc.entries[KEY].before).toEqual({ 'us-east-1': fullDistribution('us-east-1') });
    expect(doc.entries[KEY].patch).toEqual(exportPatch);
    // Baseline before configuration: a failure between the two can be reverted.
    // All under the lease (taken before the read, released after the write has been read back).
    expect(log).toEqual(['lease', 'GetDistributionConfiguration', 'GetParameter', 'PutParameter', 'UpdateDistributionConfiguration',
      'GetDistributionConfiguration', 'lease', 'lease']);
    expect(baselineCalls(ssmMock.putParameter)[0][0]).toMatchObject({ Type: 'String', Tier: 'Intelligent-Tiering', Overwrite: true });
    expect(leases).toEqual({});
  });

  test('sends no description when the configuration has none', async () => {
    await onEvent(createEvent(props(exportPatch, OTHER_ARN)));
    expect('description' in updates()[0]).toBe(false);
  });

  test('writes nothing to the configuration when the patch is already satisfied', async () => {
    configs[ARN].distributions[0].s3ExportConfiguration = S3_EXPORT;
    await onEvent(createEvent(props(exportPatch)));
    expect(updates()).toHaveLength(0);
    expect(PARAM in params).toBe(true);
  });

  test('a merge into an absent region fails before anything is written', async () => {
    const patch = { distributions: [{ region: 'sa-east-1', merge: { s3ExportConfiguration: S3_EXPORT } }] };
    await expect(onEvent(createEvent(props(patch)))).rejects.toThrow(`Patch for ${ARN}: Cannot merge into region sa-east-1`);
    expect(updates()).toHaveLength(0);
    expect(params).toEqual({});
    // The create had written nothing yet, so undoing it leaves everything as it was, and says so.
    expect(logged.warn).toEqual([`Undid the patch of ${ARN} after the failure`]);
  });

  test('bad properties are reported by name', async () => {
    await expect(onEvent(createEvent({ ...props(exportPatch), Patch: '{' }))).rejects.toThrow(`Patch for ${ARN}: Patch is not valid JSON`);
    await expect(onEvent(createEvent({ ...props(exportPatch), BaselineParameterName: '' }))).rejects.toThrow('Property BaselineParameterName is required');
  });

  test('a missing configuration fails clearly', async () => {
    await expect(onEvent(createEvent(props(exportPatch, ARN.replace('imported', 'gone'))))).rejects.toThrow(/not found: GetDistributionConfiguration answered ResourceNotFoundException/);
  });

  test('a retried create (same request, first run completed) changes nothing', async () => {
    const event = createEvent(props(exportPatch));
    await onEvent(event);
    const saved = params[PARAM];
    await onEvent(event);
    expect(updates()).toHaveLength(1);
    expect(params[PARAM]).toBe(saved);
  });

  test('service failures name the call, the configuration and the reason', async () => {
    ib.on(UpdateDistributionConfigurationCommand).rejects(Object.assign(new Error('Role vmimport not found'), { name: 'InvalidParameterValueException' }));
    await expect(onEvent(createEvent(props(exportPatch)))).rejects.toThrow(`UpdateDistributionConfiguration on ${ARN} failed: InvalidParameterValueException: Role vmimport not found`);
    params = {};
    const put = ssmMock.putParameter.getMockImplementation()!;
    ssmMock.putParameter.mockImplementation(async (input) => {
      if (isLease(input.Name)) return put(input);
      throw Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    });
    await expect(onEvent(createEvent(props(exportPatch)))).rejects.toThrow(`ssm:PutParameter on ${PARAM} failed: AccessDeniedException (HTTP 400): not authorized`);
  });

  test('a baseline parameter this handler did not write is refused', async () => {
    params[PARAM] = 'hello';
    await expect(onEvent(createEvent(props(exportPatch)))).rejects.toThrow(`SSM parameter ${PARAM} does not hold a baseline written by this handler`);
    // An answer without the parameter's value too.
    ssmMock.getParameter.mockResolvedValueOnce({});
    await expect(onEvent(createEvent(props(exportPatch)))).rejects.toThrow(`SSM parameter ${PARAM} does not hold a baseline written by this handler`);
  });

  test('a configuration without distributions: a replace adds one, a merge has nothing to merge into', async () => {
    delete configs[ARN].distributions;
    const patch = { distributions: [{ region: 'eu-west-1', replace: { amiDistributionConfiguration: { name: 'x' } } }] };
    await onEvent(createEvent(props(patch)));
    expect(configs[ARN].distributions).toEqual([{ region: 'eu-west-1', amiDistributionConfiguration: { name: 'x' } }]);
    delete configs[ARN].distributions;
    params = {};
    await expect(onEvent(createEvent(props(exportPatch)))).rejects.toThrow('Cannot merge into region us-east-1');
  });
});

describe('update', () => {
  async function created(patch = exportPatch) {
    const out = await onEvent(createEvent(props(patch)));
    ib.resetHistory();
    for (const fn of Object.values(ssmMock)) fn.mockClear();
    return out.PhysicalResourceId!;
  }

  test('replaces the old patch by the new one', async () => {
    const id = await created();
    const out = await onEvent(updateEvent(id, props(sharePatch), props(exportPatch)));
    expect(out.PhysicalResourceId).toBe(id);
    expect(region(ARN, 'us-east-1').s3ExportConfiguration).toBeUndefined();
    expect(region(ARN, 'us-east-1').amiDistributionConfiguration.targetAccountIds).toEqual(['111111111111', '333333333333']);
    expect(region(ARN, 'eu-west-1')).toBeDefined();
    expect(Object.keys(decode(params[PARAM]).entries[KEY].before).sort()).toEqual(['eu-west-1', 'us-east-1']);
  });

  test('no-op: one Get, no Update, no SSM write', async () => {
    const id = await created();
    await onEvent(updateEvent(id, { ...props(exportPatch), BaseHash: 'h2' }, props(exportPatch)));
    expect(ib.commandCalls(GetDistributionConfigurationCommand)).toHaveLength(1);
    expect(updates()).toHaveLength(0);
    expect(baselineCalls(ssmMock.putParameter)).toEqual([]);
  });

  test.each([
    ['a RoleArn where there was none', { RoleArn: ROLE }, {}],
    ['another RoleArn', { RoleArn: OTHER_ROLE }, { RoleArn: ROLE }],
    ['no RoleArn any more', {}, { RoleArn: ROLE }],
  ])('%s alone: same physical ID, no Update, no SSM write', async (_what, change, oldChange) => {
    const id = await created();
    const out = await onEvent(updateEvent(id, { ...props(exportPatch), ...change }, { ...props(exportPatch), ...oldChange }));
    expect(out.PhysicalResourceId).toBe(id);
    expect(updates()).toHaveLength(0);
    expect(baselineCalls(ssmMock.putParameter)).toEqual([]);
    expect(baselineCalls(ssmMock.deleteParameter)).toEqual([]);
  });

  test('a new configuration ARN patches it like a create and gets a new physical ID; the old one stays for the delete', async () => {
    const id = await created();
    const out = await onEvent(updateEvent(id, props(exportPatch, OTHER_ARN), props(exportPatch)));
    expect(out.PhysicalResourceId).not.toBe(id);
    expect(out.PhysicalResourceId!.startsWith(OTHER_ARN)).toBe(true);
    expect(region(OTHER_ARN, 'us-east-1').s3ExportConfiguration).toEqual(S3_EXPORT);
    expect(Object.keys(decode(params[PARAM]).entries).sort()).toEqual([KEY, entryKey(OTHER_ARN, 'Patch')].sort());

    // CloudFormation then deletes the old physical ID with the old properties.
    await onEvent(deleteEvent(id, props(exportPatch)));
    expect(region(ARN, 'us-east-1').s3ExportConfiguration).toBeUndefined();
    expect(Object.keys(decode(params[PARAM]).entries)).toEqual([entryKey(OTHER_ARN, 'Patch')]);
    expect(baselineCalls(ssmMock.deleteParameter)).toEqual([]);
  });

  test('a new parameter name moves the baseline', async () => {
    const id = await created();
    await onEvent(updateEvent(id, props(exportPatch, ARN, '/moved'), props(exportPatch)));
    expect(PARAM in params).toBe(false);
    expect(decode(params['/moved']).entries[KEY].before).toEqual({ 'us-east-1': fullDistribution('us-east-1') });
    expect(updates()).toHaveLength(0);
  });

  test('a baseline of an earlier version (its own parameter, keyed by the ARN alone) moves to the shared parameter on the first update', async () => {
    const id = await created();
    // What an earlier version stored: the same entry, keyed by the ARN, in the resource's own parameter.
    const legacy = decode(params[PARAM]);
    params['/legacy'] = encode({ v: 1, entries: { [ARN]: legacy.entries[KEY] } }).value;
    delete params[PARAM];
    await onEvent(updateEvent(id, props(exportPatch), props(exportPatch, ARN, '/legacy')));
    expect('/legacy' in params).toBe(false);
    expect(Object.keys(decode(params[PARAM]).entries)).toEqual([KEY]);
    expect(decode(params[PARAM]).entries[KEY].before).toEqual({ 'us-east-1': fullDistribution('us-east-1') });
    expect(updates()).toHaveLength(0); // the configuration already has the patch
    await onEvent(deleteEvent(id, props(exportPatch)));
    expect(region(ARN, 'us-east-1').s3ExportConfiguration).toBeUndefined();
  });

  test('without a stored baseline, the current configuration becomes the baseline', async () => {
    const id = await created();
    delete params[PARAM];
    await onEvent(updateEvent(id, props(sharePatch), props(exportPatch)));
    // What the old patch did cannot be told apart any more, so it stays.
    expect(region(ARN, 'us-east-1').s3ExportConfiguration).toEqual(S3_EXPORT);
    expect(region(ARN, 'eu-west-1')).toBeDefined();
  });

  test('a new patch that cannot apply to the stored baseline (it merges into a region the old one did not touch) still replaces the old one', async () => {
    const id = await created();
    // Someone else changed the patched region: the undo tries every candidate patch, the new one too.
    region(ARN, 'us-east-1').amiDistributionConfiguration.name = 'changed';
    const westPatch = { distributions: [{ region: 'us-west-2', merge: { s3ExportConfiguration: S3_EXPORT } }] };
    const applied = jest.spyOn(merge, 'applyPatch');
    await onEvent(updateEvent(id, props(westPatch), props(exportPatch)));
    // The new patch, tried on the baseline's regions alone, threw a PatchError (no us-west-2 there), which the undo skipped.
    expect(applied.mock.results.some((r) => r.type === 'throw' && r.value instanceof merge.PatchError)).toBe(true);
    const east = fullDistribution('us-east-1');
    expect(region(ARN, 'us-east-1')).toEqual({ ...east, amiDistributionConfiguration: { ...east.amiDistributionConfiguration, name: 'changed' } });
    expect(region(ARN, 'us-west-2').s3ExportConfiguration).toEqual(S3_EXPORT);
    expect(Object.keys(decode(params[PARAM]).entries[KEY].before).sort()).toEqual(['us-east-1', 'us-west-2']);
  });

  test('an error other than a PatchError while undoing is not taken for a patch that does not apply', async () => {
    const id = await created();
    region(ARN, 'us-east-1').amiDistributionConfiguration.name = 'changed';
    const applyPatch = merge.applyPatch;
    jest.spyOn(merge, 'applyPatch').mockImplementation((distributions, patch) => {
      if (patch.distributions.some((d) => d.region === 'us-west-2')) throw new TypeError('unexpected');
      return applyPatch(distributions, patch);
    });
    const westPatch = { distributions: [{ region: 'us-west-2', merge: { s3ExportConfiguration: S3_EXPORT } }] };
    await expect(onEvent(updateEvent(id, props(westPatch), props(exportPatch)))).rejects.toThrow(TypeError);
    expect(updates()).toHaveLength(0);
  });

  test('rollback after a failed update: the stored baseline and the old patch restore the old state', async () => {
    const id = await created();
    const afterCreate = structuredClone(configs[ARN]);
    ib.on(UpdateDistributionConfigurationCommand).rejectsOnce(Object.assign(new Error('bad'), { name: 'InvalidParameterValueException' }));
    await expect(onEvent(updateEvent(id, props(sharePatch), props(exportPatch)))).rejects.toThrow('InvalidParameterValueException');
    ib.on(UpdateDistributionConfigurationCommand).callsFake(applyUpdate);
    // The baseline now pairs with the new patch, the configuration still has the old one.
    expect(decode(params[PARAM]).entries[KEY].patch).toEqual(sharePatch);
    await onEvent(updateEvent(id, props(exportPatch), props(sharePatch)));
    expect(configs[ARN]).toEqual(afterCreate);
    expect(updates()).toHaveLength(1); // only the failed attempt
    await onEvent(deleteEvent(id, props(exportPatch)));
    expect(configs[ARN].distributions).toEqual([fullDistribution('us-east-1'), fullDistribution('us-west-2')]);
  });
});

describe('delete', () => {
  test('reverts and deletes the parameter', async () => {
    const { PhysicalResourceId: id } = await onEvent(createEvent(props(sharePatch)));
    const out = await onEvent(deleteEvent(id!, props(sharePatch)));
    expect(out.PhysicalResourceId).toBe(id);
    expect(configs[ARN].distributions).toEqual([fullDistribution('us-east-1'), fullDistribution('us-west-2')]);
    expect(params).toEqual({});
  });

  test('nothing stored: nothing was applied, no call to Image Builder', async () => {
    await onEvent(deleteEvent('whatever', props(exportPatch)));
    expect(ib.calls()).toHaveLength(0);
  });

  test('configuration gone: only the parameter is deleted', async () => {
    const { PhysicalResourceId: id } = await onEvent(createEvent(props(exportPatch)));
    delete configs[ARN];
    ib.resetHistory();
    await onEvent(deleteEvent(id!, props(exportPatch)));
    expect(updates()).toHaveLength(0);
    expect(params).toEqual({});
  });

  test('a parameter that cannot be deleted fails the delete, naming it and the reason', async () => {
    const { PhysicalResourceId: id } = await onEvent(createEvent(props(exportPatch)));
    ssmMock.deleteParameter.mockRejectedValue(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    await expect(onEvent(deleteEvent(id!, props(exportPatch)))).rejects.toThrow(`ssm:DeleteParameter on ${PARAM} failed: AccessDeniedException (HTTP 400): not authorized`);
  });

  test('configuration emptied by others: nothing to revert, nothing written', async () => {
    const { PhysicalResourceId: id } = await onEvent(createEvent(props(exportPatch)));
    delete configs[ARN].distributions;
    ib.resetHistory();
    await onEvent(deleteEvent(id!, props(exportPatch)));
    expect(logged.warn).toContainEqual(expect.stringContaining(`Not reverting ${ARN}`));
    expect(updates()).toHaveLength(0);
    expect(params).toEqual({});
  });

  test('a stored patch that does not apply to its own baseline (edited by hand) leaves the regions as they are now', async () => {
    // The baseline says us-east-1 was absent, and its patch merges into us-east-1: no candidate applies.
    params[PARAM] = encode({ v: 1, entries: { [ARN]: { before: { 'us-east-1': null }, patch: exportPatch, requestId: 'x' } } }).value;
    const before = structuredClone(configs[ARN]);
    await onEvent(deleteEvent('id', { ...props(exportPatch), Patch: 'garbage' }));
    expect(configs[ARN]).toEqual(before);
    expect(updates()).toHaveLength(0);
    expect(params).toEqual({});
  });

  test('parameter already gone while deleting it: fine', async () => {
    const { PhysicalResourceId: id } = await onEvent(createEvent(props(exportPatch)));
    ssmMock.deleteParameter.mockRejectedValue(parameterNotFound());
    await expect(onEvent(deleteEvent(id!, props(exportPatch)))).resolves.toBeDefined();
  });

  test('does not write a configuration without distributions; warns instead', async () => {
    const patch = { distributions: [{ region: 'eu-west-1', replace: { amiDistributionConfiguration: { name: 'x' } } }] };
    const { PhysicalResourceId: id } = await onEvent(createEvent(props(patch)));
    configs[ARN].distributions = configs[ARN].distributions.filter((d: any) => d.region === 'eu-west-1');
    ib.resetHistory();
    await onEvent(deleteEvent(id!, props(patch)));
    expect(logged.warn).toContainEqual(expect.stringContaining(`Not reverting ${ARN}`));
    expect(updates()).toHaveLength(0);
    expect(params).toEqual({});
  });

  test('an unreadable Patch property still reverts with the stored patch', async () => {
    const { PhysicalResourceId: id } = await onEvent(createEvent(props(exportPatch)));
    await onEvent(deleteEvent(id!, { ...props(exportPatch), Patch: 'garbage' }));
    expect(region(ARN, 'us-east-1').s3ExportConfiguration).toBeUndefined();
  });
});

describe('the JSON on the wire (raw-json.ts)', () => {
  test('the Get carries the capturing middleware, the Update the one that sends the document; the mock sees the document as input', async () => {
    await onEvent(createEvent(props(exportPatch)));
    const client = new ImagebuilderClient({ region: 'us-east-1' });
    const stackOf = (command: any) => client.middlewareStack.concat(command.middlewareStack).identify();
    const [get] = ib.commandCalls(GetDistributionConfigurationCommand);
    const [update] = ib.commandCalls(UpdateDistributionConfigurationCommand);
    expect(stackOf(get.args[0])).toContain(`${CAPTURE_MIDDLEWARE} - after deserializerMiddleware`);
    expect(stackOf(update.args[0])).toContain(`${SEND_MIDDLEWARE} - build`);
    client.destroy();
  });

  test('without the raw answer (a mocked client), the SDK\'s output is used: fields it keeps are written back', async () => {
    // aws-sdk-client-mock answers whatever it is given, as the SDK would not: this shows the fallback reads the output.
    configs[ARN].distributions[0].notInTheSdk = { kept: 'by the mock' };
    await onEvent(createEvent(props(exportPatch)));
    expect((updates()[0].distributions as any[])[0].notInTheSdk).toEqual({ kept: 'by the mock' });
  });
});

describe('the invocation\'s deadline', () => {
  test('retries stop before it, and the failure names the call, the configuration and the service\'s reason', async () => {
    ib.on(UpdateDistributionConfigurationCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    let clock = 0;
    const sleeps: number[] = [];
    seams = { retry: { random: () => 0.999, now: () => clock, sleep: async (ms) => { sleeps.push(ms); clock += ms; } }, log: captureLog };
    // 25 s left before the deadline; each retry needs its backoff and a whole request (20 s by default).
    await expect(onEvent(createEvent(props(exportPatch)), { deadline: 25_000 })).rejects.toThrow(
      `UpdateDistributionConfiguration on ${ARN} failed: ThrottlingException (HTTP 400): Rate exceeded`);
    expect(sleeps).toEqual([249, 499, 999, 1998]);
    expect(updates()).toHaveLength(5);
    expect(logged.warn).toContainEqual(expect.stringContaining('Not retrying after attempt 5 (ThrottlingException)'));

    // Without a deadline: all 8 attempts.
    ib.resetHistory();
    await expect(onEvent(createEvent(props(exportPatch)))).rejects.toThrow('ThrottlingException');
    expect(updates()).toHaveLength(8);
  });
});

describe('RoleArn', () => {
  /** The role of the context of every client the handler asked for ('' for the Lambda's own). */
  function spyContexts() {
    const imagebuilder = jest.spyOn(clients, 'imagebuilder');
    const ssm = clients.ssm as jest.MockedFunction<typeof clients.ssm>;
    return () => [...imagebuilder.mock.calls, ...ssm.mock.calls].map(([context]) => context.roleArn ?? '');
  }

  test('create, update and delete make every Image Builder and SSM call with the context of the event\'s RoleArn', async () => {
    const roles = spyContexts();
    const created = await onEvent(createEvent({ ...props(exportPatch), RoleArn: ROLE }));
    await onEvent(updateEvent(created.PhysicalResourceId!, { ...props(sharePatch), RoleArn: ROLE }, { ...props(exportPatch), RoleArn: ROLE }));
    const beforeDelete = log.length;
    await onEvent(deleteEvent(created.PhysicalResourceId!, { ...props(sharePatch), RoleArn: OTHER_ROLE }));
    // One client request per call; the Delete's with the role in its own properties.
    expect(log).toContain('DeleteParameter');
    expect(roles().sort()).toEqual([...Array(beforeDelete).fill(ROLE), ...Array(log.length - beforeDelete).fill(OTHER_ROLE)].sort());
  });

  test('without RoleArn, the Lambda\'s own credentials', async () => {
    const roles = spyContexts();
    const created = await onEvent(createEvent(props(exportPatch)));
    await onEvent(deleteEvent(created.PhysicalResourceId!, props(exportPatch)));
    expect(roles().length).toBeGreaterThan(4);
    expect(new Set(roles())).toEqual(new Set(['']));
  });
});

describe('baseline encoding', () => {
  test('small documents are plain JSON, big ones gzip+base64 on the Advanced tier, too big ones fail', () => {
    const small = { v: 1 as const, entries: {} };
    expect(encode(small)).toEqual({ value: JSON.stringify(small), tier: 'Intelligent-Tiering' });
    const random = (n: number) => Array.from({ length: n }, (_, i) => ((i * 2654435761) % 4294967296).toString(36)).join('');
    const big = { v: 1 as const, entries: { [ARN]: { before: { r: { region: 'r', x: random(700) } }, patch: { distributions: [] }, requestId: 'q' } } };
    const enc = encode(big);
    expect(enc.value.startsWith('gz:')).toBe(true);
    expect(enc.tier).toBe('Advanced');
    expect(decode(enc.value)).toEqual(big);
    const huge = { v: 1 as const, entries: { [ARN]: { before: { r: { region: 'r', x: random(3000) } }, patch: { distributions: [] }, requestId: 'q' } } };
    expect(() => encode(huge)).toThrow(/exceeds the 8192-byte limit/);
    expect(() => decode('{"v":2}')).toThrow('unrecognised baseline format');
  });
});

describe('client tokens', () => {
  const source = { StackId: STACK_ID, LogicalResourceId: 'Patch', RequestId: 'r1' };
  test('36 characters, stable for one request and operation, different otherwise', () => {
    const t = clientToken(source, 'UpdateDistributionConfiguration', 'body-1');
    expect(t).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(t).toHaveLength(CLIENT_TOKEN_MAX_LENGTH);
    expect(clientToken(source, 'UpdateDistributionConfiguration', 'body-1')).toBe(t);
    expect(clientToken(source, 'UpdateDistributionConfiguration', 'body-2')).not.toBe(t);
    expect(clientToken({ ...source, RequestId: 'r2' }, 'UpdateDistributionConfiguration', 'body-1')).not.toBe(t);
    expect(clientToken(source, 'DistributeImage')).not.toBe(t);
    expect(digest(undefined)).toHaveLength(16);
  });
});
