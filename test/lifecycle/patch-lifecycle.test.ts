// Custom::ImageBuilderDistributionConfigurationPatch through aws-cdk-lib's Provider framework, as CloudFormation
// drives it (harness.ts), with the fake Image Builder and SSM checked after every step, and every call authorized
// against the roles of the template deployed at that moment.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import {
  clock, CREATE_FAILED_MARKER, DeployedTemplate, FRAMEWORK_DIR, HANDLER_FILE, Harness, MAX_RESPONSE_BYTES, expectOnlyMutationDenied,
  mutated, Outcome, ResourceUnderTest,
  roleMutations, stagedAssetDirs, startHarness, useRealClock, useSimulatedClock,
} from './harness';
import { CONFIG_ARN, OTHER_CONFIG_ARN, patchStack } from './stacks';
import { AnswerLost, faults, ServiceError } from '../lambda/local-server';
import { DistributionConfigurations } from '../lambda/server/imagebuilder';
import { Parameters } from '../lambda/server/ssm';

const v1 = patchStack();
const v2 = patchStack({ bucket: 'disk-images-v2', shareWith: '222222222222' });
/** The same patch moved to another configuration. */
const v3 = patchStack({ configArn: OTHER_CONFIG_ARN });
const P1 = v1.template.propertiesOf(v1.logicalId);
const P2 = v2.template.propertiesOf(v2.logicalId);
const P3 = v3.template.propertiesOf(v3.logicalId);
const EXPORT_V1 = { roleName: 'vmimport', diskImageFormat: 'RAW', s3Bucket: 'disk-images' };

const ORIGINAL = [
  { region: 'us-east-1', amiDistributionConfiguration: { name: 'golden-{{ imagebuilder:buildDate }}', targetAccountIds: ['333333333333'] } },
  { region: 'eu-west-1', amiDistributionConfiguration: { name: 'golden-{{ imagebuilder:buildDate }}' } },
];

let h: Harness;
let ib: DistributionConfigurations;
let ssm: Parameters;
let res: ResourceUnderTest;
/** The IAM denials a test expects (none unless it says so). */
let expectedDenials: unknown[] = [];

beforeEach(async () => {
  useSimulatedClock();
  h = await startHarness(v1.template);
  ib = new DistributionConfigurations(h.aws);
  ssm = new Parameters(h.aws);
  for (const arn of [CONFIG_ARN, OTHER_CONFIG_ARN]) ib.put({ arn, name: arn.split('/').pop()!, distributions: structuredClone(ORIGINAL) });
  res = h.resource(v1.logicalId);
});

afterEach(async () => {
  const denials = h.iam.denials;
  await h.close();
  useRealClock();
  // Every call the handler made was allowed, unless a test looked for the denial.
  expect(denials).toEqual(expectedDenials);
  expectedDenials = [];
});

const distributionsOf = (arn = CONFIG_ARN) => ib.get(arn)?.distributions;
const baseline = () => ssm.params.get(v1.template.propertiesOf(v1.logicalId).BaselineParameterName);

test('the functions run are the ones the template deploys (framework runtime and handler bundle, unmodified)', () => {
  const dirs = stagedAssetDirs(v1.stack, v1.template);
  const handlers = Object.fromEntries([...dirs.keys()].map((id) => [id, v1.template.resources[id].Properties.Handler]));
  expect(Object.values(handlers).sort()).toEqual(expect.arrayContaining(['framework.onEvent', 'index.onEvent']));
  for (const [id, dir] of dirs) {
    const [file] = String(handlers[id]).split('.');
    const shipped = file === 'framework' ? path.join(FRAMEWORK_DIR, 'framework.js') : HANDLER_FILE;
    expect(fs.readFileSync(path.join(dir, `${file}.js`))).toEqual(fs.readFileSync(shipped));
  }
});

