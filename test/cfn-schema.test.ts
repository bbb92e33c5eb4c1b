import * as imagebuilder from '@aws-cdk/aws-imagebuilder-alpha';
import { App, CfnOutput, CustomResource, NestedStack, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ib from 'aws-cdk-lib/aws-imagebuilder';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { buildSchemaIndex, loadSchemaIndex, validateTemplate } from './util/cfn-schema';
// Installs the synth hook in this file even before the coordinator lists it in setupFilesAfterEnv (idempotent).
import { withoutSchemaValidation } from './util/jest-setup';

const DC = 'AWS::ImageBuilder::DistributionConfiguration';
const IC = 'AWS::ImageBuilder::InfrastructureConfiguration';

/** A template with one distribution configuration whose first Distribution is `distribution`. */
function dcTemplate(distribution: Record<string, unknown>, extra: Record<string, unknown> = {}): any {
  return {
    Resources: {
      Dist: { Type: DC, Properties: { Name: 'my-distribution', Distributions: [distribution], ...extra } },
    },
  };
}

/** The same logical stack our constructs make, written in raw L1 with the PascalCase keys CloudFormation wants. */
function l1Stack(stack: Stack): void {
  const role = new iam.CfnRole(stack, 'Role', {
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    },
    managedPolicyArns: [
      stack.formatArn({ service: 'iam', region: '', account: 'aws', resource: 'policy', resourceName: 'EC2InstanceProfileForImageBuilder' }),
    ],
  });
  const profile = new iam.CfnInstanceProfile(stack, 'Profile', { roles: [role.ref] });
  new ib.CfnInfrastructureConfiguration(stack, 'Infra', {
    name: 'infra-config',
    instanceProfileName: profile.ref,
    instanceTypes: ['t3.medium'],
    terminateInstanceOnFailure: true,
    instanceMetadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 2 },
  });
  new ib.CfnDistributionConfiguration(stack, 'Dist', {
    name: 'dist-config',
    distributions: ['us-east-1', 'eu-west-1'].map((region) => ({
      region,
      amiDistributionConfiguration: {
        Name: 'ami-{{ imagebuilder:buildDate }}',
        AmiTags: { Team: 'platform' },
        TargetAccountIds: ['111111111111'],
        LaunchPermissionConfiguration: { UserIds: ['222222222222'] },
      },
    })),
  });
}

