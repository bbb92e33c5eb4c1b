// Over the wire: the resolution against the errors Organizations' ListChildren and ListAccountsForParent can answer
// (the model's `errors`; the fake may answer no other, in no other shape: server/model-check.ts): what is retried
// (throttling, internal errors) and what fails at once with what to do (no organization, the wrong caller).
import type { CdkCustomResourceEvent } from 'aws-lambda';
import { HandlerUnderTest } from './handler-under-test';
import { restoreLambdaEnvironmentAfterAll, setLambdaEnvironment } from './lambda-environment';
import { faults, LocalServer } from './local-server';
import { DistributionConfigurations } from './server/imagebuilder';
import { Organization } from './server/organizations';
import { ARN, fullDistribution, STACK_ID } from './server/patch-fixtures';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import * as clients from '../../lambda/clients';
import { ORGANIZATION_TARGETS_RESOURCE_TYPE, TargetAccountsQuery } from '../../src/private/organization-contract';

jest.mock('../../lambda/distribute-image', () => ({ onEvent: jest.fn(), isComplete: jest.fn() }), { virtual: true });

const handler = new HandlerUnderTest();
const route = handler.onEvent;

restoreLambdaEnvironmentAfterAll();

const RESOURCE_ROLE = 'arn:aws:iam::123456789012:role/cdk-imagebuilder-distribution/c8abc/Targets/TargetsHandlerRole';
const READER_ROLE = 'arn:aws:iam::999999999999:role/cdk-imagebuilder-distribution-organizations-reader';

let server: LocalServer;
let ib: DistributionConfigurations;
let org: Organization;
const sleeps: number[] = [];

function create(q: Partial<TargetAccountsQuery>, extra: Record<string, string> = {}): CdkCustomResourceEvent {
  const query: TargetAccountsQuery = { accountIds: [], parents: [], recursive: true, organization: false, exclude: [], states: ['ACTIVE'], ...q };
  return {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: STACK_ID,
    RequestId: `errors-${sleeps.length}-${Math.random().toString(36).slice(2)}`,
    LogicalResourceId: 'Targets',
    ResourceType: ORGANIZATION_TARGETS_RESOURCE_TYPE,
    RequestType: 'Create',
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
      DistributionConfigurationArn: ARN,
      BaselineParameterName: '/cdk-imagebuilder-distribution/baselines/targets',
      Patch: JSON.stringify({ distributions: [] }),
      Query: JSON.stringify([query]),
      Regions: JSON.stringify(['us-east-1']),
      AllowEmpty: 'false',
      OrganizationsRoleArn: READER_ROLE,
      RoleArn: RESOURCE_ROLE,
      ...extra,
    },
  } as CdkCustomResourceEvent;
}

const organizationsErrors = () => server.errorAnswers.filter((a) => a.operation.startsWith('List'));
const targets = () => ib.get(ARN)!.distributions.find((d: any) => d.region === 'us-east-1').amiDistributionConfiguration.targetAccountIds;

beforeEach(async () => {
  server = await LocalServer.start();
  ib = new DistributionConfigurations(server);
  new Parameters(server);
  const roles = new Roles(server);
  roles.add(RESOURCE_ROLE).add(READER_ROLE);
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
  await expect(route(event)).rejects.toThrow(/AccessDeniedException \(HTTP 400\): You don't have permissions .*\. Organizations lists OUs and accounts only to the management account or a delegated administrator, and only to principals allowed organizations:ListAccounts, organizations:ListAccountsForParent, organizations:ListChildren/);
  // Not retried, and the listing that was under way when the resolution failed sends nothing more (it had its answer
  // cut off when the client was destroyed: no retry follows).
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(server.callsTo('ListAccountsForParent')).toHaveLength(1);
  expect(server.callsTo('ListChildren').length).toBeLessThanOrEqual(1);
  expect(organizationsErrors()[0].body).toMatchObject({ __type: 'AccessDeniedException', Message: expect.any(String) });
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