test('each function signs with its execution role\'s session; the handler makes its calls as the resource\'s role', async () => {
  expect(await res.create(P1)).toMatchObject({ status: 'SUCCESS' });
  const handler = v1.template.logicalIdsOfType('AWS::Lambda::Function').find((id) => v1.template.resources[id].Properties.Handler === 'index.onEvent')!;
  const executionRole = v1.template.resolve(v1.template.resources[handler].Properties.Role);
  expect(executionRole).toBe(v1.template.roleArn(v1.template.iam.byLogicalId('ImageBuilderDistributionProviderRole').logicalId));
  expect(h.sts.sessions.length).toBeGreaterThan(0);
  for (const session of h.sts.sessions) {
    expect(h.iam.identityOf(session.callerKey).roleArn).toBe(executionRole);
    expect(session.roleArn).toBe(P1.RoleArn);
  }
  const roleNamesFor = (actions: RegExp) =>
    [...new Set(h.iam.evaluated.filter((e) => actions.test(e.action)).map((e) => e.principal.split('/')[1]))];
  expect(roleNamesFor(/^(imagebuilder|ssm|iam):/)).toEqual([P1.RoleArn.split('/').pop()]);
  // The framework's function invokes the handler as its own role.
  const framework = v1.template.logicalIdsOfType('AWS::Lambda::Function').find((id) => v1.template.resources[id].Properties.Handler === 'framework.onEvent')!;
  expect(roleNamesFor(/^lambda:InvokeFunction$/)).toEqual([v1.template.resolve(v1.template.resources[framework].Properties.Role).split('/').pop()]);
});

test('create, update, delete: the configuration carries the declared patch after each, and is restored at the end', async () => {
  const created = await res.create(v1.template.propertiesOf(v1.logicalId));
  expect(created).toMatchObject({ status: 'SUCCESS' });
  expect(distributionsOf()![0].s3ExportConfiguration).toEqual({ roleName: 'vmimport', diskImageFormat: 'RAW', s3Bucket: 'disk-images' });
  expect(baseline()).toBeDefined();

  const updated = await res.update(P2, v2.template);
  expect(updated).toMatchObject({ status: 'SUCCESS', physicalResourceId: created.physicalResourceId });
  expect(updated.replaced).toBeUndefined();
  expect(distributionsOf()![0]).toEqual({
    region: 'us-east-1',
    amiDistributionConfiguration: { name: 'golden-{{ imagebuilder:buildDate }}', targetAccountIds: ['333333333333', '222222222222'] },
    s3ExportConfiguration: { roleName: 'vmimport', diskImageFormat: 'RAW', s3Bucket: 'disk-images-v2' },
  });

  expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
  expect(distributionsOf()).toEqual(ORIGINAL);
  expect(baseline()).toBeUndefined();
  for (const { outcome } of res.outcomes) expect(outcome.responseBytes).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
});

/** The configuration with v1's patch applied. */
const patchedV1 = () => [{ ...ORIGINAL[0], s3ExportConfiguration: EXPORT_V1 }, ORIGINAL[1]];

/** The handler's own invocations (not the framework's), by request type. */
const handlerCalls = (requestType: string) =>
  h.lambdas.invocations.filter((i) => i.logicalId.includes('ProviderOnEvent') && i.requestType === requestType).length;

/**
 * The next UpdateDistributionConfiguration is applied, but its answer is lost: the connection fails after the write,
 * and by then the invocation is out of time, so the handler cannot retry (it stops before its deadline).
 */
function loseNextWriteAnswer(): void {
  let armed = true;
  h.aws.addCheck({
    response: (req) => {
      if (!armed || req.operation !== 'UpdateDistributionConfiguration') return;
      armed = false;
      clock.advance(14 * 60 * 1000);
      throw new AnswerLost('connection lost after the write');
    },
  });
}

