import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import {
  DiskImageFormat, DistributeImage, DistributeImageSource, DistributeImageSourceType, DistributionConfiguration, ExecutionRolePolicy,
} from '../src';

const CONFIG_ARN = 'arn:aws:imagebuilder:us-east-1:111111111111:distribution-configuration/shared';

function stack(env = { account: '111111111111', region: 'us-east-1' }) {
  return new Stack(new App(), 'Stack', { env });
}

function synthErrors(s: Stack): string {
  try {
    Template.fromStack(s);
  } catch (e: any) {
    return e.message;
  }
  throw new Error('expected synth to fail');
}

describe('DistributeImageSource', () => {
  test('renders each source form as the API expects', () => {
    const s = stack();
    const param = new ssm.StringParameter(s, 'P', { parameterName: '/golden/ami', stringValue: 'ami-12345678' });
    expect(DistributeImageSource.fromAmiId('ami-0123456789abcdef0').sourceImage).toBe('ami-0123456789abcdef0');
    expect(DistributeImageSource.fromSsmParameterName('/golden/ami').sourceImage).toBe('ssm:/golden/ami');
    expect(s.resolve(DistributeImageSource.fromSsmParameter(param).sourceImage)).toEqual({ 'Fn::Join': ['', ['ssm:', { Ref: expect.stringMatching(/^P/) }]] });
    const arn = 'arn:aws:imagebuilder:us-east-1:111111111111:image/golden/1.0.0/3';
    expect(DistributeImageSource.fromImageArn(arn).sourceImage).toBe(arn);
    expect(DistributeImageSource.fromImageArn(arn).type).toBe(DistributeImageSourceType.IMAGE_ARN);
  });
});

