// Over the wire: the resolution against the errors Organizations' ListChildren and ListAccountsForParent can answer
// (the model's `errors`; the fake may answer no other, in no other shape: server/model-check.ts): what is retried
// (throttling, internal errors) and what fails at once with what to do (no organization, the wrong caller). With IAM
// evaluated (server/iam.ts): the calls are made by the roles of the synthesized stacks, the distributing account's
// OrganizationDistributionTargets and the management account's OrganizationsReaderRole, as
// wire-organizations-iam.test.ts has them, so every error is one an authorized caller gets.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CdkCustomResourceEvent } from 'aws-lambda';
import { HandlerUnderTest } from './handler-under-test';
import { restoreLambdaEnvironmentAfterAll, setLambdaEnvironment } from './lambda-environment';
import { faults, LocalServer } from './local-server';
import { IamAuthorizer } from './server/iam';
import { DistributionConfigurations } from './server/imagebuilder';
import { MANAGEMENT_ACCOUNT, Organization, ORGANIZATION_ID } from './server/organizations';
import { ARN, fullDistribution, STACK_ID } from './server/patch-fixtures';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import * as clients from '../../lambda/clients';
import { DistributionConfiguration, OrganizationDistributionTargets, OrganizationsReaderRole, TargetAccounts } from '../../src';
import { ORGANIZATION_TARGETS_RESOURCE_TYPE, TargetAccountsQuery } from '../../src/private/organization-contract';
import { IamRoles } from '../util/iam-template';

jest.mock('../../lambda/distribute-image', () => ({ onEvent: jest.fn(), isComplete: jest.fn() }), { virtual: true });

const handler = new HandlerUnderTest();
const route = handler.onEvent;

restoreLambdaEnvironmentAfterAll();

const DISTRIBUTING = ARN.split(':')[4];
const REGION = 'us-east-1';

/**
 * Both stacks as synthesized: the distributing account's OrganizationDistributionTargets, reading the organization
 * through the management account's OrganizationsReaderRole, which trusts the distributing account.
 */
function synthesize(): IamRoles {
  const app = new App();
  const distributing = new Stack(app, 'Distributing', { env: { account: DISTRIBUTING, region: REGION } });
  new OrganizationDistributionTargets(distributing, 'Targets', {
    distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(distributing, 'Shared', ARN),
    targetAccounts: [TargetAccounts.fromOrganizationalUnits(['ou-ex12-00000001'])],
    organizationsRole: OrganizationsReaderRole.fromAccount(distributing, 'Reader', MANAGEMENT_ACCOUNT),
  });
  const management = new Stack(app, 'Management', { env: { account: MANAGEMENT_ACCOUNT, region: REGION } });
  new OrganizationsReaderRole(management, 'Reader', { distributingAccountIds: [DISTRIBUTING] });
  return IamRoles.fromTemplates(
    { Distributing: Template.fromStack(distributing).toJSON(), Management: Template.fromStack(management).toJSON() },
    { account: DISTRIBUTING, region: REGION },
    { Management: { account: MANAGEMENT_ACCOUNT, region: REGION } },
  );
}

const world = synthesize();
/** The resource's properties as synthesized; each test sends its own query. */
const synthesized = world.propertiesOf(ORGANIZATION_TARGETS_RESOURCE_TYPE) as Record<string, string>;
const RESOURCE_ROLE = synthesized.RoleArn;
const READER_ROLE = synthesized.OrganizationsRoleArn;

let server: LocalServer;
let ib: DistributionConfigurations;
let org: Organization;
let iam: IamAuthorizer;
let expectedDenials: unknown[] = [];
const sleeps: number[] = [];

function create(q: Partial<TargetAccountsQuery>, extra: Record<string, string> = {}): CdkCustomResourceEvent {
  const query: TargetAccountsQuery = { accountIds: [], parents: [], recursive: true, organization: false, exclude: [], states: ['ACTIVE'], ...q };
  return {
    ServiceToken: synthesized.ServiceToken,
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: STACK_ID,
    RequestId: `errors-${sleeps.length}-${Math.random().toString(36).slice(2)}`,
    LogicalResourceId: 'Targets',
    ResourceType: ORGANIZATION_TARGETS_RESOURCE_TYPE,
    RequestType: 'Create',
    ResourceProperties: { ...synthesized, ServiceToken: synthesized.ServiceToken, Query: JSON.stringify([query]), ...extra },
  } as CdkCustomResourceEvent;
}

const organizationsErrors = () => server.errorAnswers.filter((a) => a.operation.startsWith('List'));
const targets = () => ib.get(ARN)!.distributions.find((d: any) => d.region === 'us-east-1').amiDistributionConfiguration.targetAccountIds;

beforeEach(async () => {
  server = await LocalServer.start();
  ib = new DistributionConfigurations(server);
  new Parameters(server);
  iam = new IamAuthorizer(world, {
    account: DISTRIBUTING,
    keys: { test: world.byLogicalId('ImageBuilderDistributionProviderRole').arn },
    organization: { id: ORGANIZATION_ID, managementAccount: MANAGEMENT_ACCOUNT },
  }).attach(server);
  const roles = new Roles(server, { iam });
  org = new Organization(server, { callerRole: READER_ROLE, roles });
  setLambdaEnvironment(server, { ORGANIZATIONS_ENDPOINT: server.endpoint, HANDLER_REQUEST_TIMEOUT_MS: '2000' });
  clients.resetClients();
  sleeps.length = 0;
  handler.seams = { retry: { maxAttempts: 5, sleep: async (ms) => { sleeps.push(ms); } } };
  ib.put({ arn: ARN, name: 'imported-dist', distributions: [fullDistribution('us-east-1')] });
});

