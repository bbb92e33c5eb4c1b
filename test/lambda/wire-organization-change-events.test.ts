// OrganizationChangeEvents as it runs: Organizations' events, shaped as CloudTrail delivers them to EventBridge in
// us-east-1, go through the rules exactly as synthesized: the management account's rule (its pattern, matched by
// util/event-pattern.ts) forwards them to the distributing account's bus (the rule's role and the bus policy,
// evaluated by IAM from the two templates), whose rule invokes the handler with the target's input as synthesized,
// and the handler refreshes against the local Organizations, Image Builder, SSM and STS (IAM-authorized too).
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CdkCustomResourceEvent } from 'aws-lambda';
import { HandlerUnderTest } from './handler-under-test';
import { restoreLambdaEnvironmentAfterAll, setLambdaEnvironment } from './lambda-environment';
import { LocalServer } from './local-server';
import { IamAuthorizer } from './server/iam';
import { DistributionConfigurations } from './server/imagebuilder';
import { MANAGEMENT_ACCOUNT, Organization, ORGANIZATION_ID, ROOT_ID } from './server/organizations';
import { ARN, fullDistribution } from './server/patch-fixtures';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import * as clients from '../../lambda/clients';
import { DistributionConfiguration, OrganizationChangeEvents, OrganizationDistributionTargets, OrganizationsReaderRole, TargetAccounts } from '../../src';
import { ORGANIZATION_TARGETS_RESOURCE_TYPE } from '../../src/private/organization-contract';
import { matches } from '../util/event-pattern';
import { isAllowed } from '../util/iam-evaluate';
import { IamRoles, TemplateJson } from '../util/iam-template';

jest.mock('../../lambda/distribute-image', () => ({ onEvent: jest.fn(), isComplete: jest.fn() }), { virtual: true });

const handler = new HandlerUnderTest();
const route = handler.onEvent;

restoreLambdaEnvironmentAfterAll();

const MGMT = MANAGEMENT_ACCOUNT;
const DIST = '123456789012';
const REGION = 'us-east-1';
/** The fake's first OU (created first in `start`): the distributing stack's source. */
const OU = 'ou-ex12-00000001';

interface World {
  readonly world: IamRoles;
  readonly management: TemplateJson;
  readonly distributing: TemplateJson;
}

/** The management account's stack (change events, reader role) and the distributing account's, as synthesized. */
function synthesize(options: { managementOfRole?: string } = {}): World {
  const app = new App();
  const management = new Stack(app, 'Management', { env: { account: MGMT, region: REGION } });
  new OrganizationChangeEvents(management, 'Changes', { destinations: [{ account: DIST, region: REGION }] });
  new OrganizationsReaderRole(management, 'Reader', { distributingAccountIds: [DIST] });
  const distributing = new Stack(app, 'Distributing', { env: { account: DIST, region: REGION } });
  new OrganizationDistributionTargets(distributing, 'Targets', {
    distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(distributing, 'Shared', ARN),
    targetAccounts: [TargetAccounts.fromOrganizationalUnits([OU])],
    organizationsRole: OrganizationsReaderRole.fromAccount(distributing, 'Reader', options.managementOfRole ?? MGMT),
    refreshOnOrganizationChanges: true,
  });
  const templates = { Management: Template.fromStack(management).toJSON(), Distributing: Template.fromStack(distributing).toJSON() };
  const world = IamRoles.fromTemplates(templates, { account: DIST, region: REGION }, { Management: { account: MGMT, region: REGION } });
  return { world, management: templates.Management, distributing: templates.Distributing };
}

const resourcesOf = (template: TemplateJson, type: string) => Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === type);

/** The one event rule of `template` (resolved for its account). */
function ruleOf(w: World, stack: 'Management' | 'Distributing'): { logicalId: string; properties: any } {
  const rules = resourcesOf(stack === 'Management' ? w.management : w.distributing, 'AWS::Events::Rule');
  expect(rules).toHaveLength(1);
  return { logicalId: rules[0][0], properties: w.world.resolve(rules[0][1].Properties, stack) };
}

// ---- events as CloudTrail delivers them to EventBridge ----------------------------------------------------------

let sequence = 0;

/**
 * An Organizations event on the management account's default bus in us-east-1: an API call (detail-type "AWS API
 * Call via CloudTrail", eventType AwsApiCall, the caller's identity and request) or a service event ("AWS Service Event
 * via CloudTrail", AwsServiceEvent, serviceEventDetails), in the envelope EventBridge gives every event.
 */