describe('DistributeImage', () => {
  test('creates the custom resource with the API inputs and exposes AMI IDs as attributes', () => {
    const s = stack();
    const config = DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', CONFIG_ARN);
    const d = new DistributeImage(s, 'D', {
      source: DistributeImageSource.fromAmiId('ami-0123456789abcdef0'),
      distributionConfiguration: config,
      tags: { release: '1' },
    });
    const t = Template.fromStack(s);
    t.hasResourceProperties('Custom::ImageBuilderDistributeImage', {
      SourceImage: 'ami-0123456789abcdef0',
      DistributionConfigurationArn: CONFIG_ARN,
      ExecutionRole: { 'Fn::GetAtt': [Match.stringLikeRegexp('DExecutionRole'), 'Arn'] },
      Tags: '{"release":"1"}',
      RemovalPolicy: 'retain',
      TimeoutSeconds: '3000',
      ServiceTimeout: '3600',
    });
    expect(s.resolve(d.amiIdInRegion('eu-west-1'))).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^D/), 'AmiId.eu-west-1'] });
    expect(s.resolve(d.amiId('eu-west-1', '222222222222'))).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^D/), 'AmiId.eu-west-1.222222222222'] });
    expect(s.resolve(d.imageBuildVersionArn)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^D/), 'ImageBuildVersionArn'] });
    expect(s.resolve(d.amis)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^D/), 'Amis'] });
  });

  test('the default execution role is trusted by Image Builder and may assume the cross-account role of each target', () => {
    const s = stack();
    const key = kms.Key.fromKeyArn(s, 'K', 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const config = new DistributionConfiguration(s, 'C', {
      amiDistributions: [{ amiName: 'a-{{ imagebuilder:buildDate }}', targetAccountIds: ['222222222222'] }],
    });
    new DistributeImage(s, 'D', { source: DistributeImageSource.fromAmiId('ami-12345678'), distributionConfiguration: config });
    // Added after the DistributeImage: still granted.
    config.addAmiDistribution({ region: 'eu-west-1', amiName: 'bbb', targetAccountIds: ['333333333333'], kmsKey: key });

    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'imagebuilder.amazonaws.com' } })] },
    });
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(':iam::222222222222:role/EC2ImageBuilderDistributionCrossAccountRole');
    expect(policies).toContain(':iam::333333333333:role/EC2ImageBuilderDistributionCrossAccountRole');
    expect(policies).toContain('kms:CreateGrant');
  });

  test('the provider may pass only the execution role, only to Image Builder, and distribute only this configuration', () => {
    const s = stack();
    const role = iam.Role.fromRoleArn(s, 'R', 'arn:aws:iam::111111111111:role/distributor');
    new DistributeImage(s, 'D', {
      source: DistributeImageSource.fromAmiId('ami-12345678'),
      distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', CONFIG_ARN),
      executionRole: role,
    });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['imagebuilder:DistributeImage', 'imagebuilder:GetImage'] }),
          Match.objectLike({ Action: 'imagebuilder:GetDistributionConfiguration', Resource: CONFIG_ARN }),
          Match.objectLike({
            Action: 'iam:PassRole',
            Resource: 'arn:aws:iam::111111111111:role/distributor',
            Condition: { StringEquals: { 'iam:PassedToService': 'imagebuilder.amazonaws.com' } },
          }),
        ]),
      },
    });
    // No DESTROY: no permission to delete anything. No tags: no TagResource. DistributeImage's resource type is image,
    // never the configuration (a grant on it would match nothing).
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain('imagebuilder:TagResource');
    expect(policies).not.toMatch(/"imagebuilder:DistributeImage"[^}]*distribution-configuration/);
    expect(policies).not.toContain('ec2:DeregisterImage');
    expect(policies).not.toContain('imagebuilder:DeleteImage');
    // A supplied role gets no execution-role policy from us.
    t.resourcePropertiesCountIs('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'imagebuilder.amazonaws.com' } })] } }, 0);
  });

  test('DESTROY grants the deletion of images, AMIs and snapshots and tells the handler', () => {
    const s = stack();
    new DistributeImage(s, 'D', {
      source: DistributeImageSource.fromImageArn('arn:aws:imagebuilder:us-east-1:111111111111:image/golden/1.0.0/3'),
      distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', CONFIG_ARN),
      removalPolicy: RemovalPolicy.DESTROY,
      timeout: Duration.minutes(30),
      logGroup: new logs.LogGroup(s, 'L'),
    });
    const t = Template.fromStack(s);
    t.hasResourceProperties('Custom::ImageBuilderDistributeImage', {
      RemovalPolicy: 'destroy', TimeoutSeconds: '1800', LogGroupName: { Ref: Match.stringLikeRegexp('^L') },
    });
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('ec2:DeregisterImage');
    expect(policies).toContain('ec2:DeleteSnapshot');
    expect(policies).toContain('imagebuilder:DeleteImage');
  });

  test('an SSM parameter source lets the provider read exactly that parameter', () => {
    const s = stack();
    new DistributeImage(s, 'D', {
      source: DistributeImageSource.fromSsmParameterName('/golden/ami'),
      distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', CONFIG_ARN),
    });
    const statements = Object.values(Template.fromStack(s).findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => JSON.stringify(st.Action).includes('ssm:GetParameter'));
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements[0].Resource)).toContain(':ssm:us-east-1:111111111111:parameter/golden/ami"');
  });

  test('many DistributeImage resources share one provider', () => {
    const s = stack();
    const config = DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', CONFIG_ARN);
    for (let i = 0; i < 5; i++) {
      new DistributeImage(s, `D${i}`, { source: DistributeImageSource.fromAmiId('ami-12345678'), distributionConfiguration: config });
    }
    const t = Template.fromStack(s);
    t.resourceCountIs('Custom::ImageBuilderDistributeImage', 5);
    t.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    t.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.onEvent' }, 1);
    t.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.isComplete' }, 1);
    t.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.onEvent', Runtime: 'nodejs22.x' });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('waits for the whole configuration, its S3 export patch included, before distributing', () => {
    const s = stack();
    const config = new DistributionConfiguration(s, 'Config', {
      amiDistributions: [{
        amiName: 'golden-{{ imagebuilder:buildDate }}',
        s3Export: {
          role: new iam.Role(s, 'VmImport', { assumedBy: new iam.ServicePrincipal('vmie.amazonaws.com') }),
          bucket: new s3.Bucket(s, 'Exports'),
          diskImageFormat: DiskImageFormat.RAW,
        },
      }],
    });
    new DistributeImage(s, 'D', { source: DistributeImageSource.fromAmiId('ami-12345678'), distributionConfiguration: config });
    const t = Template.fromStack(s);
    const [patchId] = Object.keys(t.findResources('Custom::ImageBuilderDistributionConfigurationPatch'));
    const [configId] = Object.keys(t.findResources('AWS::ImageBuilder::DistributionConfiguration'));
    const distribute = Object.values(t.findResources('Custom::ImageBuilderDistributeImage'))[0] as any;
    expect(distribute.DependsOn).toEqual(expect.arrayContaining([patchId, configId]));
  });

  test('the created execution role is granted the features the configuration uses, without warnings', () => {
    const s = stack();
    const template = ec2.LaunchTemplate.fromLaunchTemplateAttributes(s, 'T', { launchTemplateId: 'lt-0123456789abcdef0' });
    const config = new DistributionConfiguration(s, 'Config', {
      amiDistributions: [
        {
          amiName: 'golden-{{ imagebuilder:buildDate }}',
          launchTemplates: [{ launchTemplate: template }],
          fastLaunchConfigurations: [{ launchTemplate: template, maxParallelLaunches: 6 }],
        },
        { region: 'eu-west-1', amiName: 'golden-{{ imagebuilder:buildDate }}' },
      ],
    });
    new DistributeImage(s, 'D', { source: DistributeImageSource.fromAmiId('ami-12345678'), distributionConfiguration: config });
    // Added after the DistributeImage: seen too.
    config.addAmiDistribution({
      region: 'eu-central-1',
      licenseConfigurationArns: ['arn:aws:license-manager:eu-central-1:111111111111:license-configuration:lic-0123456789abcdef0123456789abcdef'],
      s3Export: {
        role: iam.Role.fromRoleName(s, 'VmImport', 'vmimport'),
        bucket: s3.Bucket.fromBucketName(s, 'Exports', 'exports'),
        diskImageFormat: DiskImageFormat.VMDK,
      },
    });
    Annotations.fromStack(s).hasNoWarning('/Stack/D', Match.anyValue());
    const policies = JSON.stringify(Template.fromStack(s).findResources('AWS::IAM::Policy'));
    for (const action of ['ec2:CreateLaunchTemplateVersion', 'ec2:EnableFastLaunch', 'license-manager:UpdateLicenseSpecificationsForResource', 'ec2:ExportImage']) {
      expect(policies).toContain(action);
    }
  });

  test('launch template and Fast Launch configurations of another account warn: Image Builder applies them only in the source account', () => {
    const s = stack();
    const template = ec2.LaunchTemplate.fromLaunchTemplateAttributes(s, 'T', { launchTemplateId: 'lt-0123456789abcdef0' });
    const config = new DistributionConfiguration(s, 'Config', {
      amiDistributions: [{
        amiName: 'golden-{{ imagebuilder:buildDate }}',
        targetAccountIds: ['222222222222'],
        launchTemplates: [{ launchTemplate: template, accountId: '222222222222' }],
        fastLaunchConfigurations: [{ launchTemplate: template, maxParallelLaunches: 6, accountId: '222222222222' }],
      }],
    });
    new DistributeImage(s, 'D', { source: DistributeImageSource.fromAmiId('ami-12345678'), distributionConfiguration: config });
    const annotations = Annotations.fromStack(s);
    for (const what of ['launchTemplates', 'fastLaunchConfigurations']) {
      annotations.hasWarning('/Stack/D', Match.stringLikeRegexp(`^distributionConfiguration: the AMI distribution to us-east-1 has ${what} for `
        + 'account 222222222222; DistributeImage applies such configurations only in the source account .*sourceAccountOnlyConfigurations'));
    }
    const policies = JSON.stringify(Template.fromStack(s).findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain('ec2:CreateLaunchTemplateVersion');
    expect(policies).not.toContain('ec2:EnableFastLaunch');
  });

  test('a given execution role with an AMI ID source warns that the managed policy needs the CreatedBy tag on it', () => {
    const given = stack();
    const config = new DistributionConfiguration(given, 'Config', {
      amiDistributions: [{ amiName: 'golden-x', launchPermission: { accountIds: ['222222222222'] } }],
    });
    new DistributeImage(given, 'D', {
      source: DistributeImageSource.fromAmiId('ami-12345678'),
      distributionConfiguration: config,
      executionRole: iam.Role.fromRoleName(given, 'Exec', 'distribution-role'),
    });
    Annotations.fromStack(given).hasWarning('/Stack/D', Match.stringLikeRegexp(
      '^executionRole: the source ami-12345678 is an AMI ID and the configuration uses launchPermission \\(ec2:ModifyImageAttribute\\)\\. EC2ImageBuilderExecutionPolicy allows these only on AMIs tagged CreatedBy "EC2 Image Builder"'));
  });

  test('the created execution role may write the SSM output parameters of this account, in their Region', () => {
    const s = stack();
    const output = new ssm.StringParameter(s, 'Out', { parameterName: '/golden/owned', stringValue: 'ami-12345678' });
    const config = new DistributionConfiguration(s, 'Config', {
      amiDistributions: [
        { amiName: 'golden-x', ssmParameters: [{ parameterName: '/golden/latest' }, { parameter: output }] },
        { region: 'eu-west-1', amiName: 'golden-x', targetAccountIds: ['222222222222'], ssmParameters: [{ parameterName: '/golden/latest', accountId: '222222222222' }] },
      ],
    });
    const d = new DistributeImage(s, 'D', { source: DistributeImageSource.fromAmiId('ami-12345678'), distributionConfiguration: config });
    const t = Template.fromStack(s);
    const roleId = Stack.of(d).getLogicalId(d.executionRole.node.defaultChild as iam.CfnRole);
    const statements = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p: any) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => JSON.stringify(st.Action).includes('ssm:'));
    // This account's parameter in us-east-1 only; the other account's is written through its cross-account role.
    expect(statements).toHaveLength(2);
    const ssmOutput = ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:AddTagsToResource'];
    expect(statements.map((st: any) => st.Action)).toEqual([ssmOutput, ssmOutput]);
    expect(JSON.stringify(statements[0].Resource)).toContain(':ssm:us-east-1:111111111111:parameter/golden/latest"');
    // A parameter of this stack: its name is a Ref that starts with "/" (no "parameter//").
    expect(JSON.stringify(statements[1].Resource)).toContain(`:ssm:us-east-1:111111111111:parameter",{"Ref":"${s.getLogicalId(output.node.defaultChild as ssm.CfnParameter)}"}`);
  });

  test('AMI attributes need a literal Region and account (they are part of the Fn::GetAtt name)', () => {
    const s = new Stack(new App(), 'Agnostic');
    const d = new DistributeImage(s, 'D', {
      source: DistributeImageSource.fromAmiId('ami-12345678'),
      distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationName(s, 'C', 'shared'),
    });
    expect(() => d.amiIdInRegion(s.region)).toThrow(/amiIdInRegion: region must be a literal value such as "eu-west-1", not a token/);
    expect(() => d.amiId('eu-west-1', s.account)).toThrow(/amiId: accountId must be a literal value such as "111111111111", not a token/);
    expect(d.amiIdInRegion('eu-west-1')).toMatch(/^\$\{Token/);
  });

  describe('validation', () => {
    test.each([
      ['an AMI ID', DistributeImageSource.fromAmiId('ami-xyz'), /source: "ami-xyz" is invalid; an AMI ID is "ami-"/],
      ['an SSM parameter name', DistributeImageSource.fromSsmParameterName('bad name!'), /source: "bad name!" is invalid; an SSM parameter name/],
      ['an image ARN', DistributeImageSource.fromImageArn('arn:aws:imagebuilder:us-east-1:111111111111:image-recipe/x/1.0.0'), /source: .* is invalid; an Image Builder image ARN/],
    ])('rejects a malformed source (%s)', (_, source, message) => {
      const s = stack();
      new DistributeImage(s, 'D', { source, distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', CONFIG_ARN) });
      expect(synthErrors(s)).toMatch(message);
    });

    test('rejects a configuration in another Region, tag violations, bad accounts and timeouts, all at once', () => {
      const s = stack();
      new DistributeImage(s, 'D', {
        source: DistributeImageSource.fromAmiId('ami-12345678'),
        distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C',
          'arn:aws:imagebuilder:eu-west-1:111111111111:distribution-configuration/shared'),
        tags: { 'aws:reserved': 'x' },
        targetAccountIds: ['1234'],
        timeout: Duration.hours(3),
      });
      const message = synthErrors(s);
      expect(message).toMatch(/distributionConfiguration: Stack\/C is in eu-west-1; .* same Region as the stack \(us-east-1\)/);
      expect(message).toMatch(/tags\.aws:reserved: .*reserved prefix "aws:"/);
      expect(message).toMatch(/targetAccountIds\[0\]: "1234" is invalid; must be a 12-digit AWS account ID/);
      expect(message).toMatch(/timeout: "10800 seconds" is invalid; must be from 1 minute to 50 minutes/);
    });

    test('rejects executionRolePolicy with a given execution role', () => {
      const s = stack();
      new DistributeImage(s, 'D', {
        source: DistributeImageSource.fromAmiId('ami-12345678'),
        distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', CONFIG_ARN),
        executionRole: iam.Role.fromRoleName(s, 'Exec', 'distribution-role'),
        executionRolePolicy: ExecutionRolePolicy.MANAGED_POLICY,
      });
      expect(synthErrors(s)).toMatch(/executionRolePolicy: applies only to the execution role this construct creates.*\[rule executionRolePolicyWithRole\]/);
    });

    test('rejects an execution role that is not a role', () => {
      const s = stack();
      new DistributeImage(s, 'D', {
        source: DistributeImageSource.fromAmiId('ami-12345678'),
        distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(s, 'C', CONFIG_ARN),
        executionRole: { roleArn: 'arn:aws:iam::111111111111:user/bob' } as any,
      });
      expect(synthErrors(s)).toMatch(/executionRole: .* must be an IAM role name or role ARN/);
    });

    test('accepts tokens everywhere', () => {
      const s = new Stack(new App(), 'Agnostic');
      const param = new ssm.StringParameter(s, 'P', { stringValue: 'ami-12345678' });
      new DistributeImage(s, 'D', {
        source: DistributeImageSource.fromSsmParameter(param),
        distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationName(s, 'C', 'shared'),
      });
      expect(() => Template.fromStack(s)).not.toThrow();
    });
  });
});
