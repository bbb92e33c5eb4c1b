// Custom::ImageBuilderDistributeImage through aws-cdk-lib's Provider framework and its waiter, as CloudFormation drives
// it (harness.ts), with the fake Image Builder and EC2 checked after every step, and every call authorized against
// the roles of the template deployed at that moment.
import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  ACCOUNT, clock, CREATE_FAILED_MARKER, FRAMEWORK_DIR, HANDLER_FILE, Harness, MAX_RESPONSE_BYTES, expectOnlyMutationDenied,
  mutated, Outcome, ResourceUnderTest, RoleMutation,
  roleMutations, stagedAssetDirs, startHarness, useRealClock, useSimulatedClock,
} from './harness';
import { CONFIG_ARN, distributeStack } from './stacks';
import { faults } from '../lambda/local-server';
import { DistributedImages, Ec2Images } from '../lambda/server/distribute-routes';

const v1 = distributeStack();
/** New tags: a new distribution (replacement). */
const v2 = distributeStack({ tags: { release: '2' } });
/** Only the removal policy changes: the image is kept. */
const v1Retain = distributeStack({ removalPolicy: RemovalPolicy.RETAIN });
const v1Short = distributeStack({ timeout: Duration.minutes(10) });
const P1 = v1.template.propertiesOf(v1.logicalId);
const P2 = v2.template.propertiesOf(v2.logicalId);
const P1_RETAIN = v1Retain.template.propertiesOf(v1Retain.logicalId);
const P1_SHORT = v1Short.template.propertiesOf(v1Short.logicalId);
const OTHER = '222222222222';

let h: Harness;
let images: DistributedImages;
let ec2: Ec2Images;
let res: ResourceUnderTest;
/** The IAM denials a test expects (none unless it says so). */
let expectedDenials: unknown[] = [];

beforeEach(async () => {
  useSimulatedClock();
  ec2 = await Ec2Images.start();
  h = await startHarness(v1.template, {
    env: { EC2_ENDPOINT: ec2.endpoint },
    nextImageArn: (region) => `arn:aws:imagebuilder:${region}:${ACCOUNT}:image/distributed-image/1.0.0/${images.started + 1}`,
  });
  ec2.authorize = h.iam.ec2Check;
  images = new DistributedImages(h.aws, { account: ACCOUNT, clock: clock.now });
  images.addConfiguration(CONFIG_ARN, [{ region: 'us-east-1' }, { region: 'eu-west-1', accountIds: [OTHER] }]);
  res = h.resource(v1.logicalId);
});

afterEach(async () => {
  const denials = h.iam.denials;
  await h.close();
  await ec2.close();
  useRealClock();
  // Every call the handler made was allowed, unless a test looked for the denial.
  expect(denials).toEqual(expectedDenials);
  expectedDenials = [];
});

/** The AMIs a finished distribution made in this account, as EC2 holds them. */
function registerAmis(arn: string): string[] {
  const image = images.images.get(arn)!;
  const mine = image.amis.filter((a) => a.accountId === ACCOUNT);
  // Image Builder tags what it creates `CreatedBy: EC2 Image Builder` (the managed policies require the tag on its
  // CreateImage/CopyImage, and the handler role's delete rights are gated on it).
  for (const ami of mine) {
    ec2.add({
      imageId: ami.image,
      region: ami.region,
      creationDate: image.dateCreated,
      snapshotIds: [`snap-${ami.image.slice(4)}`],
      tags: { CreatedBy: 'EC2 Image Builder' },
    });
  }
  return mine.map((a) => a.image);
}

const live = () => [...images.images.values()].filter((i) => !i.deleted).map((i) => i.arn);