describe('validateTemplate (service-spec database)', () => {
  test('the schema index has the Image Builder types and the inner shape of AmiDistributionConfiguration', () => {
    const index = loadSchemaIndex();
    const dist = index.resources[DC];
    expect(Object.keys(dist.props).sort()).toEqual(['Description', 'Distributions', 'Name', 'Tags']);
    const distribution = index.types[dist.props.Distributions.type.element!.reference!.$ref];
    const ami = index.types[distribution.props.AmiDistributionConfiguration.type.reference!.$ref];
    expect(ami.name).toBe('AmiDistributionConfiguration');
    expect(Object.keys(ami.props)).toEqual(expect.arrayContaining(['AmiTags', 'TargetAccountIds', 'LaunchPermissionConfiguration', 'KmsKeyId', 'Name']));
    expect(index.resources[IC].props.InstanceProfileName.required).toBe(true);
  });

  test('the cached index equals one built from db.json.gz', () => {
    const built = buildSchemaIndex();
    const loaded = loadSchemaIndex();
    expect(loaded.version).toBe(built.version);
    expect(loaded.resources[DC]).toEqual(built.resources[DC]);
    expect(Object.keys(loaded.resources).length).toBe(Object.keys(built.resources).length);
  });

  test('a correct raw L1 stack passes', () => {
    const app = new App();
    const stack = new Stack(app, 'L1');
    l1Stack(stack);
    const template = Template.fromStack(stack).toJSON();
    expect(Object.keys(template.Resources)).toHaveLength(4);
    expect(validateTemplate(template)).toEqual([]);
  });

  test('camelCase keys inside AmiDistributionConfiguration fail (aws-cdk-lib types it as any and emits them verbatim)', () => {
    const errors = validateTemplate(dcTemplate({
      Region: 'us-east-1',
      AmiDistributionConfiguration: { name: 'ami', amiTags: { a: 'b' }, targetAccountIds: ['111111111111'] },
    }));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toContain('Resources.Dist (AWS::ImageBuilder::DistributionConfiguration).Properties.Distributions[0].AmiDistributionConfiguration.name: unknown property');
    expect(errors.join('\n')).toContain('AmiDistributionConfiguration.amiTags: unknown property of AmiDistributionConfiguration (did you mean AmiTags?');
    expect(errors.join('\n')).toContain('AmiDistributionConfiguration.targetAccountIds: unknown property of AmiDistributionConfiguration (did you mean TargetAccountIds?');
  });

  test('a camelCase Distribution key and camelCase keys in ContainerDistributionConfiguration fail', () => {
    expect(validateTemplate(dcTemplate({ Region: 'us-east-1', amiDistributionConfiguration: { Name: 'x' } })))
      .toEqual([expect.stringContaining('Distributions[0].amiDistributionConfiguration: unknown property of Distribution (did you mean AmiDistributionConfiguration?')]);
    expect(validateTemplate(dcTemplate({
      Region: 'us-east-1',
      ContainerDistributionConfiguration: { TargetRepository: { service: 'ECR', RepositoryName: 'r' } },
    }))).toEqual([expect.stringContaining('ContainerDistributionConfiguration.TargetRepository.service: unknown property of TargetContainerRepository (did you mean Service?')]);
  });

  test('wrong types fail: scalar for list, list for map, string for boolean, number for string, enum value', () => {
    const errors = validateTemplate({
      Resources: {
        Dist: {
          Type: DC,
          Properties: {
            Name: 42,
            Distributions: [{
              Region: 'us-east-1',
              AmiDistributionConfiguration: { TargetAccountIds: '111111111111', AmiTags: [{ Key: 'a', Value: 'b' }] },
              ContainerDistributionConfiguration: { TargetRepository: { Service: 'DOCKERHUB', RepositoryName: 'r' } },
            }],
          },
        },
        Infra: {
          Type: IC,
          Properties: { Name: 'i', InstanceProfileName: 'p', TerminateInstanceOnFailure: 'yes', InstanceMetadataOptions: { HttpPutResponseHopLimit: 1.5 } },
        },
      },
    });
    expect(errors).toEqual([
      'Resources.Dist (AWS::ImageBuilder::DistributionConfiguration).Properties.Name: expected a string, got number 42',
      expect.stringContaining('AmiDistributionConfiguration.TargetAccountIds: expected a list (list of string), got string "111111111111"'),
      expect.stringContaining('AmiDistributionConfiguration.AmiTags: expected a map (map of string), got a list'),
      expect.stringContaining('TargetRepository.Service: "DOCKERHUB" is not one of "ECR"'),
      expect.stringContaining('Properties.TerminateInstanceOnFailure: expected a boolean, got string "yes"'),
      expect.stringContaining('InstanceMetadataOptions.HttpPutResponseHopLimit: expected an integer, got number 1.5'),
    ]);
  });

  test('missing required properties fail, at top level and nested', () => {
    expect(validateTemplate({ Resources: { Dist: { Type: DC, Properties: { Distributions: [{ AmiDistributionConfiguration: {} }] } } } })).toEqual([
      expect.stringContaining('Properties.Distributions[0].Region: required property of Distribution is missing'),
      expect.stringContaining('Properties.Name: required property of AWS::ImageBuilder::DistributionConfiguration is missing'),
    ]);
    expect(validateTemplate({ Resources: { Infra: { Type: IC } } })).toEqual([
      expect.stringContaining('Properties.InstanceProfileName: required property'),
      expect.stringContaining('Properties.Name: required property'),
    ]);
  });

  test('intrinsics are accepted wherever a value goes', () => {
    const template = {
      Parameters: { Accounts: { Type: 'CommaDelimitedList' }, Env: { Type: 'String' } },
      Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] } },
      Mappings: { M: { 'us-east-1': { Name: 'n' } } },
      Resources: {
        Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: {} } },
        Dist: {
          Type: DC,
          Properties: {
            Name: { 'Fn::Join': ['-', ['dist', { Ref: 'AWS::StackName' }]] },
            Description: { 'Fn::Sub': ['${AWS::Region} ${Key.Arn} ${X}', { X: 'x' }] },
            Tags: { Env: { 'Fn::ImportValue': 'env' }, B64: { 'Fn::Base64': 'x' } },
            Distributions: {
              'Fn::If': ['IsProd', [{ Region: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] } }], [{ Region: 'us-east-1' }]],
            },
          },
        },
        Dist2: {
          Type: DC,
          Properties: {
            Name: { 'Fn::FindInMap': ['M', { Ref: 'AWS::Region' }, 'Name'] },
            Distributions: [{
              Region: { Ref: 'AWS::Region' },
              AmiDistributionConfiguration: {
                TargetAccountIds: { 'Fn::Split': [',', { 'Fn::Join': [',', { Ref: 'Accounts' }] }] },
                KmsKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] },
                Description: { 'Fn::If': ['IsProd', 'prod', { Ref: 'AWS::NoValue' }] },
                AmiTags: { Ref: 'AWS::NoValue' },
              },
            }],
          },
        },
      },
    };
    expect(validateTemplate(template)).toEqual([]);
  });

  test('an Fn::If branch of the wrong type fails', () => {
    expect(validateTemplate(dcTemplate({ Region: 'us-east-1', AmiDistributionConfiguration: { TargetAccountIds: { 'Fn::If': ['C', ['1'], '2'] } } })))
      .toEqual([expect.stringContaining('TargetAccountIds{Fn::If[2]}: expected a list (list of string), got string "2"')]);
  });

  test('references must exist: Ref, GetAtt attribute, Sub, DependsOn', () => {
    const errors = validateTemplate({
      Resources: {
        Key: { Type: 'AWS::KMS::Key', Properties: {} },
        Dist: {
          Type: DC,
          DependsOn: ['Nope'],
          Properties: {
            Name: { Ref: 'Missing' },
            Description: { 'Fn::Sub': '${Key.Nope}' },
            Distributions: [{ Region: 'us-east-1', AmiDistributionConfiguration: { KmsKeyId: { 'Fn::GetAtt': ['Key', 'Nope'] } } }],
          },
        },
      },
      Outputs: { O: { Value: { 'Fn::GetAtt': ['Gone', 'Arn'] } } },
    });
    expect(errors).toEqual([
      expect.stringContaining('.DependsOn: "Nope" is not a resource of the template'),
      expect.stringContaining('Properties.Name: Ref to "Missing"'),
      expect.stringContaining('Fn::Sub ${Key.Nope}: Fn::GetAtt Key.Nope: AWS::KMS::Key has no attribute "Nope"'),
      expect.stringMatching(/KmsKeyId: Fn::GetAtt Key\.Nope: AWS::KMS::Key has no attribute "Nope" \(has: (KeyId, Arn|Arn, KeyId)\)/),
      expect.stringContaining('Outputs.O.Value: Fn::GetAtt names resource "Gone"'),
    ]);
  });

  test('custom resources only need a ServiceToken; unknown types and resource keys fail', () => {
    expect(validateTemplate({ Resources: { C: { Type: 'Custom::Thing', Properties: { ServiceToken: 'arn:x', anything: [1, { a: 2 }] } } } })).toEqual([]);
    expect(validateTemplate({ Resources: { C: { Type: 'AWS::CloudFormation::CustomResource', Properties: { Foo: 1 } } } }))
      .toEqual([expect.stringContaining('Properties.ServiceToken: required property of a custom resource is missing')]);
    expect(validateTemplate({ Resources: { X: { Type: 'AWS::ImageBuilder::DistributionConfig', Properties: {} } } }))
      .toEqual([expect.stringContaining('unknown resource type "AWS::ImageBuilder::DistributionConfig"')]);
    expect(validateTemplate({ Resources: { K: { Type: 'AWS::KMS::Key', Propertes: {} } } }))
      .toEqual([expect.stringContaining('Resources.K (AWS::KMS::Key).Propertes: not a CloudFormation resource attribute')]);
  });
});

