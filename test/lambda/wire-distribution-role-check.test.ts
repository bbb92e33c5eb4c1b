// The distribution role check of OrganizationDistributionTargets, over the wire and under IAM as synthesized: the
// handler's calls are authorized against the roles the constructs synthesize (the resource's handler role, the
// management account's OrganizationsReaderRole), and AssumeRole of each target account's
// EC2ImageBuilderDistributionCrossAccountRole is decided by that role's trust policy as the StackSet of
// OrganizationDistributionRoles deploys it there (its TemplateBody, resolved for the account), never a hand-written one.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CdkCustomResourceEvent } from 'aws-lambda';
import { restoreLambdaEnvironmentAfterAll, setLambdaEnvironment } from './lambda-environment';
import { LocalServer } from './local-server';
import { Ec2Images } from './server/distribute-routes';
import { IamAuthorizer } from './server/iam';
import { DistributionConfigurations } from './server/imagebuilder';
import { Organization } from './server/organizations';
import { ARN, fullDistribution, STACK_ID } from './server/patch-fixtures';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import { QueryClient } from '../../lambda/aws-request';
import * as clients from '../../lambda/clients';
import { physicalResourceId } from '../../lambda/distribution-configuration-patch';
import { DENY_ALL_SESSION_POLICY } from '../../lambda/distribution-role-check';
import { RESPONSE_LIMIT_BYTES } from '../../lambda/errors';
import type { HandlerOptions } from '../../lambda/handler-options';
import { entryPoints } from '../../lambda/index';
import { attributes, MAX_ACCOUNT_IDS_ATTRIBUTE_BYTES, MAX_MISSING_ROLE_ACCOUNT_IDS_BYTES } from '../../lambda/organization-targets';
import {
  DistributionConfiguration, DistributionRoleCheck, OrganizationDistributionRoles, OrganizationDistributionTargets, OrganizationsReaderRole,
  TargetAccounts,
} from '../../src';
import { ORGANIZATION_TARGETS_RESOURCE_TYPE } from '../../src/private/organization-contract';
import { IamRoles } from '../util/iam-template';

jest.mock('../../lambda/distribute-image', () => ({ onEvent: jest.fn(), isComplete: jest.fn() }), { virtual: true });

const ACCOUNT = '123456789012'; // the distributing account: the configuration's and the stack's
const MANAGEMENT = '999999999999';
const OTHER_DISTRIBUTOR = '888888888888';
const REGION = 'us-east-1';
const EXISTING = '111111111111'; // in fullDistribution's targetAccountIds
/** The roles of the distributing stack do not depend on the OU: the fakes start with them before the OU exists. */
const PLACEHOLDER_OU = 'ou-ab12-abcdefgh';
restoreLambdaEnvironmentAfterAll();

/** The template of the stack instances OrganizationDistributionRoles deploys, for roles trusting `distributor`. */
function stackSetTemplate(distributor: string): any {
  const stack = new Stack(new App(), 'Management', { env: { account: MANAGEMENT, region: REGION } });
  new OrganizationDistributionRoles(stack, 'Roles', { organizationalUnitIds: ['ou-ab12-workload1'], distributingAccountIds: [distributor] });
  const [stackSet] = Object.values(Template.fromStack(stack).findResources('AWS::CloudFormation::StackSet')) as any[];
  const body = stackSet.Properties.TemplateBody;
  expect(typeof body).toBe('string'); // no deploy-time value in it: it is what each account gets
  return JSON.parse(body);
}
const TRUSTING_US = stackSetTemplate(ACCOUNT);
const TRUSTING_ANOTHER = stackSetTemplate(OTHER_DISTRIBUTOR);

/** The management account's roles: the reader role the resource's role chains to. */
function managementWorld(): IamRoles {
  const stack = new Stack(new App(), 'Management', { env: { account: MANAGEMENT, region: REGION } });
  new OrganizationsReaderRole(stack, 'Reader', { distributingAccountIds: [ACCOUNT] });
  return IamRoles.fromTemplates({ Management: Template.fromStack(stack).toJSON() }, { account: MANAGEMENT, region: REGION });
}

