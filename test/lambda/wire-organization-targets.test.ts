// Over the wire: target accounts resolved from a model-checked fake AWS Organizations (a generated tree of hundreds of
// accounts in nested OUs), through a role chain (resource role, then the management account's reader role), and
// written into the configuration by the patch's own locked, lossless path, against the local Image Builder, SSM, STS.
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import type { CdkCustomResourceEvent } from 'aws-lambda';
import { setLambdaEnvironment } from './lambda-environment';
import { faults, LocalServer, ServiceError } from './local-server';
import { DistributionConfigurations } from './server/imagebuilder';
import { Organization, ROOT_ID } from './server/organizations';
import { ARN, createEvent as patchCreate, fullDistribution, PARAM, props as patchProps, sharePatch, STACK_ID } from './server/patch-fixtures';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import * as clients from '../../lambda/clients';
import { entryPoints } from '../../lambda/index';
import type { LogLevel } from '../../lambda/log';
import { Organizations } from '../../lambda/organization-targets';
import { DistributionConfiguration, OrganizationDistributionTargets, OrganizationsReaderRole, TargetAccounts } from '../../src';
import { ORGANIZATION_TARGETS_RESOURCE_TYPE, TargetAccountsQuery } from '../../src/private/organization-contract';

jest.mock('../../lambda/distribute-image', () => ({ onEvent: jest.fn(), isComplete: jest.fn() }), { virtual: true });

/** The handler's log lines of the current test, by level: captured, so that tests assert them and a passing run prints none. */
const logged: Record<LogLevel, string[]> = { info: [], warn: [], error: [] };
/** The handler's entry points with the tests' backoff (no real sleeping) and log. */
const { onEvent: route } = entryPoints({
  retry: { maxAttempts: 5, sleep: async (ms) => { sleeps.push(ms); } },
  log: (message, level = 'info') => { logged[level].push(message); },
});

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'IMAGEBUILDER_ENDPOINT', 'SSM_ENDPOINT', 'STS_ENDPOINT',
  'ORGANIZATIONS_ENDPOINT', 'HANDLER_REQUEST_TIMEOUT_MS', 'AWS_EC2_METADATA_DISABLED'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

const RESOURCE_ROLE = 'arn:aws:iam::123456789012:role/cdk-imagebuilder-distribution/c8abc/Targets/TargetsHandlerRole';
const PATCH_ROLE = 'arn:aws:iam::123456789012:role/cdk-imagebuilder-distribution/c8abc/Patch/PatchHandlerRole';
const READER_ROLE = 'arn:aws:iam::999999999999:role/cdk-imagebuilder-distribution-organizations-reader';
const TARGETS_PARAM = '/cdk-imagebuilder-distribution/baselines/targets';
const EXISTING = '111111111111'; // in fullDistribution's targetAccountIds

let server: LocalServer;
let ib: DistributionConfigurations;
let ssm: Parameters;
let roles: Roles;
let org: Organization;
const sleeps: number[] = [];

function query(q: Partial<TargetAccountsQuery>): TargetAccountsQuery {
  return { accountIds: [], parents: [], recursive: true, organization: false, exclude: [], states: ['ACTIVE'], ...q };
}

function targetProps(queries: TargetAccountsQuery[], extra: Record<string, string> = {}): Record<string, string> {
  return {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
    DistributionConfigurationArn: ARN,
    BaselineParameterName: TARGETS_PARAM,
    Patch: JSON.stringify({ distributions: [] }),
    Query: JSON.stringify(queries),
    Regions: JSON.stringify(['us-east-1', 'us-west-2']),
    AllowEmpty: 'false',
    OrganizationsRoleArn: READER_ROLE,
    RoleArn: RESOURCE_ROLE,
    ...extra,
  };
}

let counter = 0;
function event(type: 'Create' | 'Update' | 'Delete', p: Record<string, string>, extra: Partial<CdkCustomResourceEvent> = {}): CdkCustomResourceEvent {
  return {
    ServiceToken: p.ServiceToken,
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: STACK_ID,
    RequestId: `org-request-${++counter}`,
    LogicalResourceId: 'Targets',
    ResourceType: ORGANIZATION_TARGETS_RESOURCE_TYPE,
    RequestType: type,
    ResourceProperties: p,
    ...extra,
  } as CdkCustomResourceEvent;
}