test('patches have no waiter: one framework invocation and one handler invocation per event, no Step Functions', async () => {
  const framework = v1.template.resources[v1.template.logicalIdsOfType('AWS::Lambda::Function')
    .find((id) => v1.template.resources[id].Properties.Handler === 'framework.onEvent')!];
  expect(framework.Properties.Environment.Variables.USER_IS_COMPLETE_FUNCTION_ARN).toBeUndefined();
  expect(v1.template.logicalIdsOfType('AWS::StepFunctions::StateMachine')).toEqual([]);
  expect(P1.ServiceTimeout).toBe('1200');
  await res.create(P1);
  await res.update(P2, v2.template);
  await res.delete();
  expect(h.sfnServer.count('StartExecution')).toBe(0);
  expect(h.lambdas.invocations.map((i) => i.requestType)).toEqual(['Create', 'Create', 'Update', 'Update', 'Delete', 'Delete']);
});

test('create whose write was applied but whose answer was lost: the Create undoes it, then the framework answers the rollback Delete', async () => {
  loseNextWriteAnswer();
  const created = await res.create(P1);
  expect(created).toMatchObject({ status: 'FAILED', physicalResourceId: CREATE_FAILED_MARKER });
  expect(created.reason).toMatch(/UpdateDistributionConfiguration on .* failed/);
  expect(ib.applied).toBe(2); // the patch, and its undoing
  expect(distributionsOf()).toEqual(ORIGINAL);
  expect(baseline()).toBeUndefined();

  // CloudFormation's rollback: the framework answers the Delete of the marker without calling the handler.
  expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
  expect(handlerCalls('Delete')).toBe(0);
  expect(distributionsOf()).toEqual(ORIGINAL);
});

test('a throttled Invoke of the handler: the framework waits for the function and invokes it again', async () => {
  const handler = v1.template.logicalIdsOfType('AWS::Lambda::Function').find((id) => v1.template.resources[id].Properties.Handler === 'index.onEvent')!;
  h.lambdas.throttle(handler, 3); // the SDK's own three attempts
  expect(await res.create(P1)).toMatchObject({ status: 'SUCCESS' });
  const fn = `2015-03-31/functions/${encodeURIComponent(h.lambdas.byLogicalId(handler).arn)}`;
  expect(h.lambdaServer.count(`${fn}/invocations`)).toBe(4); // three throttled, then the one after the wait
  expect(h.lambdaServer.count(fn)).toBeGreaterThanOrEqual(1); // GetFunction: waitUntilFunctionActiveV2
  expect(ib.applied).toBe(1);
  expect(distributionsOf()).toEqual(patchedV1());
});

test('create that fails before writing leaves nothing behind', async () => {
  h.aws.inject('PutParameter', faults.error(400, 'AccessDeniedException', 'not authorized to perform ssm:PutParameter'));
  expect(await res.create(P1)).toMatchObject({ status: 'FAILED', physicalResourceId: CREATE_FAILED_MARKER });
  expect(ib.applied).toBe(0);
  expect(distributionsOf()).toEqual(ORIGINAL);
  expect(baseline()).toBeUndefined();
});

test('the same Create delivered twice patches once', async () => {
  expect(await res.create(P1, { deliveries: 2 })).toMatchObject({ status: 'SUCCESS' });
  expect(ib.applied).toBe(1);
  expect(distributionsOf()).toEqual(patchedV1());
  expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
  expect(distributionsOf()).toEqual(ORIGINAL);
});

describe.each(['GetDistributionConfiguration', 'GetParameter', 'PutParameter', 'UpdateDistributionConfiguration'])(
  'update failing at %s', (operation) => {
    test('then the rollback Update restores the previous patch, and the Delete the original', async () => {
      await res.create(P1);
      h.aws.inject(operation, faults.error(400, 'AccessDeniedException', `not authorized (${operation})`));
      const failed = await res.update(P2, v2.template);
      expect(failed.status).toBe('FAILED');
      expect(failed.reason).toContain(operation);
      expect(res.physicalResourceId).toBe(res.outcomes[0].outcome.physicalResourceId);

      expect(await res.rollbackUpdate(P1, P2)).toMatchObject({ status: 'SUCCESS', physicalResourceId: res.physicalResourceId });
      expect(distributionsOf()).toEqual(patchedV1());
      expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
      expect(distributionsOf()).toEqual(ORIGINAL);
      expect(baseline()).toBeUndefined();
    });
  });