/** The distributing stack: the world of its roles and the resource's properties as CloudFormation resolves them. */
function distributingStack(ou: string, check?: DistributionRoleCheck, extra: string[] = []) {
  const stack = new Stack(new App(), 'TestStack', { env: { account: ACCOUNT, region: REGION } });
  new OrganizationDistributionTargets(stack, 'Targets', {
    distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Shared', ARN),
    targetAccounts: [TargetAccounts.fromOrganizationalUnits([ou]), ...(extra.length > 0 ? [TargetAccounts.fromAccountIds(extra)] : [])],
    organizationsRole: OrganizationsReaderRole.fromAccount(stack, 'Reader', MANAGEMENT),
    distributionRoleCheck: check,
  });
  const world = IamRoles.fromTemplates({ TestStack: Template.fromStack(stack).toJSON() }, { account: ACCOUNT, region: REGION });
  const props = world.propertiesOf(ORGANIZATION_TARGETS_RESOURCE_TYPE);
  return { world, props, providerRoleArn: world.byLogicalId('ImageBuilderDistributionProviderRole').arn };
}

let server: LocalServer;
let orgServer: LocalServer;
let ib: DistributionConfigurations;
let ssm: Parameters;
let roles: Roles;
let org: Organization;
let authorizer: IamAuthorizer;
/** The target accounts' roles (IamAuthorizerOptions.otherAccounts): filled by `withRole`. */
let accounts: IamRoles[];
const sleeps: number[] = [];
let iamWaits: number[];
/** The handler's test seams (HandlerOptions) of the current test: backoff without sleeping, the IAM wait's, the log. */
let seams: HandlerOptions;
/** Every log line of the handler (any level), while `seams.log` is the capture's. */
let logLines: string[] = [];
const route = (e: CdkCustomResourceEvent) => entryPoints(seams).onEvent(e);

/** Gives `account` the cross-account distribution role, as the StackSet (of `template`) deploys it there. */
function withRole(account: string, template = TRUSTING_US): void {
  accounts.push(IamRoles.fromTemplates({ [`Target${account}`]: template }, { account, region: REGION }));
}

/** Starts the fakes with IAM as `stack` synthesizes it. */
function start(stack: ReturnType<typeof distributingStack>): void {
  accounts.push(managementWorld());
  // The same array: the roles `withRole` gives later are seen.
  authorizer = new IamAuthorizer(stack.world, { account: ACCOUNT, keys: { test: stack.providerRoleArn }, otherAccounts: accounts }).attach(server);
  roles = new Roles(server, { iam: authorizer });
  const readerRole = managementWorld().byLogicalId('Reader').arn;
  org = new Organization(orgServer, { callerRole: readerRole, roles });
}

beforeEach(async () => {
  server = await LocalServer.start();
  orgServer = await LocalServer.start();
  ib = new DistributionConfigurations(server);
  ssm = new Parameters(server);
  accounts = [];
  setLambdaEnvironment(server, { ORGANIZATIONS_ENDPOINT: orgServer.endpoint, HANDLER_REQUEST_TIMEOUT_MS: '2000' });
  clients.resetClients();
  sleeps.length = 0;
  iamWaits = [];
  logLines = [];
  seams = {
    retry: { maxAttempts: 5, sleep: async (ms) => { sleeps.push(ms); } },
    iamWait: { sleep: async (ms) => { iamWaits.push(ms); }, iamWaitBudgetMs: 10_000 },
    log: (line) => { logLines.push(line); },
  };
  ib.put({ arn: ARN, name: 'imported-dist', description: 'owned by another team', distributions: [fullDistribution(REGION)] });
});

afterEach(async () => {
  clients.resetClients();
  await server.close();
  await orgServer.close();
});

let counter = 0;
function event(type: 'Create' | 'Update', p: Record<string, string>, extra: Record<string, unknown> = {}): CdkCustomResourceEvent {
  const { ServiceToken, ...props } = p;
  return {
    ServiceToken,
    ResponseURL: 'https://example.invalid/',
    StackId: STACK_ID,
    RequestId: `check-${++counter}`,
    LogicalResourceId: 'Targets',
    ResourceType: ORGANIZATION_TARGETS_RESOURCE_TYPE,
    RequestType: type,
    ResourceProperties: { ServiceToken, ...props },
    ...extra,
  } as CdkCustomResourceEvent;
}