const targetsIn = (region: string): string[] =>
  ib.get(ARN)!.distributions.find((d: any) => d.region === region).amiDistributionConfiguration.targetAccountIds;

const sorted = (ids: Iterable<string>) => [...ids].sort();

beforeEach(async () => {
  for (const lines of Object.values(logged)) lines.length = 0;
  server = await LocalServer.start();
  ib = new DistributionConfigurations(server);
  ssm = new Parameters(server);
  roles = new Roles(server);
  roles.add(RESOURCE_ROLE).add(PATCH_ROLE).add(READER_ROLE);
  org = new Organization(server, { callerRole: READER_ROLE, roles });
  setLambdaEnvironment(server, {
    ORGANIZATIONS_ENDPOINT: server.endpoint,
    HANDLER_REQUEST_TIMEOUT_MS: '2000',
  });
  clients.resetClients();
  sleeps.length = 0;
  ib.put({ arn: ARN, name: 'imported-dist', description: 'owned by another team', distributions: [fullDistribution('us-east-1'), fullDistribution('us-west-2')] });
});

afterEach(async () => {
  clients.resetClients();
  await server.close();
});

afterAll(() => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** A deterministic tree of 400 accounts in 60 OUs nested 4 deep; the top-level OU with the most OUs below it. */
function generated() {
  const tree = org.generate({ seed: 18, ous: 60, accounts: 400, depth: 4 });
  const ancestors = (o: string): string[] => {
    const parent = org.ous.get(o)?.parent;
    return parent ? [parent, ...ancestors(parent)] : [];
  };
  const below = (ou: string) => tree.ous.filter((o) => ancestors(o).includes(ou));
  const top = tree.ous.filter((o) => tree.depth.get(o) === 1).sort((a, b) => below(b).length - below(a).length)[0];
  return { tree, top, below };
}

test('nested OUs: the accounts of an OU and all OUs below it, ACTIVE only, merged into every Region; resolved through the role chain', async () => {
  const { top, below } = generated();
  expect(below(top).length).toBeGreaterThan(3);
  const expected = org.accountsUnder(top);
  expect(expected.length).toBeGreaterThan(30);
  expect(org.accountsUnder(top, ['SUSPENDED', 'PENDING_CLOSURE']).length).toBeGreaterThan(0); // the filter has something to drop

  const out = await route(event('Create', targetProps([query({ parents: [top] })])));
  for (const region of ['us-east-1', 'us-west-2']) expect(sorted(targetsIn(region))).toEqual(sorted([EXISTING, ...expected]));
  expect(out.Data).toMatchObject({ AccountCount: String(expected.length), AccountSetDigest: expect.stringMatching(/^[0-9a-f]{16}$/) });
  // Every Organizations call was signed by the reader role's session, which the resource role's session assumed.
  const reader = roles.sessions.filter((s) => s.roleArn === READER_ROLE);
  expect(reader).toHaveLength(1);
  expect(roles.sessionOfKey(reader[0].callerKey)?.roleArn).toBe(RESOURCE_ROLE);
  // One ListAccountsForParent page and one ListChildren page at least per OU visited.
  expect(org.requests.ListChildren).toBeGreaterThanOrEqual(below(top).length + 1);
});

test('not recursive: only the accounts directly in the OU', async () => {
  const { top } = generated();
  const direct = [...org.accounts.values()].filter((a) => a.parent === top && a.state === 'ACTIVE').map((a) => a.id);
  expect(direct.length).toBeGreaterThan(0);
  await route(event('Create', targetProps([query({ parents: [top], recursive: false })])));
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, ...direct]));
  expect(org.requests.ListChildren).toBeUndefined();
});