test('update whose write answer was lost, then the rollback Update', async () => {
  await res.create(P1);
  loseNextWriteAnswer();
  expect((await res.update(P2, v2.template)).status).toBe('FAILED');
  expect(distributionsOf()![0].s3ExportConfiguration.s3Bucket).toBe('disk-images-v2'); // applied: the rollback undoes it
  expect(await res.rollbackUpdate(P1, P2)).toMatchObject({ status: 'SUCCESS' });
  expect(distributionsOf()).toEqual(patchedV1());
});

describe('update with malformed properties, then the rollback Update', () => {
  const malformed: [string, Record<string, unknown>, RegExp][] = [
    ['Patch not JSON', { Patch: '{"distributions": [' }, /Patch for .*JSON/i],
    ['Patch wrong-typed', { Patch: { distributions: [] } }, /Property Patch must be a string \(got object\)/],
    ['DistributionConfigurationArn missing', { DistributionConfigurationArn: undefined }, /Property DistributionConfigurationArn is required/],
    ['BaselineParameterName wrong-typed', { BaselineParameterName: ['/x'] }, /Property BaselineParameterName must be a string \(got a list\)/],
  ];
  test.each(malformed)('%s', async (_, change, message) => {
    await res.create(P1);
    const bad = { ...P2, ...change };
    const failed = await res.update(bad, v2.template);
    expect(failed.status).toBe('FAILED');
    expect(failed.reason).toMatch(message);
    expect(distributionsOf()).toEqual(patchedV1());
    expect(await res.rollbackUpdate(P1, bad)).toMatchObject({ status: 'SUCCESS', physicalResourceId: res.physicalResourceId });
    expect(distributionsOf()).toEqual(patchedV1());
    expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
    expect(distributionsOf()).toEqual(ORIGINAL);
  });
});