const targets = (): string[] =>
  [...ib.get(ARN)!.distributions.find((d: any) => d.region === REGION).amiDistributionConfiguration.targetAccountIds].sort();
const sorted = (ids: string[]) => [...ids].sort();
const probes = () => server.callsTo('AssumeRole').filter((c) => String(c.body.RoleArn).endsWith(':role/EC2ImageBuilderDistributionCrossAccountRole'));

/** An OU with an account whose role trusts this account, one without the role, one whose role trusts another account. */
function threeKinds() {
  const ou = org.addOu();
  const [good, none, foreign] = [org.addAccount(ou), org.addAccount(ou), org.addAccount(ou)];
  withRole(good);
  withRole(foreign, TRUSTING_ANOTHER);
  return { ou, good, none, foreign };
}

/** Runs `fn` and returns the handler's log lines it made: the EMF metric lines and the others. */
async function logged<T>(fn: () => Promise<T>): Promise<{ result: T; metrics: any[]; lines: string[] }> {
  logLines = [];
  const result = await fn();
  const all = [...logLines];
  return { result, metrics: all.filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l)), lines: all.filter((l) => !l.startsWith('{"_aws"')) };
}

/** An STS client that signs as `session` (a session the fake STS issued), as the handler's probe did. */
function stsClientOf(session: { accessKeyId: string; secretAccessKey: string; sessionToken: string }): QueryClient {
  const { accessKeyId, secretAccessKey, sessionToken } = session;
  return new QueryClient({
    service: 'sts', region: REGION, endpoint: server.endpoint, timeoutMs: 2000, credentials: async () => ({ accessKeyId, secretAccessKey, sessionToken }),
  }, '2011-06-15');
}

