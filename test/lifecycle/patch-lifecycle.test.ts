// Custom::ImageBuilderDistributionConfigurationPatch through aws-cdk-lib's Provider framework, as CloudFormation
// drives it (harness.ts), with the fake Image Builder and SSM checked after every step.
import * as fs from 'fs';
import * as path from 'path';
import { clock, CREATE_FAILED_MARKER, FRAMEWORK_DIR, HANDLER_FILE, Harness, MAX_RESPONSE_BYTES, ResourceUnderTest, stagedAssetDirs, startHarness, useRealClock, useSimulatedClock } from './harness';
import { CONFIG_ARN, OTHER_CONFIG_ARN, patchStack } from './stacks';
import { DistributionConfigurations } from '../lambda/server/imagebuilder';
import { Parameters } from '../lambda/server/ssm';
import { Roles } from '../lambda/server/sts';

const v1 = patchStack();
const v2 = patchStack({ bucket: 'disk-images-v2', format: undefined, shareWith: '222222222222' });

const ORIGINAL = [
  { region: 'us-east-1', amiDistributionConfiguration: { name: 'golden-{{ imagebuilder:buildDate }}', targetAccountIds: ['333333333333'] } },
  { region: 'eu-west-1', amiDistributionConfiguration: { name: 'golden-{{ imagebuilder:buildDate }}' } },
];

let h: Harness;
let ib: DistributionConfigurations;
let ssm: Parameters;
let res: ResourceUnderTest;

beforeEach(async () => {
  useSimulatedClock();
  h = await startHarness(v1.template);
  ib = new DistributionConfigurations(h.aws);
  ssm = new Parameters(h.aws);
  const roles = new Roles(h.aws, { clock: clock.now });
  for (const id of v1.template.logicalIdsOfType('AWS::IAM::Role')) roles.add(v1.template.roleArn(id));
  for (const arn of [CONFIG_ARN, OTHER_CONFIG_ARN]) ib.put({ arn, name: arn.split('/').pop()!, distributions: structuredClone(ORIGINAL) });
  res = h.resource(v1.logicalId);
});

afterEach(async () => {
  await h.close();
  useRealClock();
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

test('create, update, delete: the configuration carries the declared patch after each, and is restored at the end', async () => {
  const created = await res.create(v1.template.propertiesOf(v1.logicalId));
  expect(created).toMatchObject({ status: 'SUCCESS' });
  expect(distributionsOf()![0].s3ExportConfiguration).toEqual({ roleName: 'vmimport', diskImageFormat: 'RAW', s3Bucket: 'disk-images' });
  expect(baseline()).toBeDefined();

  const updated = await res.update(v2.template.propertiesOf(v2.logicalId));
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