test('exclusions: an OU subtree and single accounts are left out; other states can be asked for', async () => {
  const { top, below } = generated();
  const excludedOu = below(top).find((o) => org.accountsUnder(o).length > 0)!;
  const excludedAccount = org.accountsUnder(top).find((a) => !org.accountsUnder(excludedOu).includes(a))!;
  await route(event('Create', targetProps([query({ parents: [top], exclude: [excludedOu, excludedAccount], states: ['ACTIVE', 'SUSPENDED'] })])));
  const expected = org.accountsUnder(top, ['ACTIVE', 'SUSPENDED']).filter((a) => !org.accountsUnder(excludedOu, ['ACTIVE', 'SUSPENDED']).includes(a) && a !== excludedAccount);
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, ...expected]));
  // The excluded OU is never listed.
  expect(server.calls.filter((c) => c.body?.ParentId === excludedOu)).toHaveLength(0);
});

test('the whole organization (ListAccounts), without an excluded OU', async () => {
  const { top } = generated();
  await route(event('Create', targetProps([query({ organization: true, exclude: [top] })])));
  const expected = org.accountsUnder(ROOT_ID).filter((a) => !org.accountsUnder(top, ['ACTIVE']).includes(a));
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, ...expected]));
  expect(org.requests.ListAccounts).toBeGreaterThanOrEqual(Math.ceil(org.accounts.size / 20));
});

test('accounts joining and leaving between resolutions: removed accounts are removed, others\' additions stay, delete restores', async () => {
  const ou = org.addOu();
  const nested = org.addOu(ou);
  const [a, b, c] = [org.addAccount(ou), org.addAccount(nested), org.addAccount(nested)];
  const p1 = targetProps([query({ parents: [ou] })]);
  const created = await route(event('Create', p1));
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, a, b, c]));

  // Between the runs: b leaves the organization, c is closing, d joins, e is moved in; another writer adds an account.
  org.removeAccount(b);
  org.setState(c, 'PENDING_CLOSURE');
  const d = org.addAccount(nested);
  const e = org.addAccount();
  org.moveAccount(e, ou);
  await route(patchCreate({ ...patchProps(sharePatch), RoleArn: PATCH_ROLE }));
  const p2 = { ...p1, ResolutionKey: 'run-2' };
  await route(event('Update', p2, { PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: p1 } as any));
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, '333333333333', a, d, e]));
  expect(sorted(targetsIn('us-west-2'))).toEqual(sorted([EXISTING, a, d, e]));

  await route(event('Delete', p2, { PhysicalResourceId: created.PhysicalResourceId } as any));
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, '333333333333']));
  expect(targetsIn('us-west-2')).toEqual([EXISTING]);
  expect(ssm.params.has(TARGETS_PARAM)).toBe(false);
});

test('a refresh that finds the same set writes nothing', async () => {
  const { top } = generated();
  const p1 = targetProps([query({ parents: [top] })]);
  const created = await route(event('Create', p1));
  const writes = ib.applied;
  const again = await route(event('Update', { ...p1, ResolutionKey: 'again' }, { PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: p1 } as any));
  expect(ib.applied).toBe(writes);
  expect(again.Data?.AccountSetDigest).toBe(created.Data?.AccountSetDigest);
});

test('pagination: an OU of 75 accounts and 30 child OUs is read in full, page by page (short pages included)', async () => {
  const ou = org.addOu();
  const accounts = Array.from({ length: 75 }, () => org.addAccount(ou));
  const children = Array.from({ length: 30 }, () => org.addOu(ou));
  children.forEach((child) => accounts.push(org.addAccount(child)));
  await route(event('Create', targetProps([query({ parents: [ou] })])));
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, ...accounts]));
  const pagesOf = (op: string, parent: string) => server.callsTo(op).filter((c) => c.body.ParentId === parent);
  expect(pagesOf('ListAccountsForParent', ou).length).toBeGreaterThanOrEqual(5); // 20 + 10 + 20 + 20 + 5
  expect(pagesOf('ListChildren', ou).length).toBeGreaterThanOrEqual(2);
  expect(pagesOf('ListAccountsForParent', ou).every((c) => c.body.MaxResults === 20)).toBe(true);
});

test('throttling: TooManyRequestsException is retried with backoff and the resolution completes', async () => {
  const { top } = generated();
  org.throttleEvery = 4;
  await route(event('Create', targetProps([query({ parents: [top] })])));
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, ...org.accountsUnder(top)]));
  expect(org.throttled).toBeGreaterThan(3);
  expect(sleeps.length).toBeGreaterThanOrEqual(org.throttled);
});