describe('as synthesized, under IAM', () => {
  test('REPORT: accounts without the role, or whose role trusts another account, are reported (attribute, metric, log) and still written', async () => {
    const stack = distributingStack(PLACEHOLDER_OU, DistributionRoleCheck.REPORT);
    start(stack);
    const { ou, good, none, foreign } = threeKinds();
    const p = distributingStack(ou, DistributionRoleCheck.REPORT).props;
    const { result, metrics, lines } = await logged(() => route(event('Create', p)));
    expect(targets()).toEqual(sorted([EXISTING, good, none, foreign]));
    expect(result.Data).toMatchObject({ AccountCount: '3', MissingRoleAccountCount: '2', MissingRoleAccountIds: sorted([none, foreign]).join(',') });
    expect(metrics.find((m) => 'MissingRoleAccountCount' in m)).toMatchObject({ DistributionTargets: 'TestStack/Targets', MissingRoleAccountCount: 2, ResolvedAccountCount: 3 });
    expect(lines.find((l) => /Distribution role check/.test(l))).toMatch(new RegExp(`2 of 3 accounts .*${sorted([none, foreign]).map((a) => `${a} \\(AccessDenied\\)`).join(', ')}`));
    // IAM decided: the trust policies of the deployed roles (none for the account without one), not the fake's say-so.
    expect(authorizer.denials.filter((d) => d.action === 'sts:AssumeRole').map((d) => d.resource).sort())
      .toEqual(sorted([none, foreign]).map((a) => `arn:aws:iam::${a}:role/EC2ImageBuilderDistributionCrossAccountRole`));
    // Each account asked once, always with the deny-all session policy, as the resource's own role.
    expect(probes()).toHaveLength(3);
    expect(probes().every((c) => c.body.Policy === DENY_ALL_SESSION_POLICY && c.body.DurationSeconds === '900')).toBe(true);
    const handlerRole = p.RoleArn;
    expect(roles.sessions.filter((s) => s.roleArn.endsWith('EC2ImageBuilderDistributionCrossAccountRole')).map((s) => roles.sessionOfKey(s.callerKey)?.roleArn))
      .toEqual([handlerRole]);
  });

  test('EXCLUDE: accounts without the role are left out until their role appears; then the next resolution adds them', async () => {
    start(distributingStack(PLACEHOLDER_OU, DistributionRoleCheck.EXCLUDE));
    const { ou, good, none, foreign } = threeKinds();
    const p = distributingStack(ou, DistributionRoleCheck.EXCLUDE).props;
    const created = await logged(() => route(event('Create', p)));
    expect(targets()).toEqual(sorted([EXISTING, good]));
    expect(created.result.Data).toMatchObject({ AccountCount: '1', AccountIds: good, MissingRoleAccountCount: '2', MissingRoleAccountIds: sorted([none, foreign]).join(',') });
    expect(created.metrics.find((m) => 'MissingRoleAccountCount' in m)).toMatchObject({ ResolvedAccountCount: 1, MissingRoleAccountCount: 2 });

    withRole(none); // the StackSet reached it
    const p2 = { ...p, ResolutionKey: '2' };
    const updated = await logged(() => route(event('Update', p2, { PhysicalResourceId: created.result.PhysicalResourceId, OldResourceProperties: p })));
    expect(targets()).toEqual(sorted([EXISTING, good, none]));
    expect(updated.result.Data).toMatchObject({ AccountCount: '2', MissingRoleAccountCount: '1', MissingRoleAccountIds: foreign });
  });

  test('EXCLUDE: when no account has the role the resolution is empty, refused unless allowEmpty', async () => {
    start(distributingStack(PLACEHOLDER_OU, DistributionRoleCheck.EXCLUDE));
    const ou = org.addOu();
    org.addAccount(ou);
    const p = distributingStack(ou, DistributionRoleCheck.EXCLUDE).props;
    await expect(logged(() => route(event('Create', p)))).rejects.toThrow(/None of the 1 resolved accounts has an EC2ImageBuilderDistributionCrossAccountRole .*allowEmpty/);
    expect(targets()).toEqual([EXISTING]);
  });

  test('FAIL: the resolution fails naming the accounts, and changes nothing', async () => {
    start(distributingStack(PLACEHOLDER_OU, DistributionRoleCheck.FAIL));
    const { ou, none, foreign } = threeKinds();
    const p = distributingStack(ou, DistributionRoleCheck.FAIL).props;
    const before = JSON.stringify(ib.get(ARN)!.distributions);
    logLines = [];
    const failed = route(event('Create', p));
    await expect(failed).rejects.toThrow(new RegExp(`2 of the 3 resolved accounts have no EC2ImageBuilderDistributionCrossAccountRole that account ${ACCOUNT} `
      + `may assume: ${sorted([none, foreign]).join(', ')}\\. .*Nothing was changed`));
    // The metric says so too (a refresh that fails this way also sets RefreshFailed).
    const metrics = logLines.filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l));
    expect(metrics).toEqual([expect.objectContaining({ MissingRoleAccountCount: 2 })]);
    expect(JSON.stringify(ib.get(ARN)!.distributions)).toBe(before);
    expect(ssm.params.has(p.BaselineParameterName)).toBe(false);
    expect(server.callsTo('UpdateDistributionConfiguration')).toHaveLength(0);
  });

  test('FAIL with every account holding the role: resolved and written as without the check', async () => {
    start(distributingStack(PLACEHOLDER_OU, DistributionRoleCheck.FAIL));
    const ou = org.addOu();
    const ids = [org.addAccount(ou), org.addAccount(ou)];
    ids.forEach((a) => withRole(a));
    const { result } = await logged(() => route(event('Create', distributingStack(ou, DistributionRoleCheck.FAIL).props)));
    expect(targets()).toEqual(sorted([EXISTING, ...ids]));
    expect(result.Data).toMatchObject({ MissingRoleAccountCount: '0', MissingRoleAccountIds: '' });
    expect(iamWaits).toEqual([]);
  });

  test('the distributing account itself is not checked (it needs no cross-account role)', async () => {
    start(distributingStack(PLACEHOLDER_OU, DistributionRoleCheck.FAIL));
    const ou = org.addOu();
    const other = org.addAccount(ou);
    withRole(other);
    const { result } = await logged(() => route(event('Create', distributingStack(ou, DistributionRoleCheck.FAIL, [ACCOUNT]).props)));
    expect(targets()).toEqual(sorted([EXISTING, ACCOUNT, other]));
    expect(probes().map((c) => c.body.RoleArn)).toEqual([`arn:aws:iam::${other}:role/EC2ImageBuilderDistributionCrossAccountRole`]);
    expect(result.Data?.MissingRoleAccountCount).toBe('0');
  });

  test('without distributionRoleCheck: no account is probed, and the attributes are empty', async () => {
    start(distributingStack(PLACEHOLDER_OU));
    const { ou } = threeKinds();
    const { result } = await logged(() => route(event('Create', distributingStack(ou).props)));
    expect(probes()).toHaveLength(0);
    expect(result.Data).toMatchObject({ AccountCount: '3', MissingRoleAccountCount: '', MissingRoleAccountIds: '' });
  });

  test('the session policy denies everything: the credentials of a check can do nothing the role could', async () => {
    const stack = distributingStack(PLACEHOLDER_OU, DistributionRoleCheck.REPORT);
    start(stack);
    const ou = org.addOu();
    const good = org.addAccount(ou);
    withRole(good);
    await logged(() => route(event('Create', distributingStack(ou, DistributionRoleCheck.REPORT).props)));
    const probe = roles.sessions.find((s) => s.roleArn === `arn:aws:iam::${good}:role/EC2ImageBuilderDistributionCrossAccountRole`)!;
    expect(probe.policy).toEqual(JSON.parse(DENY_ALL_SESSION_POLICY));
    // The same role assumed without a session policy (by the same caller): its managed policy allows DescribeImages.
    const caller = roles.sessionOfKey(probe.callerKey)!;
    const sts = stsClientOf(caller);
    await sts.call('AssumeRole', { RoleArn: probe.roleArn, RoleSessionName: 'unrestricted', DurationSeconds: 900 });
    sts.destroy();
    const unrestricted = roles.sessions.at(-1)!;
    expect(unrestricted.policy).toBeUndefined();

    const ec2Server = await Ec2Images.start();
    ec2Server.authorize = authorizer.ec2Check;
    ec2Server.add({ imageId: 'ami-0123456789abcdef0', region: REGION, creationDate: '2025-06-01T12:00:00.000Z', snapshotIds: ['snap-0123456789abcdef0'] });
    const describe = (s: typeof probe) => new clients.Ec2(REGION, ec2Server.endpoint, async () => ({
      accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, sessionToken: s.sessionToken,
    })).describeImages({ ImageIds: ['ami-0123456789abcdef0'], Owners: ['self'] });
    try {
      await expect(describe(unrestricted)).resolves.toHaveProperty('Images');
      await expect(describe(probe)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
      expect(authorizer.denials.at(-1)).toMatchObject({ action: 'ec2:DescribeImages', principal: expect.stringContaining(`${good}:assumed-role/EC2ImageBuilderDistributionCrossAccountRole/`) });
    } finally {
      await ec2Server.close();
    }
  });

  test('throttling: AssumeRole answered Throttling is retried with backoff, fewer at a time, and the check completes', async () => {
    start(distributingStack(PLACEHOLDER_OU, DistributionRoleCheck.REPORT));
    const ou = org.addOu();
    const ids = Array.from({ length: 40 }, () => org.addAccount(ou));
    const missing = ids.filter((_, i) => i % 5 === 0);
    ids.filter((a) => !missing.includes(a)).forEach((a) => withRole(a));
    roles.throttleEvery = 3;
    roles.latencyMs = 20; // answers overlap, so that how many are asked at a time shows
    const { result, lines } = await logged(() => route(event('Create', distributingStack(ou, DistributionRoleCheck.REPORT).props)));
    // Several at a time at first (up to 8); each throttled answer halves that, down to one at a time.
    const checks = roles.concurrency.slice(-probes().length);
    expect(Math.max(...checks.slice(0, 8))).toBeGreaterThanOrEqual(4);
    expect(Math.max(...checks.slice(-10))).toBe(1);
    expect(result.Data).toMatchObject({ MissingRoleAccountCount: String(missing.length), MissingRoleAccountIds: sorted(missing).join(',') });
    expect(roles.throttled).toBeGreaterThan(5);
    expect(sleeps.length).toBeGreaterThanOrEqual(roles.throttled);
    expect(lines.find((l) => /Distribution role check/.test(l))).toMatch(/\d+ STS calls \(\d+ throttled\)/);
  });

  test('the permission is the handler role\'s grant: without it every account fails, and a deployment waits for IAM before reporting', async () => {
    const stack = distributingStack(PLACEHOLDER_OU, DistributionRoleCheck.REPORT);
    start(stack);
    const ou = org.addOu();
    const ids = [org.addAccount(ou), org.addAccount(ou)];
    ids.forEach((a) => withRole(a));
    const p = distributingStack(ou, DistributionRoleCheck.REPORT).props;
    const grant = stack.world.statementsOf(p.RoleArn).findIndex((s) => JSON.stringify(s.statement.Resource).includes('EC2ImageBuilderDistributionCrossAccountRole'));
    expect(grant).toBeGreaterThanOrEqual(0);
    authorizer.world = stack.world.withoutStatement(p.RoleArn, grant);
    const { result } = await logged(() => route(event('Create', p)));
    expect(result.Data).toMatchObject({ MissingRoleAccountCount: '2' });
    // The wait (10 s in this test) was spent asking one account again, then both were reported.
    expect(iamWaits.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(probes().length).toBe(2 + iamWaits.length);
  });

  test('a deployment whose new grant IAM shows only after a while: the wait sees it, and no account is reported', async () => {
    const stack = distributingStack(PLACEHOLDER_OU, DistributionRoleCheck.FAIL);
    start(stack);
    const ou = org.addOu();
    const ids = [org.addAccount(ou), org.addAccount(ou), org.addAccount(ou)];
    ids.forEach((a) => withRole(a));
    const p = distributingStack(ou, DistributionRoleCheck.FAIL).props;
    const grant = stack.world.statementsOf(p.RoleArn).findIndex((s) => JSON.stringify(s.statement.Resource).includes('EC2ImageBuilderDistributionCrossAccountRole'));
    authorizer.world = stack.world.withoutStatement(p.RoleArn, grant);
    // IAM shows the grant after the second wait.
    seams = { ...seams, iamWait: { sleep: async (ms) => { if (iamWaits.push(ms) === 2) authorizer.world = stack.world; }, iamWaitBudgetMs: 60_000 } };
    const { result } = await logged(() => route(event('Create', p)));
    expect(targets()).toEqual(sorted([EXISTING, ...ids]));
    expect(result.Data).toMatchObject({ MissingRoleAccountCount: '0' });
    expect(iamWaits).toHaveLength(2);
  });

  test('a refresh does not wait for IAM: its permission is long in place', async () => {
    const stack = distributingStack(PLACEHOLDER_OU, DistributionRoleCheck.REPORT);
    start(stack);
    const ou = org.addOu();
    const [a] = [org.addAccount(ou)];
    const p = distributingStack(ou, DistributionRoleCheck.REPORT).props;
    const created = await logged(() => route(event('Create', p)));
    expect(created.result.Data?.MissingRoleAccountCount).toBe('1');
    expect(iamWaits.length).toBeGreaterThan(0); // the deployment waited (its only account failed)
    iamWaits.length = 0;
    const refresh = { ...event('Update', p, { PhysicalResourceId: created.result.PhysicalResourceId, OldResourceProperties: p }), Refresh: true } as any;
    const refreshed = await logged(() => route(refresh));
    expect(iamWaits).toEqual([]);
    expect(refreshed.metrics.find((m) => 'MissingRoleAccountCount' in m)).toMatchObject({ MissingRoleAccountCount: 1 });
    expect(refreshed.metrics.at(-1)).toMatchObject({ RefreshFailed: 0 });
    expect(targets()).toEqual(sorted([EXISTING, a]));
  });
});