afterEach(async () => {
  clients.resetClients();
  await server.close();
  // Every call was authorized, unless a test looked for the denial.
  expect(iam.denials).toEqual(expectedDenials);
  expectedDenials = [];
});

test('AWSOrganizationsNotInUseException: fails at once (no retry), saying which account must read the organization; nothing changes', async () => {
  const ou = org.addOu();
  org.addAccount(ou);
  org.inUse = false;
  await expect(route(create({ parents: [ou] }))).rejects.toThrow(
    /organizations:ListAccountsForParent on ou-\S+ failed: AWSOrganizationsNotInUseException \(HTTP 400\): Your account is not a member of an organization\. The account whose credentials made the call belongs to no organization: OrganizationsRoleArn must name a role in the organization's management account/);
  expect(sleeps).toEqual([]);
  expect(organizationsErrors().map((a) => a.body)).toContainEqual({ __type: 'AWSOrganizationsNotInUseException', Message: 'Your account is not a member of an organization.' });
  expect(targets()).toEqual(['111111111111']);
});

test('AccessDeniedException (the caller is not the reader role): fails at once, naming the role and actions it takes', async () => {
  const ou = org.addOu();
  org.addAccount(ou);
  const event = create({ parents: [ou] });
  delete (event.ResourceProperties as Record<string, unknown>).OrganizationsRoleArn;
  // IAM refuses the resource role's own session (it is granted no Organizations action) before Organizations answers.
  const session = `arn:aws:sts::${DISTRIBUTING}:assumed-role/${RESOURCE_ROLE.split('/').pop()}/`;
  await expect(route(event)).rejects.toThrow(/AccessDeniedException \(HTTP 400\): User: \S+ is not authorized to perform: organizations:ListAccountsForParent .*\. Organizations lists OUs and accounts only to the management account or a delegated administrator, and only to principals allowed organizations:ListAccounts, organizations:ListAccountsForParent, organizations:ListChildren/);
  // Not retried, and the listing that was under way when the resolution failed sends nothing more (it had its answer
  // cut off when the client was destroyed: no retry follows).
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(server.callsTo('ListAccountsForParent')).toHaveLength(1);
  expect(server.callsTo('ListChildren').length).toBeLessThanOrEqual(1);
  expect(organizationsErrors()[0].body).toMatchObject({ __type: 'AccessDeniedException', Message: expect.any(String) });
  expect(iam.denials.map((d) => d.action)).toContain('organizations:ListAccountsForParent');
  expectedDenials = iam.denials.map(() => expect.objectContaining({ principal: expect.stringContaining(session), action: expect.stringMatching(/^organizations:List(AccountsForParent|Children)$/) }));
});

test('ServiceException (HTTP 500) and TooManyRequestsException are retried with backoff; the resolution completes', async () => {
  const ou = org.addOu();
  const accounts = [org.addAccount(ou), org.addAccount(org.addOu(ou))];
  server.inject('ListAccountsForParent', faults.error(500, 'ServiceException', 'Organizations can\'t complete your request because of an internal service error.'), 2);
  server.inject('ListChildren', faults.error(400, 'TooManyRequestsException', 'AWS Organizations can\'t complete your request because another request is already in progress.'), 2);
  await route(create({ parents: [ou] }));
  expect([...targets()].sort()).toEqual(['111111111111', ...accounts].sort());
  expect(sleeps.length).toBeGreaterThanOrEqual(4);
  const answered = organizationsErrors().map((a) => `${a.status} ${(a.body as any).__type}`).sort();
  expect(answered).toEqual(['400 TooManyRequestsException', '400 TooManyRequestsException', '500 ServiceException', '500 ServiceException']);
  // Organizations' shape: the message is `Message`.
  expect(organizationsErrors().every((a) => typeof (a.body as any).Message === 'string' && !('message' in (a.body as any)))).toBe(true);
});

test('ParentNotFoundException (an OU that is gone): fails at once with Organizations\' reason', async () => {
  await expect(route(create({ parents: ['ou-ex12-zzzzzzzz'] }))).rejects.toThrow(/ListAccountsForParent on ou-ex12-zzzzzzzz failed: ParentNotFoundException \(HTTP 400\): We can't find a root or OU/);
  expect(sleeps).toEqual([]);
});

test('the calls are authorized by the synthesized reader role: without its Organizations grant, IAM denies before any service error', async () => {
  const grant = world.statementsOf(READER_ROLE).findIndex(({ statement }) => [statement.Action].flat().includes('organizations:ListAccountsForParent'));
  expect(grant).toBeGreaterThanOrEqual(0);
  iam.world = world.withoutStatement(READER_ROLE, grant);
  const ou = org.addOu();
  org.addAccount(ou);
  server.inject('ListAccountsForParent', faults.error(500, 'ServiceException', 'Organizations can\'t complete your request because of an internal service error.'));
  await expect(route(create({ parents: [ou] }))).rejects.toThrow(/organizations:List\w+ on ou-\S+ failed: AccessDeniedException \(HTTP 400\): User: .*is not authorized to perform: organizations:List/);
  expect(organizationsErrors().map((a) => (a.body as any).__type)).not.toContain('ServiceException');
  expect(targets()).toEqual(['111111111111']);
  expectedDenials = iam.denials.map(() => expect.objectContaining({ principal: expect.stringContaining(`assumed-role/${READER_ROLE.split('/').pop()}/`) }));
  expect(iam.denials.length).toBeGreaterThan(0);
});