test('more accounts than targetAccountIds takes (1536) fails naming the OUs, and changes nothing', async () => {
  const big = org.addOu();
  const nested = org.addOu(big);
  for (let i = 0; i < 1000; i++) org.addAccount(nested);
  for (let i = 0; i < 600; i++) org.addAccount(big);
  const before = JSON.stringify(ib.get(ARN)!.distributions);
  await expect(route(event('Create', targetProps([query({ parents: [big] })]))))
    .rejects.toThrow(new RegExp(`1600 accounts, more than the 1536 .*${big}: 1600 accounts; largest OUs by their own accounts: ${nested} \\(1000\\), ${big} \\(600\\)`));
  expect(JSON.stringify(ib.get(ARN)!.distributions)).toBe(before);
  expect(ssm.params.has(TARGETS_PARAM)).toBe(false);
});

test('1500 accounts: the baseline spreads over several SSM parameters (chunks), shrinks back to one, and is gone after delete', async () => {
  const big = org.addOu();
  for (let i = 0; i < 1500; i++) org.addAccount(big);
  const p1 = targetProps([query({ parents: [big] })]);
  const created = await route(event('Create', p1));
  expect(targetsIn('us-east-1')).toHaveLength(1501);
  expect(targetsIn('us-west-2')).toHaveLength(1501);
  const chunks = () => [...ssm.params.keys()].filter((k) => k.startsWith(`${TARGETS_PARAM}-`)).sort();
  expect(chunks()).toEqual([`${TARGETS_PARAM}-a1`]);
  expect(ssm.params.get(TARGETS_PARAM)!.value).toMatch(/^gzc:a:2:[0-9a-f]{16}:/);

  // 1400 leave: one parameter again, the chunk deleted.
  const leaving = org.accountsUnder(big).slice(100);
  leaving.forEach((id) => org.removeAccount(id));
  const p2 = { ...p1, ResolutionKey: '2' };
  await route(event('Update', p2, { PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: p1 } as any));
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, ...org.accountsUnder(big)]));
  expect(chunks()).toEqual([]);

  await route(event('Delete', p2, { PhysicalResourceId: created.PhysicalResourceId } as any));
  expect(targetsIn('us-east-1')).toEqual([EXISTING]);
  expect(ssm.params.has(TARGETS_PARAM)).toBe(false);
});

test('a writer that stops between the chunks and the head leaves the previous baseline readable; the retry completes', async () => {
  const big = org.addOu();
  for (let i = 0; i < 1200; i++) org.addAccount(big);
  const p1 = targetProps([query({ parents: [big] })]);
  const created = await route(event('Create', p1));
  const head = ssm.params.get(TARGETS_PARAM)!.value;
  expect(head).toMatch(/^gzc:a:/);
  // 200 join; the head's write fails for good (after the new chunks, in slot b, were written).
  for (let i = 0; i < 200; i++) org.addAccount(big);
  const p2 = { ...p1, ResolutionKey: '2' };
  let headPuts = 0;
  server.addCheck({
    request: (req) => {
      if (req.operation === 'PutParameter' && req.body?.Name === TARGETS_PARAM && headPuts++ === 0) {
        throw new ServiceError(400, 'AccessDeniedException', 'simulated: the writer stops here');
      }
    },
  });
  await expect(route(event('Update', p2, { PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: p1 } as any))).rejects.toThrow(/simulated/);
  expect(ssm.params.get(TARGETS_PARAM)!.value).toBe(head); // still the previous value, its chunks intact
  expect(ssm.params.has(`${TARGETS_PARAM}-a1`)).toBe(true);
  expect(targetsIn('us-east-1')).toHaveLength(1201); // the configuration was not written either

  await route(event('Update', p2, { PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: p1 } as any));
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, ...org.accountsUnder(big)]));
  expect(ssm.params.get(TARGETS_PARAM)!.value).toMatch(/^gzc:b:/);
  expect([...ssm.params.keys()].filter((k) => k.startsWith(`${TARGETS_PARAM}-a`))).toEqual([]);
  await route(event('Delete', p2, { PhysicalResourceId: created.PhysicalResourceId } as any));
  expect(targetsIn('us-east-1')).toEqual([EXISTING]);
  expect([...ssm.params.keys()].filter((k) => k.startsWith(TARGETS_PARAM))).toEqual([]);
});