test('the largest answer fits CloudFormation\'s 4096 bytes: the ID lists at their limits (they share the room), every other field at its longest', () => {
  const longest = (n: number) => '0123456789'.repeat(Math.ceil(n / 10)).slice(0, n);
  const ids = (n: number, from = 100000000000) => Array.from({ length: n }, (_, i) => String(from + i));
  const most = (limit: number) => {
    let n = 0;
    while (Buffer.byteLength(ids(n + 1).join(',')) <= limit) n++;
    return n;
  };
  const missing = ids(most(MAX_MISSING_ROLE_ACCOUNT_IDS_BYTES), 200000000000);
  expect(missing).toHaveLength(30);
  expect(attributes([], ids(31)).MissingRoleAccountIds).toBe('');
  // Without accounts to list as missing, AccountIds has the whole room; with them, what they leave.
  expect(attributes(ids(most(MAX_ACCOUNT_IDS_ATTRIBUTE_BYTES))).AccountIds).not.toBe('');
  expect(attributes(ids(most(MAX_ACCOUNT_IDS_ATTRIBUTE_BYTES)), missing).AccountIds).toBe('');
  const accountIds = ids(most(MAX_ACCOUNT_IDS_ATTRIBUTE_BYTES - Buffer.byteLength(missing.join(','))));
  const data = attributes(accountIds, missing);
  expect(data.AccountIds).not.toBe('');
  expect(data.MissingRoleAccountIds).toBe(missing.join(','));
  // Names at the API's and CloudFormation's maxima (a configuration name of 128, a stack name of 128, a logical ID of 255).
  const configArn = `arn:aws-us-gov:imagebuilder:us-gov-west-1:123456789012:distribution-configuration/${longest(128)}`;
  const stackId = `arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/${longest(128)}/5f6d0a40-0000-4000-8000-000000000001`;
  const logicalId = 'L'.repeat(255);
  // As aws-cdk-lib's Provider framework answers (cfn-response.js submitResponse).
  const body = JSON.stringify({
    Status: 'SUCCESS',
    Reason: 'SUCCESS',
    StackId: stackId,
    RequestId: '5f6d0a40-0000-4000-8000-000000000002',
    PhysicalResourceId: physicalResourceId(configArn, { StackId: stackId, LogicalResourceId: logicalId }),
    LogicalResourceId: logicalId,
    Data: { DistributionConfigurationArn: configArn, ...data },
  });
  expect(Buffer.byteLength(body)).toBeLessThanOrEqual(RESPONSE_LIMIT_BYTES);
});