test('the functions run are the ones the template deploys (framework runtime and handler bundle, unmodified)', () => {
  const dirs = stagedAssetDirs(v1.stack, v1.template);
  const handlers = [...dirs.keys()].map((id) => String(v1.template.resources[id].Properties.Handler));
  expect(handlers.sort()).toEqual(['framework.isComplete', 'framework.onEvent', 'framework.onTimeout', 'index.isComplete', 'index.onEvent']);
  for (const [id, dir] of dirs) {
    const [file] = String(v1.template.resources[id].Properties.Handler).split('.');
    const shipped = file === 'framework' ? path.join(FRAMEWORK_DIR, 'framework.js') : HANDLER_FILE;
    expect(fs.readFileSync(path.join(dir, `${file}.js`))).toEqual(fs.readFileSync(shipped));
  }
});

test('the waiter runs as synthesized: interval, attempts and timeouts nest inside CloudFormation\'s hour', () => {
  const retry = h.stepFunctions.definition.States['framework-isComplete-task'].Retry[0];
  expect(retry).toEqual({ ErrorEquals: ['States.ALL'], IntervalSeconds: 30, MaxAttempts: 110, BackoffRate: 1 });
  expect(P1.ServiceTimeout).toBe('3600');
  expect(Number(P1.TimeoutSeconds)).toBeLessThan(retry.IntervalSeconds * retry.MaxAttempts);
  expect(retry.IntervalSeconds * retry.MaxAttempts).toBeLessThan(Number(P1.ServiceTimeout));
});

test('create, update in place, replacement, cleanup and delete', async () => {
  const created = await res.create(P1);
  expect(created.status).toBe('SUCCESS');
  const first = created.physicalResourceId!;
  expect(images.status(first)).toBe('AVAILABLE');
  expect(created.data).toMatchObject({ 'ImageBuildVersionArn': first, 'AmiId.us-east-1': expect.stringMatching(/^ami-/) });
  const amis = registerAmis(first);

  // RemovalPolicy alone: the same image.
  expect(await res.update(P1_RETAIN, v1Retain.template)).toMatchObject({ status: 'SUCCESS', physicalResourceId: first });
  expect(await res.update(P1, v1.template)).toMatchObject({ status: 'SUCCESS', physicalResourceId: first });
  expect(images.started).toBe(1);

  // New tags: a new image; CloudFormation then deletes the old one (destroy: image, AMIs and snapshots).
  const replaced = await res.update(P2, v2.template);
  expect(replaced.status).toBe('SUCCESS');
  expect(replaced.replaced?.physicalResourceId).toBe(first);
  expect(await res.cleanup(replaced.replaced!.physicalResourceId, replaced.replaced!.properties)).toMatchObject({ status: 'SUCCESS' });
  expect(live()).toEqual([replaced.physicalResourceId]);
  for (const ami of amis) expect(ec2.amis.has(ami)).toBe(false);

  expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
  expect(live()).toEqual([]);
  for (const { outcome } of res.outcomes) expect(outcome.responseBytes).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
});

test('the same Create delivered twice distributes once', async () => {
  expect(await res.create(P1, { deliveries: 2 })).toMatchObject({ status: 'SUCCESS' });
  expect(images.started).toBe(1);
});