test('two resources over different OUs add up (1400 accounts), each undone on its own', async () => {
  const [east, west] = [org.addOu(), org.addOu()];
  for (let i = 0; i < 700; i++) {
    org.addAccount(east);
    org.addAccount(west);
  }
  const p1 = targetProps([query({ parents: [east] })]);
  const p2 = { ...targetProps([query({ parents: [west] })]), BaselineParameterName: `${TARGETS_PARAM}-2` };
  const [c1] = await Promise.all([route(event('Create', p1)), route(event('Create', p2, { LogicalResourceId: 'Targets2' }))]);
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, ...org.accountsUnder(east), ...org.accountsUnder(west)]));
  await route(event('Delete', p1, { PhysicalResourceId: c1.PhysicalResourceId } as any));
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, ...org.accountsUnder(west)]));
});

test('an empty resolution fails unless allowed; allowed, it changes nothing', async () => {
  const ou = org.addOu();
  org.addAccount(ou, 'SUSPENDED');
  await expect(route(event('Create', targetProps([query({ parents: [ou] })])))).rejects.toThrow(/resolve to no account .*states ACTIVE.*allowEmpty/);
  const out = await route(event('Create', targetProps([query({ parents: [ou] })], { AllowEmpty: 'true' })));
  expect(out.Data?.AccountCount).toBe('0');
  expect(targetsIn('us-east-1')).toEqual([EXISTING]);
});

test('an unknown OU fails with Organizations\' reason', async () => {
  await expect(route(event('Create', targetProps([query({ parents: ['ou-ex12-zzzzzzzz'] })])))).rejects.toThrow(/ListAccountsForParent on ou-ex12-zzzzzzzz failed: ParentNotFoundException/);
});

test('Organizations refuses callers other than the reader role (no chain: the resource role itself)', async () => {
  const ou = org.addOu();
  org.addAccount(ou);
  const { OrganizationsRoleArn: _, ...noRole } = targetProps([query({ parents: [ou] })]);
  await expect(route(event('Create', noRole))).rejects.toThrow(/AccessDeniedException/);
});

test('a resolution racing patches of the same configuration: every change is there (the lease serializes them)', async () => {
  const top = org.addOu();
  for (let i = 0; i < 5; i++) org.addAccount(org.addOu(top));
  // Slow reads widen each writer's read-modify-write window, so that without the lease they would overlap.
  server.inject('GetDistributionConfiguration', faults.slow(300), 8);
  const patches = ['333333333333', '444444444444', '555555555555'].map((account, i) => ({
    ...patchProps({ distributions: [{ region: 'us-west-2', merge: { amiDistributionConfiguration: { targetAccountIds: [account] } } }] }, ARN, `${PARAM}-${i}`),
    RoleArn: PATCH_ROLE,
  }));
  await Promise.all([
    route(event('Create', targetProps([query({ parents: [top] })]))),
    ...patches.map((p, i) => route({ ...patchCreate(p), LogicalResourceId: `Patch${i}` })),
  ]);
  expect(sorted(targetsIn('us-west-2'))).toEqual(sorted([EXISTING, '333333333333', '444444444444', '555555555555', ...org.accountsUnder(top)]));
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, ...org.accountsUnder(top)]));
  // Thanks to the lease, not to the read-back: no writer found its change undone and had to apply it again, and
  // writers did wait for each other (lease creates refused while another held it).
  expect(logged.warn.filter((m) => /undone by another writer/.test(m))).toEqual([]);
  const leasePuts = server.callsTo('PutParameter').filter((c) => String(c.body?.Name).startsWith('/cdk-imagebuilder-distribution/leases/'));
  expect(leasePuts.length).toBeGreaterThan(4);
});