test('the fake STS refuses session policies as STS does: not JSON, or too large', async () => {
  start(distributingStack(PLACEHOLDER_OU, DistributionRoleCheck.REPORT));
  const ou = org.addOu();
  const good = org.addAccount(ou);
  withRole(good);
  await logged(() => route(event('Create', distributingStack(ou, DistributionRoleCheck.REPORT).props)));
  const caller = roles.sessionOfKey(roles.sessions.find((s) => s.roleArn.endsWith('EC2ImageBuilderDistributionCrossAccountRole'))!.callerKey)!;
  const sts = stsClientOf(caller);
  const assume = (Policy: string) => sts.call('AssumeRole', {
    RoleArn: `arn:aws:iam::${good}:role/EC2ImageBuilderDistributionCrossAccountRole`, RoleSessionName: 'policy-check', DurationSeconds: 900, Policy,
  });
  const statement = { Effect: 'Deny', Action: '*', Resource: '*' };
  try {
    await expect(assume('{"Version":')).rejects.toMatchObject({ name: 'MalformedPolicyDocument' });
    await expect(assume(JSON.stringify({ Version: '2012-10-17', Statement: Array(60).fill(statement) }))).rejects.toMatchObject({ name: 'PackedPolicyTooLarge' });
    await expect(assume(DENY_ALL_SESSION_POLICY)).resolves.toBeDefined();
  } finally {
    sts.destroy();
  }
});
