import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AmiDistribution, DiskImageFormat, DistributionConfiguration } from '../src';

const PATCH = 'Custom::ImageBuilderDistributionConfigurationPatch';

function build(description: string, extra: Partial<AmiDistribution> = {}, prefix = 'vmdk/') {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111111111111', region: 'us-east-1' } });
  const bucket = new s3.Bucket(stack, 'Exports');
  const role = new iam.Role(stack, 'VmImport', { assumedBy: new iam.ServicePrincipal('vmie.amazonaws.com') });
  const config = new DistributionConfiguration(stack, 'Config', {
    description,
    amiDistributions: [
      { amiName: 'golden-{{ imagebuilder:buildDate }}', s3Export: { role, bucket, prefix, diskImageFormat: DiskImageFormat.VMDK }, ...extra },
      { region: 'eu-west-1', amiName: 'golden-{{ imagebuilder:buildDate }}' },
    ],
  });
  return { stack, config, bucket, role, get template() { return Template.fromStack(stack); } };
}

function patchResource(template: Template): any {
  const resources = Object.values(template.findResources(PATCH)) as any[];
  expect(resources).toHaveLength(1);
  return resources[0];
}

test('S3 export is applied by one patch resource, never rendered into the CloudFormation resource', () => {
  const { template } = build('v1');
  const config = Object.values(template.findResources('AWS::ImageBuilder::DistributionConfiguration'))[0] as any;
  expect(JSON.stringify(config.Properties)).not.toMatch(/S3Export|s3Export/);

  const patch = patchResource(template);
  expect(patch.Properties.DistributionConfigurationArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Config/), 'Arn'] });
  expect(patch.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^Config/)]));
  const document = JSON.parse(JSON.stringify(patch.Properties.Patch));
  // The patch is a JSON string built with Fn::Join because the bucket and role names are deploy-time values.
  expect(JSON.stringify(document)).toContain('\\"region\\":\\"us-east-1\\",\\"merge\\":{\\"s3ExportConfiguration\\":{\\"roleName\\":\\"');
  expect(JSON.stringify(document)).toContain('\\"diskImageFormat\\":\\"VMDK\\"');
  expect(JSON.stringify(document)).toContain('\\"s3Prefix\\":\\"vmdk/\\"');
  expect(JSON.stringify(document)).not.toContain('eu-west-1');
});

test('the patch re-applies whenever the base configuration changes, and only then (BaseHash)', () => {
  const base = patchResource(build('v1').template).Properties.BaseHash;
  expect(base).toMatch(/^[0-9a-f]{64}$/);
  // Same input, same hash: no spurious updates.
  expect(patchResource(build('v1').template).Properties.BaseHash).toBe(base);
  // Any change of the base's properties changes the hash, so CloudFormation updates the patch after the base.
  expect(patchResource(build('v2').template).Properties.BaseHash).not.toBe(base);
  expect(patchResource(build('v1', { amiTags: { team: 'x' } }).template).Properties.BaseHash).not.toBe(base);
  // A change of the export alone changes the patch, not the base hash.
  const prefixChanged = patchResource(build('v1', {}, 'raw/').template).Properties;
  expect(prefixChanged.BaseHash).toBe(base);
  expect(JSON.stringify(prefixChanged.Patch)).toContain('raw/');
});

test('deploy-time values of the base are in the patch too, so their changes re-apply it (BaseReferences)', () => {
  // Without intrinsics in the base's properties there is nothing to carry.
  expect(patchResource(build('v1').template).Properties.BaseReferences).toBeUndefined();

  const withRepository = build('v1');
  withRepository.config.addContainerDistribution({ repository: new ecr.Repository(withRepository.stack, 'Images') });
  const references = patchResource(withRepository.template).Properties.BaseReferences;
  expect(references).toEqual(expect.arrayContaining([{ Ref: expect.stringMatching(/^Images/) }]));
  // Each value once, and only intrinsics.
  expect(new Set(references.map((r: unknown) => JSON.stringify(r))).size).toBe(references.length);
  for (const r of references) expect(Object.keys(r)[0]).toMatch(/^(Ref|Fn::)/);
});

test('the VM Import/Export role may write the export prefix only', () => {
  const { template } = build('v1');
  template.hasResourceProperties('AWS::IAM::Policy', {
    Roles: [{ Ref: Match.stringLikeRegexp('^VmImport') }],
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Action: ['s3:GetBucketLocation', 's3:GetBucketAcl', 's3:ListBucket'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Exports'), 'Arn'] } }),
        Match.objectLike({ Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Exports'), 'Arn'] }, '/vmdk/*']] } }),
      ]),
    },
  });
});

test('the handler may read and update exactly this configuration', () => {
  const { template } = build('v1');
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([Match.objectLike({
        Action: ['imagebuilder:GetDistributionConfiguration', 'imagebuilder:UpdateDistributionConfiguration'],
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Config'), 'Arn'] },
      })]),
    },
  });
});

test('exports added later join the same patch resource', () => {
  const { stack, config, bucket, role } = build('v1');
  config.addAmiDistribution({ region: 'ap-southeast-2', amiName: 'golden-x', s3Export: { role, bucket, diskImageFormat: DiskImageFormat.VHD } });
  const template = Template.fromStack(stack);
  const patch = patchResource(template);
  expect(JSON.stringify(patch.Properties.Patch)).toContain('ap-southeast-2');
  expect(JSON.stringify(patch.Properties.Patch)).toContain('VHD');
});

test('a configuration without S3 export has no patch and no provider', () => {
  const stack = new Stack(new App(), 'Plain', { env: { account: '111111111111', region: 'us-east-1' } });
  new DistributionConfiguration(stack, 'Config', { amiDistributions: [{ amiName: 'golden-x' }] });
  const template = Template.fromStack(stack);
  template.resourceCountIs(PATCH, 0);
  template.resourceCountIs('AWS::Lambda::Function', 0);
});