describe('every synthesized template is validated (test/util/jest-setup.ts)', () => {
  test('the setup turns aws-cdk-lib\'s CloudFormation Validate warnings into errors', () => {
    expect(new App().node.tryGetContext('@aws-cdk/core:validateAgainstDefaultRules')).toBe(true);
  });

  test('a stack with no resources (imports only) still synthesizes; withoutSchemaValidation switches both validators off', () => {
    const app = new App();
    new Stack(app, 'Empty');
    expect(() => app.synth()).not.toThrow();
    const bad = new App();
    new ib.CfnDistributionConfiguration(new Stack(bad, 'Bad3'), 'Dist', {
      name: 'dist-config',
      distributions: [{ region: 'us-east-1', amiDistributionConfiguration: { amiTags: { a: 'b' } } }],
    });
    expect(withoutSchemaValidation(() => bad.synth()).getStackByName('Bad3').template.Resources.Dist.Type).toBe(DC);
  });

  test('Template.fromStack throws on camelCase AmiDistributionConfiguration keys, naming resource, path and reason', () => {
    const app = new App();
    const stack = new Stack(app, 'Bad');
    new ib.CfnDistributionConfiguration(stack, 'Dist', {
      name: 'dist-config',
      distributions: [{ region: 'us-east-1', amiDistributionConfiguration: { name: 'ami-{{ imagebuilder:buildDate }}', amiTags: { a: 'b' } } }],
    });
    expect(() => Template.fromStack(stack)).toThrow(
      /ERROR Distributions\.0\.AmiDistributionConfiguration\.name: Additional properties are not allowed \('name' was unexpected\. Did you mean 'Name'\?\) \(CloudFormation Validate\)\s+Bad\/Dist/,
    );
  });

  test('with aws-cdk-lib\'s validator off, the service-spec hook alone still fails the synthesis', () => {
    const before = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'false';
    try {
      const app = new App();
      const stack = new Stack(app, 'Bad2');
      const dist = new ib.CfnDistributionConfiguration(stack, 'Dist', {
        name: 'dist-config',
        distributions: [{ region: 'us-east-1', amiDistributionConfiguration: { Name: 'ami-{{ imagebuilder:buildDate }}' } }],
      });
      // An escape hatch writing a wrongly-typed value: aws-cdk-lib checks nothing here.
      dist.addPropertyOverride('Distributions.0.AmiDistributionConfiguration.TargetAccountIds', '111111111111');
      expect(() => app.synth()).toThrow(
        'CloudFormation schema validation failed for stack Bad2 (1 violation(s)):\n'
        + '  - Resources.Dist (AWS::ImageBuilder::DistributionConfiguration).Properties.Distributions[0].AmiDistributionConfiguration.TargetAccountIds: '
        + 'expected a list (list of string), got string "111111111111"',
      );
      expect(withoutSchemaValidation(() => app.synth())).toBeDefined();
    } finally {
      if (before === undefined) delete process.env.CDK_VALIDATION;
      else process.env.CDK_VALIDATION = before;
    }
  });

  test('nested-stack templates are validated too', () => {
    const before = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'false';
    try {
      const app = new App();
      const stack = new Stack(app, 'Parent');
      const nested = new NestedStack(stack, 'Child');
      const infra = new ib.CfnInfrastructureConfiguration(nested, 'Infra', { name: 'i', instanceProfileName: 'p' });
      infra.addPropertyOverride('instanceTypes', ['t3.micro']);
      expect(() => app.synth()).toThrow(/nested stack template .*\.nested\.template\.json[\s\S]*Properties\.instanceTypes: unknown property of AWS::ImageBuilder::InfrastructureConfiguration \(did you mean InstanceTypes\?/);
    } finally {
      if (before === undefined) delete process.env.CDK_VALIDATION;
      else process.env.CDK_VALIDATION = before;
    }
  });

  test('real aws-cdk-lib and alpha constructs pass both validators (no false positives)', () => {
    const app = new App();
    const stack = new Stack(app, 'Good', { env: { account: '111111111111', region: 'us-east-1' } });
    const key = new kms.Key(stack, 'Key');
    const bucket = new s3.Bucket(stack, 'Bucket', { encryptionKey: key });
    const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}') });
    bucket.grantRead(fn);
    const provider = new cr.Provider(stack, 'Provider', { onEventHandler: fn });
    new CustomResource(stack, 'Custom', { serviceToken: provider.serviceToken, properties: { A: 1 } });
    new imagebuilder.InfrastructureConfiguration(stack, 'AlphaInfra', {});
    new imagebuilder.DistributionConfiguration(stack, 'AlphaDist', {
      amiDistributions: [
        { amiName: 'ami-{{ imagebuilder:buildDate }}', amiTags: { a: 'b' }, amiTargetAccountIds: ['222222222222'], amiLaunchPermission: { accountIds: ['333333333333'] } },
        { region: 'eu-west-1', amiName: 'ami-eu-{{ imagebuilder:buildDate }}', amiKmsKey: key },
      ],
    });
    l1Stack(new NestedStack(stack, 'Nested'));
    new CfnOutput(stack, 'Out', { value: fn.functionArn });
    const template = Template.fromStack(stack).toJSON();
    expect(Object.keys(template.Resources).length).toBeGreaterThan(12);
    expect(validateTemplate(template)).toEqual([]);
  });
});