function organizationsEvent(eventName: string, details: { request?: object; service?: object; readOnly?: boolean; account?: string } = {}): any {
  const n = ++sequence;
  const service = details.service !== undefined;
  const account = details.account ?? MGMT;
  const time = `2026-11-30T12:00:${String(n % 60).padStart(2, '0')}Z`;
  return {
    'version': '0',
    'id': `7bf73129-1428-4cd3-a780-${String(n).padStart(12, '0')}`,
    'detail-type': service ? 'AWS Service Event via CloudTrail' : 'AWS API Call via CloudTrail',
    'source': 'aws.organizations',
    'account': account,
    time,
    'region': 'us-east-1',
    'resources': [],
    'detail': {
      eventVersion: service ? '1.05' : '1.08',
      userIdentity: service ? { accountId: account, invokedBy: 'organizations.amazonaws.com' } : {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLEID:admin',
        arn: `arn:aws:sts::${account}:assumed-role/OrganizationAdmin/admin`,
        accountId: account,
        accessKeyId: 'ASIAEXAMPLE',
        sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${account}:role/OrganizationAdmin`, accountId: account, userName: 'OrganizationAdmin' } },
      },
      eventTime: time,
      eventSource: 'organizations.amazonaws.com',
      eventName,
      awsRegion: 'us-east-1',
      sourceIPAddress: service ? 'organizations.amazonaws.com' : '203.0.113.10',
      userAgent: service ? 'organizations.amazonaws.com' : 'aws-cli/2.22.0',
      requestParameters: service ? null : details.request ?? null,
      responseElements: null,
      ...(service ? { serviceEventDetails: details.service } : { requestID: `0b1c2d3e-${n}` }),
      eventID: `5e6f7a8b-0000-4000-8000-${String(n).padStart(12, '0')}`,
      readOnly: details.readOnly ?? false,
      eventType: service ? 'AwsServiceEvent' : 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: account,
      eventCategory: 'Management',
    },
  };
}

const CHANGES = {
  moveAccount: (accountId: string, from: string, to: string) =>
    organizationsEvent('MoveAccount', { request: { accountId, sourceParentId: from, destinationParentId: to } }),
  removeAccount: (accountId: string) => organizationsEvent('RemoveAccountFromOrganization', { request: { accountId } }),
  closeAccount: (accountId: string) => organizationsEvent('CloseAccount', { request: { accountId } }),
  createAccountResult: (accountId: string) => organizationsEvent('CreateAccountResult', {
    service: {
      createAccountStatus: {
        id: 'car-0123456789abcdef',
        state: 'SUCCEEDED',
        accountName: '****',
        accountId,
        requestedTimestamp: 'Nov 30, 2026 11:58:01 AM',
        completedTimestamp: 'Nov 30, 2026 12:00:02 PM',
      },
    },
  }),
  // The membership events Organizations logs in the management account (joinedMethod Created or Invited;
  // departedMethod Left, Removed or Cleaned). Their serviceEventDetails beyond these fields are not documented here.
  accountJoined: (accountId: string) => organizationsEvent('AccountJoinedOrganization', {
    service: { accountId, joinedMethod: 'Invited', joinedTime: '2026-11-30T12:00:00Z' },
  }),
  accountDeparted: (accountId: string) => organizationsEvent('AccountDepartedOrganization', {
    service: { accountId, departedMethod: 'Left', departedTime: '2026-11-30T12:00:00Z' },
  }),
};

/** Events of the same bus that change no OU's accounts, or come from elsewhere. */
const UNRELATED = {
  'CreateAccount (returns before the account exists; CreateAccountResult follows)': organizationsEvent('CreateAccount', {
    request: { email: 'new@example.com', accountName: 'new' },
  }),
  'InviteAccountToOrganization (nothing changes until the invitation is accepted)': organizationsEvent('InviteAccountToOrganization', {
    request: { target: { id: '444444444444', type: 'ACCOUNT' } },
  }),
  'ListAccounts (read-only)': organizationsEvent('ListAccounts', { readOnly: true }),
  'CreateOrganizationalUnit': organizationsEvent('CreateOrganizationalUnit', { request: { parentId: ROOT_ID, name: 'new' } }),
  'an EC2 API call': { ...organizationsEvent('RunInstances'), source: 'aws.ec2', detail: { ...organizationsEvent('RunInstances').detail, eventSource: 'ec2.amazonaws.com' } },
  'a custom event naming Organizations\' fields': { ...CHANGES.moveAccount('444444444444', ROOT_ID, OU), source: 'custom.organizations' },
  'a console sign-in': {
    ...organizationsEvent('ConsoleLogin'),
    'source': 'aws.signin',
    'detail-type': 'AWS Console Sign In via CloudTrail',
    'detail': { ...organizationsEvent('ConsoleLogin').detail, eventSource: 'signin.amazonaws.com' },
  },
};

// ---- the rules -------------------------------------------------------------------------------------------------

describe('the synthesized patterns', () => {
  const w = synthesize();
  const management = ruleOf(w, 'Management');
  const distributing = ruleOf(w, 'Distributing');

  test.each(Object.entries({
    'MoveAccount': CHANGES.moveAccount('444444444444', ROOT_ID, OU),
    'RemoveAccountFromOrganization': CHANGES.removeAccount('444444444444'),
    'CloseAccount': CHANGES.closeAccount('444444444444'),
    'CreateAccountResult (service event)': CHANGES.createAccountResult('444444444444'),
    'AccountJoinedOrganization (service event: an invitation accepted)': CHANGES.accountJoined('444444444444'),
    'AccountDepartedOrganization (service event: an account that left)': CHANGES.accountDeparted('444444444444'),
  }))('%s: matched by the management account\'s rule, and as forwarded by the distributing account\'s', (_name, event) => {
    expect(matches(management.properties.EventPattern, event)).toBe(true);
    // Forwarded, the event keeps its envelope: account is still the management account.
    expect(matches(distributing.properties.EventPattern, event)).toBe(true);
  });

  test.each(Object.entries(UNRELATED))('%s: matched by neither rule', (_name, event) => {
    expect(matches(management.properties.EventPattern, event)).toBe(false);
    expect(matches(distributing.properties.EventPattern, event)).toBe(false);
  });

  test('the distributing account\'s rule takes the events of the management account only, not its own account\'s', () => {
    const own = { ...CHANGES.moveAccount('444444444444', ROOT_ID, OU), account: DIST };
    expect(matches(management.properties.EventPattern, own)).toBe(true); // the same kind of event ...
    expect(matches(distributing.properties.EventPattern, own)).toBe(false); // ... from another account
  });
});

describe('forwarding across accounts, as IAM evaluates it from both templates', () => {
  /** Whether the management rule's target role may put events to its target bus, under the distributing bus's policy. */
  async function forwardAllowed(w: World, world: IamRoles = w.world): Promise<{ allowed: boolean; target: string }> {
    const [target] = ruleOf(w, 'Management').properties.Targets;
    const role = world.get(target.RoleArn)!;
    expect(role.trustPolicy.Statement).toContainEqual(expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }));
    const policies = resourcesOf(w.distributing, 'AWS::Events::EventBusPolicy').map(([, r]) => world.resolve(r.Properties, 'Distributing'));
    const decision = await isAllowed(role, { action: 'events:PutEvents', resource: target.Arn }, {
      principal: `arn:aws:sts::${MGMT}:assumed-role/${target.RoleArn.split('/').pop()}/events`,
      resourceAccount: target.Arn.split(':')[4],
      resourcePolicy: { Version: '2012-10-17', Statement: policies.map((p) => p.Statement) },
    });
    return { allowed: decision.allowed, target: target.Arn };
  }

  test('the rule\'s role may put the events to the distributing account\'s default bus, whose policy admits the management account', async () => {
    const w = synthesize();
    const { allowed, target } = await forwardAllowed(w);
    expect(target).toBe(`arn:aws:events:${REGION}:${DIST}:event-bus/default`);
    expect(allowed).toBe(true);
  });

  test('a bus policy for another management account (organizationsRole elsewhere) denies it', async () => {
    expect((await forwardAllowed(synthesize({ managementOfRole: '888888888888' }))).allowed).toBe(false);
  });

  test('the rule\'s role without its events:PutEvents grant is denied', async () => {
    const w = synthesize();
    const roleArn = ruleOf(w, 'Management').properties.Targets[0].RoleArn;
    const grant = w.world.statementsOf(roleArn).findIndex(({ statement }) => [statement.Action].flat().includes('events:PutEvents'));
    expect(grant).toBeGreaterThanOrEqual(0);
    expect((await forwardAllowed(w, w.world.withoutStatement(roleArn, grant))).allowed).toBe(false);
  });
});

// ---- as it runs ---------------------------------------------------------------------------------------------------

describe('an account change refreshes the distribution, through both rules and the handler', () => {
  let server: LocalServer;
  let ib: DistributionConfigurations;
  let org: Organization;
  let iam: IamAuthorizer;
  const w = synthesize();

  beforeEach(async () => {
    server = await LocalServer.start();
    ib = new DistributionConfigurations(server);
    new Parameters(server);
    iam = new IamAuthorizer(w.world, {
      account: DIST,
      keys: { test: w.world.byLogicalId('ImageBuilderDistributionProviderRole').arn },
      organization: { id: ORGANIZATION_ID, managementAccount: MGMT },
    }).attach(server);
    const roles = new Roles(server, { iam });
    org = new Organization(server, { callerRole: `arn:aws:iam::${MGMT}:role/cdk-imagebuilder-distribution-organizations-reader`, roles });
    setLambdaEnvironment(server, { ORGANIZATIONS_ENDPOINT: server.endpoint, HANDLER_REQUEST_TIMEOUT_MS: '2000' });
    clients.resetClients();
    handler.seams = { retry: { maxAttempts: 3, sleep: async () => {} } };
    ib.put({ arn: ARN, name: 'imported-dist', distributions: [fullDistribution(REGION)] });
  });

  afterEach(async () => {
    clients.resetClients();
    expect(iam.denials).toEqual([]);
    await server.close();
  });

  afterAll(() => {
    handler.seams = {};
  });

  /**
   * EventBridge: the management bus's rule, when the event matches, sends it to each target bus; there, each rule
   * that matches invokes its Lambda targets with their Input (a constant: the event itself is not passed). Returns the
   * handler's answers.
   */
  async function putOnManagementBus(event: object): Promise<unknown[]> {
    const management = ruleOf(w, 'Management').properties;
    if (!matches(management.EventPattern, event)) return [];
    const distributingBus = `arn:aws:events:${REGION}:${DIST}:event-bus/default`;
    expect(management.Targets.map((t: any) => t.Arn)).toEqual([distributingBus]);
    const rule = ruleOf(w, 'Distributing');
    if (!matches(rule.properties.EventPattern, event)) return [];
    const answers: unknown[] = [];
    for (const target of rule.properties.Targets) {
      // Only what EventBridge passes: the constant Input (no InputPath, no InputTransformer), to the function the
      // Lambda permission lets this rule invoke.
      expect(Object.keys(target).sort()).toEqual(['Arn', 'Id', 'Input', 'RetryPolicy']);
      const permissions = resourcesOf(w.distributing, 'AWS::Lambda::Permission').map(([, r]) => r.Properties)
        .filter((p) => p.Principal === 'events.amazonaws.com' && p.SourceArn?.['Fn::GetAtt']?.[0] === rule.logicalId);
      expect(permissions.map((p) => w.world.resolve(p.FunctionName, 'Distributing'))).toEqual([target.Arn]);
      // The provider's handler function (lambda/index.ts onEvent), which lambda/index.ts's `route` is.
      const onEvent = resourcesOf(w.distributing, 'AWS::Lambda::Function').filter(([, r]) => r.Properties?.Handler === 'index.onEvent');
      expect(onEvent).toHaveLength(1);
      expect(target.Arn).toBe(w.world.resolve({ 'Fn::GetAtt': [onEvent[0][0], 'Arn'] }, 'Distributing'));
      answers.push(await route(JSON.parse(target.Input)));
    }
    return answers;
  }

  const targets = () => [...ib.get(ARN)!.distributions[0].amiDistributionConfiguration.targetAccountIds].sort();

  test('moved in, created, removed, closed: each event refreshes; an unrelated one invokes nothing', async () => {
    const ou = org.addOu();
    expect(ou).toBe(OU);
    const elsewhere = org.addOu();
    const [a, b] = [org.addAccount(ou), org.addAccount(elsewhere)];
    // CloudFormation's Create, with the resource's properties, stack and logical ID as synthesized.
    const [logicalId, resource] = resourcesOf(w.distributing, ORGANIZATION_TARGETS_RESOURCE_TYPE)[0];
    await route({
      ServiceToken: 'token',
      ResponseURL: 'https://cloudformation-custom-resource-response.example/',
      RequestId: 'create',
      StackId: w.world.resolve({ Ref: 'AWS::StackId' }, 'Distributing'),
      LogicalResourceId: logicalId,
      ResourceType: ORGANIZATION_TARGETS_RESOURCE_TYPE,
      RequestType: 'Create',
      ResourceProperties: w.world.resolve(resource.Properties, 'Distributing'),
    } as CdkCustomResourceEvent);
    expect(targets()).toEqual(['111111111111', a].sort());
    const updates = () => ib.applied;
    const before = updates();

    org.moveAccount(b, ou);
    expect(await putOnManagementBus(CHANGES.moveAccount(b, elsewhere, ou))).toHaveLength(1);
    expect(targets()).toEqual(['111111111111', a, b].sort());

    const c = org.addAccount(ou);
    expect(await putOnManagementBus(CHANGES.createAccountResult(c))).toHaveLength(1);
    expect(targets()).toEqual(['111111111111', a, b, c].sort());

    org.removeAccount(a);
    expect(await putOnManagementBus(CHANGES.removeAccount(a))).toHaveLength(1);
    expect(targets()).toEqual(['111111111111', b, c].sort());

    org.setState(c, 'PENDING_CLOSURE');
    expect(await putOnManagementBus(CHANGES.closeAccount(c))).toHaveLength(1);
    expect(targets()).toEqual(['111111111111', b].sort());
    expect(updates()).toBe(before + 4);

    // An invitation is not a change yet: no invocation, no call.
    const calls = server.calls.length;
    expect(await putOnManagementBus(UNRELATED['InviteAccountToOrganization (nothing changes until the invitation is accepted)'])).toEqual([]);
    expect(server.calls.length).toBe(calls);
  });
});