/** The resource's properties as the construct synthesizes them, with the roles as CloudFormation would resolve them. */
function synthesized(build: (stack: Stack) => void): Record<string, string> {
  const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  build(stack);
  const [resource] = Object.values(Template.fromStack(stack).findResources(ORGANIZATION_TARGETS_RESOURCE_TYPE)) as any[];
  const resolve = (v: any): string => {
    if (typeof v === 'string') return v;
    if (v?.Ref === 'AWS::Partition') return 'aws';
    if (v?.['Fn::Join']) return v['Fn::Join'][1].map(resolve).join(v['Fn::Join'][0]);
    // The handler role: its path as the provider gives it, and a generated name.
    if (v?.['Fn::GetAtt']?.[1] === 'Arn') return `arn:aws:iam::123456789012:role/cdk-imagebuilder-distribution/c8abc/${v['Fn::GetAtt'][0]}`;
    throw new Error(`not resolvable here: ${JSON.stringify(v)}`);
  };
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries<any>(resource.Properties)) if (k !== 'ServiceToken') props[k] = resolve(v);
  roles.add(props.RoleArn);
  return props;
}

test('as synthesized: OrganizationDistributionTargets with OrganizationsReaderRole.fromAccount resolves and undoes over the wire', async () => {
  const ou = org.addOu();
  const nested = org.addOu(ou);
  const accounts = [org.addAccount(ou), org.addAccount(nested), org.addAccount(nested)];
  const excluded = org.addAccount(nested);
  const p = synthesized((stack) => new OrganizationDistributionTargets(stack, 'Targets', {
    distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Shared', ARN),
    regions: ['us-east-1', 'us-west-2'],
    targetAccounts: [TargetAccounts.fromOrganizationalUnits([ou], { exclude: [excluded] })],
    organizationsRole: OrganizationsReaderRole.fromAccount(stack, 'Reader', '999999999999'),
  }));
  expect(p.OrganizationsRoleArn).toBe(READER_ROLE);
  const created = await route(event('Create', p));
  expect(sorted(targetsIn('us-west-2'))).toEqual(sorted([EXISTING, ...accounts]));
  expect(created.Data?.AccountIds).toBe(sorted(accounts).join(','));
  await route(event('Delete', p, { PhysicalResourceId: created.PhysicalResourceId } as any));
  expect(targetsIn('us-west-2')).toEqual([EXISTING]);
});

/** The scheduled refresh's event as the synthesized rule sends it (tokens resolved as CloudFormation would). */
function synthesizedRefresh(build: (stack: Stack) => void): { props: Record<string, string>; refresh: any } {
  const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  build(stack);
  const template = Template.fromStack(stack);
  const [logicalId, resource] = Object.entries(template.findResources(ORGANIZATION_TARGETS_RESOURCE_TYPE))[0] as [string, any];
  const resolve = (v: any): string => {
    if (typeof v === 'string') return v;
    if (v?.Ref === 'AWS::Partition') return 'aws';
    if (v?.Ref === 'AWS::StackId') return STACK_ID;
    if (v?.Ref === logicalId) return 'physical-id-of-the-resource';
    if (v?.['Fn::Join']) return v['Fn::Join'][1].map(resolve).join(v['Fn::Join'][0]);
    if (v?.['Fn::GetAtt']?.[1] === 'Arn') return `arn:aws:iam::123456789012:role/cdk-imagebuilder-distribution/c8abc/${v['Fn::GetAtt'][0]}`;
    throw new Error(`not resolvable here: ${JSON.stringify(v)}`);
  };
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries<any>(resource.Properties)) if (k !== 'ServiceToken') props[k] = resolve(v);
  roles.add(props.RoleArn);
  const [rule] = Object.values(template.findResources('AWS::Events::Rule')) as any[];
  const refresh = JSON.parse(resolve(rule.Properties.Targets[0].Input));
  expect(refresh.LogicalResourceId).toBe(logicalId);
  return { props, refresh };
}