describe('update that moves the patch to another configuration', () => {
  test('succeeds: a new physical ID, and CloudFormation\'s Delete of the old one restores the first configuration', async () => {
    await res.create(P1);
    const moved = await res.update(P3, v3.template);
    expect(moved.status).toBe('SUCCESS');
    expect(moved.replaced).toBeDefined();
    expect(distributionsOf(OTHER_CONFIG_ARN)).toEqual(patchedV1());
    expect(distributionsOf()).toEqual(patchedV1()); // until the cleanup
    expect(await res.cleanup(moved.replaced!.physicalResourceId, moved.replaced!.properties)).toMatchObject({ status: 'SUCCESS' });
    expect(distributionsOf()).toEqual(ORIGINAL);
    expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
    expect(distributionsOf(OTHER_CONFIG_ARN)).toEqual(ORIGINAL);
    expect(baseline()).toBeUndefined();
  });

  test('fails after patching the other configuration: the rollback leaves neither patched wrongly', async () => {
    await res.create(P1);
    loseNextWriteAnswer();
    expect((await res.update(P3, v3.template)).status).toBe('FAILED');
    expect(distributionsOf(OTHER_CONFIG_ARN)).toEqual(ORIGINAL);
    expect(await res.rollbackUpdate(P1, P3)).toMatchObject({ status: 'SUCCESS', physicalResourceId: res.outcomes[0].outcome.physicalResourceId });
    expect(distributionsOf(OTHER_CONFIG_ARN)).toEqual(ORIGINAL);
    expect(distributionsOf()).toEqual(patchedV1());
  });

  test('fails after patching, with the undo failing too: the rollback Update reverts the other configuration', async () => {
    await res.create(P1);
    loseNextWriteAnswer();
    // The undo's write is refused as well: the configuration stays patched until the rollback.
    h.aws.addCheck({
      request: (req) => {
        if (req.operation === 'UpdateDistributionConfiguration' && ib.applied === 2) throw new ServiceError(400, 'AccessDeniedException', 'denied');
      },
    });
    const failed = await res.update(P3, v3.template);
    expect(failed.reason).toMatch(/Undoing the patch failed too/);
    expect(distributionsOf(OTHER_CONFIG_ARN)![0].s3ExportConfiguration).toEqual(EXPORT_V1);
    h.aws.addCheck({ request: () => undefined });
    ib.applied = 100; // the refusal above no longer matches
    expect(await res.rollbackUpdate(P1, P3)).toMatchObject({ status: 'SUCCESS', physicalResourceId: res.outcomes[0].outcome.physicalResourceId });
    expect(distributionsOf(OTHER_CONFIG_ARN)).toEqual(ORIGINAL);
    expect(distributionsOf()).toEqual(patchedV1());
    expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
    expect(distributionsOf()).toEqual(ORIGINAL);
    expect(baseline()).toBeUndefined();
  });

  test('to a configuration that does not exist: FAILED naming it, and the rollback keeps the first one patched', async () => {
    await res.create(P1);
    ib.configs.delete(OTHER_CONFIG_ARN);
    const failed = await res.update(P3, v3.template);
    expect(failed.status).toBe('FAILED');
    expect(failed.reason).toMatch(/distribution-configuration\/other not found/);
    expect(await res.rollbackUpdate(P1, P3)).toMatchObject({ status: 'SUCCESS', physicalResourceId: res.outcomes[0].outcome.physicalResourceId });
    expect(distributionsOf()).toEqual(patchedV1());
  });

  test('succeeds, then the stack rolls back: the rollback Update returns, CloudFormation deletes the new physical ID', async () => {
    await res.create(P1);
    const moved = await res.update(P3, v3.template);
    const rolledBack = await res.rollbackUpdate(P1, P3);
    expect(rolledBack).toMatchObject({ status: 'SUCCESS', physicalResourceId: res.outcomes[0].outcome.physicalResourceId });
    expect(await res.cleanup(moved.physicalResourceId!, P3)).toMatchObject({ status: 'SUCCESS' });
    expect(distributionsOf(OTHER_CONFIG_ARN)).toEqual(ORIGINAL);
    expect(distributionsOf()).toEqual(patchedV1());
  });
});

test('an upgrade from one handler role per patch to one per configuration: the patch moves to the new role, nothing else changes', async () => {
  // The template of a release that named the role `HandlerRole` (logical IDs PatchHandlerRole854026B8 and its policy).
  const role = v1.template.logicalIdsOfType('AWS::IAM::Role').find((id) => id.startsWith('PatchHandlerRole'))!;
  const policy = v1.template.logicalIdsOfType('AWS::IAM::Policy').find((id) => id.startsWith('PatchHandlerRole'))!;
  const before = new DeployedTemplate(JSON.parse(JSON.stringify(v1.template.json)
    .split(role).join('PatchHandlerRole854026B8').split(policy).join('PatchHandlerRoleDefaultPolicy98B62D6E')));
  const p0 = before.propertiesOf(v1.logicalId);
  expect(p0.RoleArn).not.toBe(P1.RoleArn);
  await res.create(p0, { template: before });
  const writes = ib.applied;
  expect(await res.update(P1, v1.template)).toMatchObject({ status: 'SUCCESS', physicalResourceId: res.outcomes[0].outcome.physicalResourceId });
  expect(ib.applied).toBe(writes);
  expect(distributionsOf()).toEqual(patchedV1());
  expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
  expect(distributionsOf()).toEqual(ORIGINAL);
});

test('configuration deleted out of band: update, rollback and delete all succeed', async () => {
  await res.create(P1);
  ib.configs.delete(CONFIG_ARN);
  expect(await res.update(P2, v2.template)).toMatchObject({ status: 'SUCCESS' });
  expect(baseline()).toBeUndefined();
  expect(await res.rollbackUpdate(P1, P2)).toMatchObject({ status: 'SUCCESS' });
  expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
  expect(ib.get(CONFIG_ARN)).toBeUndefined();
});

