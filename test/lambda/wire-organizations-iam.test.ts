// Over the wire, with IAM as AWS evaluates it: the role chain of the resolution (the provider's role assumes the
// resource's role, which assumes the management account's OrganizationsReaderRole, whose session lists the
// organization) authorized against the policies of both synthesized stacks, the distributing account's and the
// management account's, by a real policy evaluator (server/iam.ts). Cross-account, AssumeRole needs both the caller's
// identity policy and the reader role's trust policy; Organizations needs the reader role's identity policy.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CdkCustomResourceEvent } from 'aws-lambda';
import { HandlerUnderTest } from './handler-under-test';
import { restoreLambdaEnvironmentAfterAll, setLambdaEnvironment } from './lambda-environment';
import { LocalServer } from './local-server';
import { IamAuthorizer } from './server/iam';
import { DistributionConfigurations } from './server/imagebuilder';
import { MANAGEMENT_ACCOUNT, Organization, ORGANIZATION_ID } from './server/organizations';
import { ARN, fullDistribution, STACK_ID } from './server/patch-fixtures';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import * as clients from '../../lambda/clients';
import { DistributionConfiguration, OrganizationDistributionTargets, OrganizationsReaderRole, TargetAccounts } from '../../src';
import { ORGANIZATION_TARGETS_RESOURCE_TYPE } from '../../src/private/organization-contract';
import { isAllowed } from '../util/iam-evaluate';
import { IamRoles } from '../util/iam-template';

jest.mock('../../lambda/distribute-image', () => ({ onEvent: jest.fn(), isComplete: jest.fn() }), { virtual: true });

const handler = new HandlerUnderTest();
const route = handler.onEvent;

restoreLambdaEnvironmentAfterAll();

const DISTRIBUTING = '123456789012';
const REGION = 'us-east-1';
const READER_ARN = `arn:aws:iam::${MANAGEMENT_ACCOUNT}:role/cdk-imagebuilder-distribution-organizations-reader`;

/**
 * Both stacks as synthesized: the distributing account's OrganizationDistributionTargets (reading through the reader
 * role of the management account), and the management account's OrganizationsReaderRole trusting `trusted`.
 */
function synthesize(ou: string, trusted: string[]): IamRoles {
  const app = new App();
  const distributing = new Stack(app, 'Distributing', { env: { account: DISTRIBUTING, region: REGION } });
  new OrganizationDistributionTargets(distributing, 'Targets', {
    distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(distributing, 'Shared', ARN),
    targetAccounts: [TargetAccounts.fromOrganizationalUnits([ou])],
    organizationsRole: OrganizationsReaderRole.fromAccount(distributing, 'Reader', MANAGEMENT_ACCOUNT),
  });
  const management = new Stack(app, 'Management', { env: { account: MANAGEMENT_ACCOUNT, region: REGION } });
  new OrganizationsReaderRole(management, 'Reader', { distributingAccountIds: trusted });
  return IamRoles.fromTemplates(
    { Distributing: Template.fromStack(distributing).toJSON(), Management: Template.fromStack(management).toJSON() },
    { account: DISTRIBUTING, region: REGION },
    { Management: { account: MANAGEMENT_ACCOUNT, region: REGION } },
  );
}

let server: LocalServer | undefined;
let ib: DistributionConfigurations;
let iam: IamAuthorizer;
let org: Organization;
let ou: string;
let accounts: string[];

/** The local AWS authorizing with `world`; the Lambda's own keys are the provider role's. */
async function start(world: IamRoles): Promise<LocalServer> {
  const local = await LocalServer.start();
  server = local;
  ib = new DistributionConfigurations(local);
  new Parameters(local);
  iam = new IamAuthorizer(world, {
    account: DISTRIBUTING,
    keys: { test: world.byLogicalId('ImageBuilderDistributionProviderRole').arn },
    organization: { id: ORGANIZATION_ID, managementAccount: MANAGEMENT_ACCOUNT },
  }).attach(local);
  const roles = new Roles(local, { iam });
  org = new Organization(local, { callerRole: READER_ARN, roles });
  ou = org.addOu();
  accounts = [org.addAccount(ou), org.addAccount(org.addOu(ou))];
  setLambdaEnvironment(local, { ORGANIZATIONS_ENDPOINT: local.endpoint, HANDLER_REQUEST_TIMEOUT_MS: '2000' });
  clients.resetClients();
  ib.put({ arn: ARN, name: 'imported-dist', distributions: [fullDistribution(REGION)] });
  return local;
}

/** The Create CloudFormation sends, with the resource's properties as synthesized. */
function create(world: IamRoles): CdkCustomResourceEvent {
  const props = world.propertiesOf(ORGANIZATION_TARGETS_RESOURCE_TYPE);
  return {
    ServiceToken: props.ServiceToken,
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: STACK_ID,
    RequestId: 'iam-create',
    LogicalResourceId: 'Targets',
    ResourceType: ORGANIZATION_TARGETS_RESOURCE_TYPE,
    RequestType: 'Create',
    ResourceProperties: props,
  } as CdkCustomResourceEvent;
}

beforeEach(() => {
  handler.seams = { retry: { maxAttempts: 3, sleep: async () => {} } };
});

afterEach(async () => {
  clients.resetClients();
  await server?.close();
  server = undefined;
});

const OU_PLACEHOLDER = 'ou-ex12-00000001'; // the fake's first OU: the one start() creates