test('scheduled refresh (the rule\'s event as synthesized): applies joins and leaves, writes nothing when unchanged, reports failures as a metric', async () => {
  const ou = org.addOu();
  const [a, b] = [org.addAccount(ou), org.addAccount(ou)];
  const { props, refresh } = synthesizedRefresh((stack) => new OrganizationDistributionTargets(stack, 'Targets', {
    distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Shared', ARN),
    targetAccounts: [TargetAccounts.fromOrganizationalUnits([ou])],
    organizationsRole: OrganizationsReaderRole.fromAccount(stack, 'Reader', '999999999999'),
    refreshSchedule: events.Schedule.rate(Duration.hours(6)),
  }));
  await route(event('Create', props, { LogicalResourceId: refresh.LogicalResourceId }));
  expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, a, b]));
  const metrics = () => logged.info.filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l));
  {
    // Unchanged: no configuration write, no baseline write.
    const writes = ib.applied;
    const baselinePuts = () => server.callsTo('PutParameter').filter((c) => c.body.Name === props.BaselineParameterName).length;
    const puts = baselinePuts();
    await route(refresh);
    expect(ib.applied).toBe(writes);
    expect(baselinePuts()).toBe(puts);
    expect(metrics().at(-1)).toMatchObject({ DistributionTargets: 'Stack/Targets', RefreshFailed: 0 });
    expect(metrics().find((m) => 'ResolvedAccountCount' in m)).toMatchObject({ ResolvedAccountCount: 2 });
    expect(logged.info).toContainEqual(expect.stringMatching(/^Resolved 2 accounts with \d+ Organizations calls: ou-/));

    // b leaves, c joins: one write.
    org.removeAccount(b);
    const c = org.addAccount(ou);
    await route(refresh);
    expect(ib.applied).toBe(writes + 1);
    expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, a, c]));

    // The OU emptied: the refresh fails, changes nothing, and says so in the metric.
    org.setState(a, 'SUSPENDED');
    org.setState(c, 'SUSPENDED');
    await expect(route(refresh)).rejects.toThrow(/resolve to no account/);
    expect(sorted(targetsIn('us-east-1'))).toEqual(sorted([EXISTING, a, c]));
    expect(metrics().at(-1)).toMatchObject({ DistributionTargets: 'Stack/Targets', RefreshFailed: 1 });
    expect(metrics().at(-1)._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'cdk-imagebuilder-distribution', Dimensions: [['DistributionTargets']], Metrics: [{ Name: 'RefreshFailed', Unit: 'Count' }],
    });
  }
});

test('the fake Organizations answers requests its API model refuses as AWS does, before any route', async () => {
  // A session of the reader role (the only caller the fake answers), as the resolver gets one.
  await route(event('Create', targetProps([query({ parents: [org.addOu()] })], { AllowEmpty: 'true' })));
  const s = roles.sessions.find((x) => x.roleArn === READER_ROLE)!;
  const client = new Organizations(clients.LAMBDA_CREDENTIALS, async () => ({
    accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, sessionToken: s.sessionToken,
  }), 'us-east-1', server.endpoint);
  try {
    await expect(client.all('ListChildren', { ParentId: 'ou-NOT-valid', ChildType: 'ORGANIZATIONAL_UNIT' }, 'Children', 'x'))
      .rejects.toThrow(/InvalidInputException \(HTTP 400\): .*ParentId/);
    await expect(client.all('ListChildren', { ParentId: ROOT_ID }, 'Children', 'x')).rejects.toThrow(/InvalidInputException \(HTTP 400\): .*ChildType/);
    await expect(client.all('ListChildren', { ParentId: ROOT_ID, ChildType: 'ORGANIZATIONAL_UNIT' }, 'Children', 'x')).resolves.toHaveLength(1);
  } finally {
    client.destroy();
  }
});

test('a refresh of a resource that does not exist (not created yet, or deleted while the refresh ran) changes nothing', async () => {
  const ou = org.addOu();
  org.addAccount(ou);
  const p = targetProps([query({ parents: [ou] })]);
  const refresh = {
    Refresh: true,
    RequestType: 'Update',
    ResourceType: ORGANIZATION_TARGETS_RESOURCE_TYPE,
    StackId: STACK_ID,
    LogicalResourceId: 'Targets',
    PhysicalResourceId: 'gone',
    ResourceProperties: p,
  } as any;
  await route(refresh);
  expect(logged.warn).toEqual([expect.stringMatching(/^Not refreshing: no baseline of /)]);
  expect(targetsIn('us-east-1')).toEqual([EXISTING]);
  expect(ssm.params.has(TARGETS_PARAM)).toBe(false);
  expect(org.requests.ListAccountsForParent).toBeUndefined();
});