test('configuration missing at Create: FAILED with the reason, nothing written', async () => {
  ib.configs.delete(CONFIG_ARN);
  const created = await res.create(P1);
  expect(created).toMatchObject({ status: 'FAILED', physicalResourceId: CREATE_FAILED_MARKER });
  expect(created.reason).toMatch(/not found/);
  expect(baseline()).toBeUndefined();
});

describe('malformed, wrong-typed and oversized properties at Create', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['Patch wrong-typed', { Patch: { distributions: [] } }, /Property Patch must be a string \(got object\)/],
    ['Patch missing', { Patch: '' }, /Property Patch is required/],
    ['Patch malformed', { Patch: '{"distributions":[{"region":"us-east-1"}]}' }, /Patch for /],
    // The error names the ARN: the reason is cut to fit CloudFormation's 4096 bytes.
    ['DistributionConfigurationArn oversized', { DistributionConfigurationArn: `${CONFIG_ARN}${'x'.repeat(6000)}` }, /characters cut, see the log/],
    // Incompressible, so that its baseline cannot fit the SSM parameters a baseline may use.
    ['Patch oversized', { Patch: JSON.stringify({ distributions: [{ region: 'us-east-1', merge: { futureSettings: randomBytes(60_000).toString('hex') } }] }) },
      /exceeds the \d+-byte limit of the \d+ SSM parameters a baseline may use/],
  ];
  test.each(cases)('%s', async (_, change, message) => {
    const created = await res.create({ ...P1, ...change });
    expect(created).toMatchObject({ status: 'FAILED', physicalResourceId: CREATE_FAILED_MARKER });
    expect(created.reason).toMatch(message);
    expect(created.responseBytes).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(distributionsOf()).toEqual(ORIGINAL);
    expect(baseline()).toBeUndefined();
    expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
  });
});

// The handler role's statements, and the framework's Invoke of the handler (its GetFunction runs only after a failed
// Invoke: the throttle case above). Not the provider role's sts:AssumeRole: in the same account, the handler role's
// trust policy, which names the provider role, allows the AssumeRole by itself (IAM's evaluation: a resource-based
// policy that names the principal needs no identity-based grant), so removing it changes nothing.
describe('IAM: without any one statement of the roles, the lifecycle fails with AccessDenied, and CloudFormation gets the reason', () => {
  const mutations = roleMutations(v1.template, ['PatchHandlerRole', 'ImageBuilderDistributionProviderFrameworkOnEventRole'])
    .filter((m) => !m.actions.includes('lambda:GetFunction'));
  test('the roles have the statements this replays', () => {
    expect(mutations.filter((m) => !m.action).map((m) => m.actions)).toEqual([
      ['imagebuilder:GetDistributionConfiguration', 'imagebuilder:UpdateDistributionConfiguration'],
      ['iam:PassRole'],
      ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'],
      ['lambda:InvokeFunction'],
    ]);
  });

  // ssm:DeleteParameter alone: the lease's release is denied, so the lease stays, and the undo that follows waits for
  // it to expire (lambda/lease.ts) in real sleeps that the simulated clock does not advance through. Not replayed
  // here; the removal of the whole statement is.
  const replayed = mutations.filter((m) => m.action !== 'ssm:DeleteParameter');
  test.each(replayed.map((m) => [m.name, m]))('%s', async (_, mutation) => {
    // Create, Update and Delete, each deploying its version with the statement removed, up to the first failure.
    const steps: (() => Promise<Outcome>)[] = [
      () => res.create(P1, { template: mutated(v1.template, mutation) }),
      () => res.update(P2, mutated(v2.template, mutation)),
      () => res.delete(),
    ];
    expectedDenials = await expectOnlyMutationDenied(steps, mutation, () => h.iam.denials);
  });
});