test('allowed as synthesized: the resource role assumes the reader role across accounts, whose session lists the OU', async () => {
  const world = synthesize(OU_PLACEHOLDER, [DISTRIBUTING]);
  await start(world);
  expect(ou).toBe(OU_PLACEHOLDER);
  const event = create(world);
  expect(event.ResourceProperties.OrganizationsRoleArn).toBe(READER_ARN);
  expect(world.get(READER_ARN)).toBeDefined(); // the reader role of the management stack, not a stand-in

  const out = await route(event);
  expect(out.Data?.AccountIds).toBe([...accounts].sort().join(','));
  expect(iam.denials).toEqual([]);
  const handlerRole = event.ResourceProperties.RoleArn as string;
  const evaluated = (action: string) => iam.evaluated.filter((e) => e.action === action)
    .map((e) => ({ resource: e.resource, principal: e.principal, allowed: e.allowed }));
  // The chain: the resource role's session assumed the reader role (trust and identity policy from the two stacks) ...
  expect(evaluated('sts:AssumeRole')).toContainEqual({
    resource: READER_ARN, principal: expect.stringMatching(new RegExp(`^arn:aws:sts::${DISTRIBUTING}:assumed-role/${handlerRole.split('/').pop()}/`)), allowed: true,
  });
  // ... and the reader role's session read the OU tree, by the reader role's identity policy.
  for (const action of ['organizations:ListAccountsForParent', 'organizations:ListChildren']) {
    expect(evaluated(action)).toContainEqual({
      resource: `arn:aws:organizations::${MANAGEMENT_ACCOUNT}:ou/${ORGANIZATION_ID}/${ou}`,
      principal: expect.stringMatching(new RegExp(`^arn:aws:sts::${MANAGEMENT_ACCOUNT}:assumed-role/cdk-imagebuilder-distribution-organizations-reader/`)),
      allowed: true,
    });
  }
});

test('a reader role that trusts another distributing account: AssumeRole denied by its trust policy, with what to fix', async () => {
  const world = synthesize(OU_PLACEHOLDER, ['222222222222']);
  const local = await start(world);
  await expect(route(create(world))).rejects.toThrow(new RegExp(`^sts:AssumeRole on ${READER_ARN} failed: AccessDenied \\(HTTP 403\\): .*`
    + 'The role in the management account must trust this resource\'s role: OrganizationsReaderRole\'s distributingAccountIds must include'));
  expect(iam.denials).toEqual([expect.objectContaining({ action: 'sts:AssumeRole', resource: READER_ARN, operation: 'AssumeRole' })]);
  expect(local.callsTo('ListAccountsForParent')).toHaveLength(0);
  expect(ib.get(ARN)!.distributions[0].amiDistributionConfiguration.targetAccountIds).toEqual(['111111111111']);
});

test('the resource role without its sts:AssumeRole grant on the reader role: denied by its identity policy', async () => {
  const world = synthesize(OU_PLACEHOLDER, [DISTRIBUTING]);
  const handlerRole = create(world).ResourceProperties.RoleArn as string;
  const statements = world.statementsOf(handlerRole);
  const grant = statements.findIndex(({ statement }) => [statement.Action].flat().includes('sts:AssumeRole') && [statement.Resource].flat().includes(READER_ARN));
  expect(grant).toBeGreaterThanOrEqual(0);
  await start(world.withoutStatement(handlerRole, grant));
  await expect(route(create(world))).rejects.toThrow(new RegExp(`sts:AssumeRole on ${READER_ARN} failed: AccessDenied`));
  expect(iam.denials).toEqual([expect.objectContaining({ action: 'sts:AssumeRole', resource: READER_ARN })]);
});

test('the reader role without its Organizations grant: Organizations answers AccessDeniedException to its session', async () => {
  const world = synthesize(OU_PLACEHOLDER, [DISTRIBUTING]);
  const grant = world.statementsOf(READER_ARN).findIndex(({ statement }) => [statement.Action].flat().includes('organizations:ListChildren'));
  expect(grant).toBeGreaterThanOrEqual(0);
  await start(world.withoutStatement(READER_ARN, grant));
  await expect(route(create(world))).rejects.toThrow(/organizations:List\w+ on ou-\S+ failed: AccessDeniedException \(HTTP 400\): User: .*is not authorized to perform: organizations:List/);
  expect(iam.denials.map((d) => d.action)).toContain('organizations:ListAccountsForParent');
});

test('the trust policy admits only this library\'s handler roles of the distributing account: another role there is denied', async () => {
  const world = synthesize(OU_PLACEHOLDER, [DISTRIBUTING]);
  const handlerRole = create(world).ResourceProperties.RoleArn as string;
  const reader = world.get(READER_ARN)!;
  const assume = (roleArn: string) => isAllowed(world.get(roleArn), { action: 'sts:AssumeRole', resource: READER_ARN }, {
    principal: `arn:aws:sts::${DISTRIBUTING}:assumed-role/${roleArn.split('/').pop()}/session`,
    resourceAccount: MANAGEMENT_ACCOUNT,
    resourcePolicy: reader.trustPolicy,
  });
  expect((await assume(handlerRole)).allowed).toBe(true);
  // The same policies on a role outside the library's path (any other role of the account): the condition refuses it.
  const other = `arn:aws:iam::${DISTRIBUTING}:role/other/TargetsHandlerRole`;
  expect((await isAllowed(world.withRoleCopy(handlerRole, other).get(other), { action: 'sts:AssumeRole', resource: READER_ARN }, {
    principal: `arn:aws:sts::${DISTRIBUTING}:assumed-role/TargetsHandlerRole/session`, resourceAccount: MANAGEMENT_ACCOUNT, resourcePolicy: reader.trustPolicy,
  })).allowed).toBe(false);
});