test('create whose distribution fails: FAILED with the image\'s ID, and the rollback Delete removes the image', async () => {
  images.nextOutcome = { fail: 'AMI copy to eu-west-1 failed' };
  const created = await res.create(P1);
  expect(created.status).toBe('FAILED');
  expect(created.reason).toMatch(/is FAILED: AMI copy to eu-west-1 failed/);
  expect(created.physicalResourceId).toMatch(/:image\//);
  expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
  expect(live()).toEqual([]);
});

test('create whose distribution started but whose waiter could not: the framework answers the rollback Delete, the image stays', async () => {
  h.stepFunctions.failStart();
  const created = await res.create(P1);
  expect(created).toMatchObject({ status: 'FAILED', physicalResourceId: CREATE_FAILED_MARKER });
  expect(created.reason).toMatch(/states:StartExecution/);
  expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
  // The one case the handler never hears of (docs/lifecycle.md): the distribution it started is not cleaned up.
  expect(live()).toHaveLength(1);
  // Deploying the same properties again (the stack still exists) takes that image back instead of distributing again.
  const again = await h.resource(v1.logicalId).create(P1);
  expect(again).toMatchObject({ status: 'SUCCESS', physicalResourceId: live()[0] });
  expect(images.started).toBe(1);
});

test('a distribution that outlasts its timeout fails the resource before CloudFormation\'s hour, and the rollback cancels and deletes it', async () => {
  images.nextOutcome = { stepsPerState: 10_000 };
  const created = await res.create(P1_SHORT, { template: v1Short.template });
  expect(created.status).toBe('FAILED');
  expect(created.reason).toMatch(/did not become AVAILABLE within TimeoutSeconds=600/);
  expect(created.seconds).toBeGreaterThanOrEqual(600);
  expect(created.seconds).toBeLessThan(700);
  expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
  expect(images.cancelled).toEqual([created.physicalResourceId]);
  expect(live()).toEqual([]);
});

test('with the default timeout, the longest wait still ends before ServiceTimeout', async () => {
  images.nextOutcome = { stepsPerState: 10_000 };
  const created = await res.create(P1);
  expect(created.status).toBe('FAILED');
  expect(created.reason).toMatch(/did not become AVAILABLE within TimeoutSeconds=3000/);
  expect(created.seconds).toBeLessThan(3600);
});

test('a distribution still running when its Delete arrives is cancelled, then deleted', async () => {
  const created = await res.create(P1);
  const arn = created.physicalResourceId!;
  images.setStatus(arn, 'DISTRIBUTING');
  const deleted = await res.delete();
  expect(deleted).toMatchObject({ status: 'SUCCESS' });
  expect(images.cancelled).toEqual([arn]);
  expect(live()).toEqual([]);
  expect(deleted.seconds).toBeLessThan(120);
});

describe.each([
  ['DistributeImage fails', () => h.aws.inject('DistributeImage', faults.error(400, 'InvalidRequestException', 'The source image is not available'))],
  ['GetImage fails', () => h.aws.inject('GetImage', faults.error(403, 'ForbiddenException', 'not authorized'), 2)],
  ['the distribution fails', () => { images.nextOutcome = { fail: 'copy failed' }; }],
])('update (replacement) where %s', (_, inject) => {
  test('then the rollback Update returns to the old image without distributing again', async () => {
    const created = await res.create(P1);
    const startedBefore = images.started;
    inject();
    const failed = await res.update(P2, v2.template);
    expect(failed.status).toBe('FAILED');
    expect(res.physicalResourceId).toBe(created.physicalResourceId);
    const started = images.started;
    const rolledBack = await res.rollbackUpdate(P1, P2);
    expect(rolledBack).toMatchObject({ status: 'SUCCESS', physicalResourceId: created.physicalResourceId });
    expect(rolledBack.data).toEqual(created.data);
    expect(images.started).toBe(started);
    expect(started - startedBefore).toBeLessThanOrEqual(1);
  });
});

test('rollback of a replacement returns to the old image and its AMI IDs; CloudFormation then deletes the new one', async () => {
  const created = await res.create(P1);
  const replaced = await res.update(P2, v2.template);
  expect(replaced.status).toBe('SUCCESS');
  const rolledBack = await res.rollbackUpdate(P1, P2);
  expect(rolledBack).toMatchObject({ status: 'SUCCESS', physicalResourceId: created.physicalResourceId });
  expect(rolledBack.data).toEqual(created.data);
  expect(images.started).toBe(2);
  expect(await res.cleanup(replaced.physicalResourceId!, P2)).toMatchObject({ status: 'SUCCESS' });
  expect(live()).toEqual([created.physicalResourceId]);
});

test('properties asked for again after their image was deleted distribute anew', async () => {
  const created = await res.create(P1);
  const replaced = await res.update(P2, v2.template);
  await res.cleanup(created.physicalResourceId!, P1); // CloudFormation's cleanup (destroy)
  const back = await res.update(P1, v1.template);
  expect(back.status).toBe('SUCCESS');
  expect(back.physicalResourceId).not.toBe(created.physicalResourceId);
  expect(back.physicalResourceId).not.toBe(replaced.physicalResourceId);
  expect(images.status(back.physicalResourceId!)).toBe('AVAILABLE');
});

describe.each([
  ['Tags not JSON', { Tags: '{"release":' }, /Tags is not valid JSON/],
  ['SourceImage wrong-typed', { SourceImage: ['ami-1'] }, /property SourceImage must be a string \(got \["ami-1"\]\)/],
  ['TimeoutSeconds malformed', { TimeoutSeconds: 'soon' }, /TimeoutSeconds must be a positive whole number/],
])('update with malformed properties (%s)', (_, change, message) => {
  test('fails with the reason; the rollback Update keeps the image', async () => {
    const created = await res.create(P1);
    const bad = { ...P2, ...change };
    const failed = await res.update(bad, v2.template);
    expect(failed.status).toBe('FAILED');
    expect(failed.reason).toMatch(message);
    expect(await res.rollbackUpdate(P1, bad)).toMatchObject({ status: 'SUCCESS', physicalResourceId: created.physicalResourceId });
    expect(images.started).toBe(1);
  });
});

describe.each(['gone (404)', 'DELETED'])('image %s out of band', (how) => {
  test('an update that starts no distribution, its rollback and the delete succeed', async () => {
    const created = await res.create(P1);
    const arn = created.physicalResourceId!;
    if (how === 'DELETED') images.setStatus(arn, 'DELETED');
    else images.images.get(arn)!.deleted = true;
    expect(await res.update(P1_RETAIN, v1Retain.template)).toMatchObject({ status: 'SUCCESS', physicalResourceId: arn });
    expect(await res.rollbackUpdate(P1, P1_RETAIN)).toMatchObject({ status: 'SUCCESS', physicalResourceId: arn });
    expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
    expect(images.started).toBe(1);
  });
});

describe.each([
  ['SourceImage missing', { SourceImage: '' }, /property SourceImage is required/],
  ['ExecutionRole wrong-typed', { ExecutionRole: { Name: 'r' } }, /property ExecutionRole must be a string/],
  ['RemovalPolicy unknown', { RemovalPolicy: 'snapshot' }, /RemovalPolicy must be "retain" or "destroy"/],
  ['SourceImage oversized', { SourceImage: `ami-${'0'.repeat(6000)}` }, /characters cut, see the log/],
])('create with malformed properties (%s)', (_, change, message) => {
  test('fails with a reason that fits, starts nothing, and the rollback Delete succeeds', async () => {
    const created = await res.create({ ...P1, ...change });
    expect(created).toMatchObject({ status: 'FAILED', physicalResourceId: CREATE_FAILED_MARKER });
    expect(created.reason).toMatch(message);
    expect(created.responseBytes).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(images.started).toBe(0);
    expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
  });
});

// The handler role's statements, and those of the framework's roles that this sequence uses (not the provider role's
// sts:AssumeRole: see patch-lifecycle.test.ts).
describe('IAM: without any one statement of the roles, the lifecycle fails with AccessDenied, and CloudFormation gets the reason', () => {
  const fn = (prefix: string) => v1.template.getAtt(v1.template.logicalIdsOfType('AWS::Lambda::Function').find((id) => id.startsWith(prefix))!, 'Arn');
  /**
   * Statements of aws-cdk-lib's Provider not replayed, and why: GetFunction is called only after a failed Invoke (the
   * throttle case of patch-lifecycle.test.ts runs it); the framework grants each of its functions the Invoke of both
   * user functions, but onEvent invokes only onEvent and isComplete only isComplete; onTimeout runs only when the
   * waiter gives up; without the waiter's Invoke of isComplete, the waiter fails quietly and CloudFormation times out
   * (no reason to check).
   */
  const notReplayed = (m: RoleMutation) => m.actions.includes('lambda:GetFunction')
    || (m.name.startsWith('ImageBuilderDistributionProviderFrameworkOnEventRole') && m.actions.includes('lambda:InvokeFunction') && resourcesOf(m).includes(fn('ImageBuilderDistributionProviderIsComplete')))
    || (m.name.startsWith('ImageBuilderDistributionProviderFrameworkIsCompleteRole') && m.actions.includes('lambda:InvokeFunction') && resourcesOf(m).includes(fn('ImageBuilderDistributionProviderOnEvent')))
    || m.name.startsWith('ImageBuilderDistributionProviderwaiterstatemachineRole');
  const resourcesOf = (m: RoleMutation) => [v1.template.iam.statementsOf(m.roleArn)[m.index].statement.Resource ?? []].flat();
  const mutations = roleMutations(v1.template, ['DistributeHandlerRole', 'ImageBuilderDistributionProviderFrameworkOnEventRole',
    'ImageBuilderDistributionProviderFrameworkIsCompleteRole', 'ImageBuilderDistributionProviderwaiterstatemachineRole']).filter((m) => !notReplayed(m));
  test('the roles have the statements this replays', () => {
    expect(mutations.filter((m) => !m.action).map((m) => [m.name.replace(/[0-9A-F]{8}\[.*/, ''), m.actions])).toEqual([
      ['DistributeHandlerRole', ['imagebuilder:DistributeImage', 'imagebuilder:GetImage', 'imagebuilder:TagResource', 'imagebuilder:CancelImageCreation', 'imagebuilder:DeleteImage']],
      ['DistributeHandlerRole', ['imagebuilder:GetDistributionConfiguration']],
      ['DistributeHandlerRole', ['iam:PassRole']],
      ['DistributeHandlerRole', ['ec2:DeregisterImage']],
      ['DistributeHandlerRole', ['ec2:DeleteSnapshot']],
      ['DistributeHandlerRole', ['ec2:DescribeImages']],
      ['ImageBuilderDistributionProviderFrameworkOnEventRole', ['lambda:InvokeFunction']],
      ['ImageBuilderDistributionProviderFrameworkOnEventRole', ['states:StartExecution']],
      ['ImageBuilderDistributionProviderFrameworkIsCompleteRole', ['lambda:InvokeFunction']],
    ]);
  });

  test.each(mutations.map((m) => [m.name, m]))('%s', async (_, mutation) => {
    // Create, an Update that replaces the image, the cleanup Delete of the first (destroy: image, AMIs, snapshots),
    // and the stack's Delete while the second still distributes (cancel), each deploying its version with the
    // statement removed, up to the first failure.
    let replaced: Awaited<ReturnType<ResourceUnderTest['update']>> | undefined;
    const steps: (() => Promise<Outcome>)[] = [
      () => res.create(P1, { template: mutated(v1.template, mutation) }),
      async () => {
        registerAmis(res.physicalResourceId!);
        replaced = await res.update(P2, mutated(v2.template, mutation));
        return replaced;
      },
      () => res.cleanup(replaced!.replaced!.physicalResourceId, replaced!.replaced!.properties),
      () => {
        images.setStatus(res.physicalResourceId!, 'DISTRIBUTING');
        return res.delete();
      },
    ];
    expectedDenials = await expectOnlyMutationDenied(steps, mutation, () => h.iam.denials);
  });

  test('the same sequence passes with the roles as synthesized', async () => {
    expect(await res.create(P1)).toMatchObject({ status: 'SUCCESS' });
    registerAmis(res.physicalResourceId!);
    const replaced = await res.update(P2, v2.template);
    expect(replaced.replaced).toBeDefined();
    expect(await res.cleanup(replaced.replaced!.physicalResourceId, replaced.replaced!.properties)).toMatchObject({ status: 'SUCCESS' });
    images.setStatus(res.physicalResourceId!, 'DISTRIBUTING');
    expect(await res.delete()).toMatchObject({ status: 'SUCCESS' });
    expect(images.cancelled).toEqual([replaced.physicalResourceId]);
  });
});
