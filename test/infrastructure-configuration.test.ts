import { App, Aspects, CfnElement, Fn, Lazy, Stack, Tags, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as cxapi from 'aws-cdk-lib/cx-api';
import {
  InfrastructureConfiguration,
  InfrastructureConfigurationProps,
  Tenancy,
} from '../src/infrastructure-configuration';
import { logObjectKeyPattern, renderPlacement } from '../src/private/infrastructure-render';
import { arnResourceName } from '../src/private/validation';

const ENV = { account: '111111111111', region: 'us-east-1' };
const IC_TYPE = 'AWS::ImageBuilder::InfrastructureConfiguration';

function newStack(): Stack {
  return new Stack(new App(), 'Stack', { env: ENV });
}

/** Builds a configuration and returns the messages its synth-time validation reports. */
function errorsOf(props: InfrastructureConfigurationProps | ((stack: Stack) => InfrastructureConfigurationProps)): string[] {
  const stack = newStack();
  const ic = new InfrastructureConfiguration(stack, 'IC', typeof props === 'function' ? props(stack) : props);
  return ic.node.validate();
}

/** The error message synthesizing `stack` fails with ('' when it does not fail, so assertions on it fail clearly). */
function synthMessage(stack: Stack): string {
  try {
    Template.fromStack(stack);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

function icProps(template: Template): Record<string, any> {
  const resources = Object.values(template.findResources(IC_TYPE));
  expect(resources).toHaveLength(1);
  return resources[0].Properties;
}

function twoAzVpc(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
}

/**
 * Every identity-policy statement of the template: AWS::IAM::Policy documents and the inline policies of
 * AWS::IAM::Role. Key policies are read separately by keyPolicyStatements: their Resource is always "*" (the key itself).
 */
function allStatements(template: Template): any[] {
  const fromPolicies = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((r: any) => r.Properties.PolicyDocument.Statement);
  const fromRoles = Object.values(template.findResources('AWS::IAM::Role'))
    .flatMap((r: any) => (r.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement));
  return [...fromPolicies, ...fromRoles];
}

/** Every statement of the KeyPolicy of every AWS::KMS::Key of the template. */
function keyPolicyStatements(template: Template): any[] {
  return Object.values(template.findResources('AWS::KMS::Key')).flatMap((r: any) => r.Properties.KeyPolicy.Statement);
}

/** The only statement aws-cdk-lib puts in a new key's policy: the account may administer the key through IAM. */
const DEFAULT_KEY_STATEMENT = {
  Action: 'kms:*',
  Effect: 'Allow',
  Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] } },
  Resource: '*',
};

describe('defaults', () => {
  const stack = newStack();
  const ic = new InfrastructureConfiguration(stack, 'IC');
  const template = Template.fromStack(stack);

  test('renders IMDSv2 with one hop, terminate on failure, a generated lower-case name and nothing else', () => {
    expect(icProps(template)).toEqual({
      Name: 'stack-ic-ae508675',
      InstanceProfileName: { Ref: 'ICInstanceProfile5135CF7E' },
      InstanceMetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      TerminateInstanceOnFailure: true,
    });
  });

  test('creates a role assumed by EC2 with exactly the two managed policies Image Builder documents', () => {
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } }],
      },
      ManagedPolicyArns: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/EC2InstanceProfileForImageBuilder']] },
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] },
      ],
    });
    template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [{ Ref: 'ICInstanceRoleC03E14AF' }] });
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('creates no security group outside a VPC and exposes the role', () => {
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    expect(ic.securityGroups).toEqual([]);
    expect(ic.connections.securityGroups).toEqual([]);
    expect(ic.connections).toBe(ic.connections);
    expect(ic.subnetId).toBeUndefined();
    expect(ic.role).toBeDefined();
    expect(stack.resolve(ic.role!.roleName)).toEqual({ Ref: 'ICInstanceRoleC03E14AF' });
    expect(ic.logBucket).toBeUndefined();
  });

  test('attributes come from the resource', () => {
    expect(stack.resolve(ic.infrastructureConfigurationArn)).toEqual({ 'Fn::GetAtt': ['IC0F96B561', 'Arn'] });
    expect(stack.resolve(ic.infrastructureConfigurationName)).toEqual({ 'Fn::GetAtt': ['IC0F96B561', 'Name'] });
    expect(ic.node.validate()).toEqual([]);
  });
});

test('snapshot of a realistic stack', () => {
  const stack = newStack();
  const vpc = twoAzVpc(stack);
  const bucket = new s3.Bucket(stack, 'Logs', { encryption: s3.BucketEncryption.KMS, enforceSSL: true });
  const topic = new sns.Topic(stack, 'Builds');
  const ic = new InfrastructureConfiguration(stack, 'IC', {
    infrastructureConfigurationName: 'golden-ami-builds',
    description: 'Builds of the golden AMI',
    instanceTypes: [ec2.InstanceType.of(ec2.InstanceClass.M7I, ec2.InstanceSize.LARGE), new ec2.InstanceType('m6i.large')],
    vpc,
    subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: [vpc.availabilityZones[1]] },
    logging: { s3Bucket: bucket, s3KeyPrefix: 'image-builder' },
    notificationTopic: topic,
    tags: { team: 'platform' },
    resourceTags: { purpose: 'image-build' },
  });
  ic.role!.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchAgentServerPolicy'));
  expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
});

describe('props', () => {
  test('name, description, instance types, key pair, topic, terminate, tags and resource tags', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    new InfrastructureConfiguration(stack, 'IC', {
      infrastructureConfigurationName: 'My Builds_1',
      description: 'desc',
      instanceTypes: [ec2.InstanceType.of(ec2.InstanceClass.C7G, ec2.InstanceSize.XLARGE)],
      keyPair: ec2.KeyPair.fromKeyPairName(stack, 'Key', 'debug-key'),
      notificationTopic: topic,
      terminateInstanceOnFailure: false,
      tags: { a: '1' },
      resourceTags: { b: '2' },
    });
    const props = icProps(Template.fromStack(stack));
    expect(props).toMatchObject({
      Name: 'My Builds_1',
      Description: 'desc',
      InstanceTypes: ['c7g.xlarge'],
      KeyPair: 'debug-key',
      SnsTopicArn: { Ref: 'TopicBFC7AF6E' },
      TerminateInstanceOnFailure: false,
      Tags: { a: '1' },
      ResourceTags: { b: '2' },
    });
    // The instance role does not publish: Image Builder does, with its service-linked role.
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('an encrypted topic warns about the key policy Image Builder needs', () => {
    const stack = newStack();
    new InfrastructureConfiguration(stack, 'IC', { notificationTopic: new sns.Topic(stack, 'T', { masterKey: new kms.Key(stack, 'K') }) });
    Annotations.fromStack(stack).hasWarning('/Stack/IC', Match.stringLikeRegexp('AWSServiceRoleForImageBuilder kms:GenerateDataKey'));
    // Nothing is granted to the instance role: it does not publish.
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('Tags.of adds to the tags of the configuration', () => {
    const stack = newStack();
    new InfrastructureConfiguration(stack, 'IC', { tags: { a: '1' } });
    Tags.of(stack).add('cost-center', '42');
    expect(icProps(Template.fromStack(stack)).Tags).toEqual({ 'a': '1', 'cost-center': '42' });
  });

  test('instance metadata options', () => {
    const stack = newStack();
    new InfrastructureConfiguration(stack, 'IC', { httpTokens: ec2.HttpTokens.OPTIONAL, httpPutResponseHopLimit: 64 });
    expect(icProps(Template.fromStack(stack)).InstanceMetadataOptions).toEqual({ HttpTokens: 'optional', HttpPutResponseHopLimit: 64 });
  });

  test('container builds add the ECR managed policy and two hops', () => {
    const stack = newStack();
    new InfrastructureConfiguration(stack, 'IC', { containerBuilds: true });
    const template = Template.fromStack(stack);
    expect(icProps(template).InstanceMetadataOptions).toEqual({ HttpTokens: 'required', HttpPutResponseHopLimit: 2 });
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.arrayWith([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/EC2InstanceProfileForImageBuilderECRContainerBuilds']] },
      ]),
    });
    expect((Object.values(template.findResources('AWS::IAM::Role'))[0] as any).Properties.ManagedPolicyArns).toHaveLength(3);
  });

  test('placement renders every field', () => {
    const stack = newStack();
    new InfrastructureConfiguration(stack, 'IC', {
      placement: { availabilityZone: 'us-east-1a', tenancy: Tenancy.HOST, hostId: 'h-0123456789abcdef0' },
    });
    expect(icProps(Template.fromStack(stack)).Placement).toEqual({
      AvailabilityZone: 'us-east-1a', Tenancy: 'host', HostId: 'h-0123456789abcdef0',
    });
  });

  test('placement with a host resource group', () => {
    const stack = newStack();
    const arn = 'arn:aws:resource-groups:us-east-1:111111111111:group/my-hosts';
    const ic = new InfrastructureConfiguration(stack, 'IC', { placement: { tenancy: Tenancy.HOST, hostResourceGroupArn: arn } });
    expect(icProps(Template.fromStack(stack)).Placement).toEqual({ Tenancy: 'host', HostResourceGroupArn: arn });
    expect(ic.node.validate()).toEqual([]);
  });

  test('an empty placement renders nothing', () => {
    const stack = newStack();
    new InfrastructureConfiguration(stack, 'IC', { placement: {} });
    expect(icProps(Template.fromStack(stack)).Placement).toBeUndefined();
    expect(renderPlacement(undefined)).toBeUndefined();
  });
});

describe('instance profile and role', () => {
  test('a given role gets an instance profile and no managed policies', () => {
    const stack = newStack();
    const role = new iam.Role(stack, 'MyRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const ic = new InfrastructureConfiguration(stack, 'IC', { role });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [{ Ref: 'MyRoleF48FFE04' }] });
    expect(ic.role).toBe(role);
  });

  test('an imported profile is used as is; its unknown role is undefined', () => {
    const stack = newStack();
    const profile = iam.InstanceProfile.fromInstanceProfileName(stack, 'Profile', 'existing-profile');
    const ic = new InfrastructureConfiguration(stack, 'IC', { instanceProfile: profile });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Role', 0);
    template.resourceCountIs('AWS::IAM::InstanceProfile', 0);
    expect(icProps(template).InstanceProfileName).toEqual('existing-profile');
    expect(ic.role).toBeUndefined();
    expect(ic.instanceProfile).toBe(profile);
  });

  test('logging with a profile of unknown role warns that nothing could be granted', () => {
    const stack = newStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'log-bucket');
    new InfrastructureConfiguration(stack, 'IC', {
      instanceProfile: iam.InstanceProfile.fromInstanceProfileName(stack, 'Profile', 'existing-profile'),
      logging: { s3Bucket: bucket },
    });
    Annotations.fromStack(stack).hasWarning('/Stack/IC', Match.stringLikeRegexp('could not be granted'));
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('logging with a profile imported with its role grants to that role', () => {
    const stack = newStack();
    const role = iam.Role.fromRoleName(stack, 'Role', 'builder-role');
    const profile = iam.InstanceProfile.fromInstanceProfileAttributes(stack, 'Profile', {
      instanceProfileArn: 'arn:aws:iam::111111111111:instance-profile/builder', role,
    });
    const ic = new InfrastructureConfiguration(stack, 'IC', {
      instanceProfile: profile,
      logging: { s3Bucket: s3.Bucket.fromBucketName(stack, 'B', 'log-bucket'), s3KeyPrefix: 'x' },
    });
    expect(ic.role).toBe(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['builder-role'],
      PolicyDocument: {
        Statement: [{
          Action: 's3:PutObject',
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::log-bucket/x/*']] },
        }],
      },
    });
  });
});

describe('default role: plain CloudFormation resources until read', () => {
  type Setup = { name: string; context?: Record<string, any>; env?: { account?: string; region?: string }; containerBuilds?: boolean };
  const SETUPS: Setup[] = [
    { name: 'no feature flags, environment-agnostic stack' },
    { name: 'recommended feature flags, us-east-1', context: cxapi.CURRENTLY_RECOMMENDED_FLAGS, env: ENV },
    { name: 'recommended feature flags, China partition, container builds', context: cxapi.CURRENTLY_RECOMMENDED_FLAGS, env: { account: '111111111111', region: 'cn-north-1' }, containerBuilds: true },
    { name: 'no feature flags, GovCloud, container builds', env: { account: '111111111111', region: 'us-gov-west-1' }, containerBuilds: true },
  ];

  /** A stack with the construct, a tag and a permissions boundary (both applied by aspects); `read` reads `role`. */
  function synthDefault(setup: Setup, read: boolean): { template: Record<string, any>; ic: InfrastructureConfiguration } {
    const stack = new Stack(new App({ context: setup.context }), 'Stack', { env: setup.env });
    const ic = new InfrastructureConfiguration(stack, 'IC', { containerBuilds: setup.containerBuilds });
    if (read) expect(ic.role).toBeDefined();
    Tags.of(ic).add('team', 'platform');
    iam.PermissionsBoundary.of(stack).apply(iam.ManagedPolicy.fromManagedPolicyName(stack, 'Boundary', 'boundary'));
    return { template: Template.fromStack(stack).toJSON(), ic };
  }

  test.each(SETUPS)('renders the template iam.Role and iam.InstanceProfile render ($name)', (setup) => {
    const unread = synthDefault(setup, false);
    const read = synthDefault(setup, true);
    expect(unread.template).toEqual(read.template);
    // Not a vacuous comparison: the unread construct really has no L2 role, the read one has.
    expect(unread.ic.node.findChild('InstanceRole')).not.toBeInstanceOf(iam.Role);
    expect(read.ic.node.findChild('InstanceRole')).toBeInstanceOf(iam.Role);
    expect(read.ic.node.findChild('InstanceProfile')).toBeInstanceOf(iam.InstanceProfile);
    const roles = Object.values(unread.template.Resources).filter((r: any) => r.Type === 'AWS::IAM::Role') as any[];
    expect(roles).toHaveLength(1);
    expect(roles[0].Properties.PermissionsBoundary).toBeDefined();
    expect(roles[0].Properties.Tags).toEqual([{ Key: 'team', Value: 'platform' }]);
    expect(roles[0].Properties.ManagedPolicyArns).toHaveLength(setup.containerBuilds ? 3 : 2);
  });

  test('reading role or instanceProfile later swaps in the L2s once, at the same logical IDs, and grants land on them', () => {
    const unread = Template.fromStack((() => {
      const stack = newStack();
      new InfrastructureConfiguration(stack, 'IC');
      return stack;
    })()).toJSON();
    const stack = newStack();
    const ic = new InfrastructureConfiguration(stack, 'IC');
    const profile = ic.instanceProfile;
    expect(ic.instanceProfile).toBe(profile);
    expect(ic.role).toBe(profile.role);
    expect(ic.role).toBeInstanceOf(iam.Role);
    ic.role!.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::components/*'] }));
    expect(ic.node.children.map(c => c.node.id).sort()).toEqual(['InstanceProfile', 'InstanceRole', 'Resource']);
    const read = Template.fromStack(stack);
    expect(Object.keys(read.toJSON().Resources).sort())
      .toEqual([...Object.keys(unread.Resources), 'ICInstanceRoleDefaultPolicyA57B2E1F'].sort());
    expect(stack.resolve(ic.role!.roleName)).toEqual({ Ref: 'ICInstanceRoleC03E14AF' });
    expect(icProps(read).InstanceProfileName).toEqual({ Ref: 'ICInstanceProfile5135CF7E' });
    read.hasResourceProperties('AWS::IAM::Policy', { Roles: [{ Ref: 'ICInstanceRoleC03E14AF' }] });
  });

  test('escape hatches: the CfnRole is the child InstanceRole before the first read, the role\'s defaultChild after it', () => {
    const stack = newStack();
    const ic = new InfrastructureConfiguration(stack, 'IC');
    const before = ic.node.findChild('InstanceRole');
    expect(before).toBeInstanceOf(iam.CfnRole);
    const after = ic.role!.node.defaultChild as iam.CfnRole;
    expect(after).toBeInstanceOf(iam.CfnRole);
    expect(after).not.toBe(before);
    expect(ic.node.findChild('InstanceRole')).toBe(ic.role);
    after.addPropertyOverride('MaxSessionDuration', 7200);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { MaxSessionDuration: 7200 });
  });

  /** Synthesizes a default configuration in `makeStack`'s stack with the role unread and read; returns both templates. */
  function bothStates(makeStack: (app: App) => Stack = app => new Stack(app, 'Stack', { env: ENV })): [Record<string, any>, Record<string, any>] {
    return [false, true].map(read => {
      const stack = makeStack(new App());
      const ic = new InfrastructureConfiguration(stack, 'IC');
      if (read) expect(ic.role).toBeDefined();
      return Template.fromStack(stack).toJSON();
    }) as [Record<string, any>, Record<string, any>];
  }

  test('Stack.renameLogicalId of the role and profile applies in both states, also when called after the first read', () => {
    const [unread, read] = bothStates();
    expect(Object.keys(read.Resources).sort()).toEqual(['IC0F96B561', 'ICInstanceProfile5135CF7E', 'ICInstanceRoleC03E14AF']);
    expect(read).toEqual(unread);
    const renamed = (app: App) => {
      const stack = new Stack(app, 'Stack', { env: ENV });
      stack.renameLogicalId('ICInstanceRoleC03E14AF', 'BuilderRole');
      stack.renameLogicalId('ICInstanceProfile5135CF7E', 'BuilderProfile');
      return stack;
    };
    const [unreadRenamed, readRenamed] = bothStates(renamed);
    expect(readRenamed).toEqual(unreadRenamed);
    expect(Object.keys(readRenamed.Resources).sort()).toEqual(['BuilderProfile', 'BuilderRole', 'IC0F96B561']);
    expect(readRenamed.Resources.BuilderProfile.Properties.Roles).toEqual([{ Ref: 'BuilderRole' }]);

    // A rename registered after the L2s were swapped in still applies: the ID is allocated at synthesis.
    const stack = newStack();
    const ic = new InfrastructureConfiguration(stack, 'IC');
    expect(stack.resolve(ic.role!.roleName)).toEqual({ Ref: 'ICInstanceRoleC03E14AF' });
    stack.renameLogicalId('ICInstanceRoleC03E14AF', 'LateRole');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [{ Ref: 'LateRole' }] });
  });

  test('a custom allocateLogicalId gets the same element path in both states', () => {
    class PathIds extends Stack {
      protected allocateLogicalId(element: CfnElement): string {
        return element.node.path.replace(/[^A-Za-z0-9]/g, '');
      }
    }
    const [unread, read] = bothStates(app => new PathIds(app, 'PathIds', { env: ENV }));
    expect(read).toEqual(unread);
    expect(Object.keys(unread.Resources).sort()).toEqual(['PathIdsICInstanceProfile', 'PathIdsICInstanceRole', 'PathIdsICResource']);
  });

  test('an aspect may read the role: the L2 it gets is synthesized with what the aspect adds', () => {
    const stack = newStack();
    new InfrastructureConfiguration(stack, 'IC');
    Aspects.of(stack).add({
      visit(node) {
        if (node instanceof InfrastructureConfiguration) node.role!.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchAgentServerPolicy'));
      },
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.arrayWith([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/CloudWatchAgentServerPolicy']] }]),
    });
  });

  test('with iam.Role.customizeRoles the L2 role is created from the start, so it is not synthesized', () => {
    const stack = newStack();
    iam.Role.customizeRoles(stack, { usePrecreatedRoles: { 'IC/InstanceRole': 'precreated-builder' } });
    const ic = new InfrastructureConfiguration(stack, 'IC');
    expect(ic.node.findChild('InstanceRole')).toBeInstanceOf(iam.Role);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Role', 0);
    template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: ['precreated-builder'] });
  });

  test('logging needs the role at construction, so it starts as an L2, with the logical IDs of the default', () => {
    const stack = newStack();
    const ic = new InfrastructureConfiguration(stack, 'IC', { logging: { s3Bucket: s3.Bucket.fromBucketName(stack, 'B', 'logs') } });
    expect(ic.node.findChild('InstanceRole')).toBeInstanceOf(iam.Role);
    // Turning logging on later updates the role; it does not replace it.
    const resources = Template.fromStack(stack).toJSON().Resources;
    expect(resources.ICInstanceRoleC03E14AF.Type).toBe('AWS::IAM::Role');
    expect(resources.ICInstanceProfile5135CF7E.Properties.Roles).toEqual([{ Ref: 'ICInstanceRoleC03E14AF' }]);
  });

  test('with iam.Role.customizeRoles that only reports, the role keeps the logical ID of the default', () => {
    const stack = newStack();
    iam.Role.customizeRoles(stack, { preventSynthesis: false });
    const ic = new InfrastructureConfiguration(stack, 'IC');
    expect(ic.node.findChild('InstanceRole')).toBeInstanceOf(iam.Role);
    expect(Template.fromStack(stack).toJSON().Resources.ICInstanceRoleC03E14AF.Type).toBe('AWS::IAM::Role');
  });
});

describe('S3 logging grant', () => {
  function loggingPolicy(prefix: string | undefined): any[] {
    const stack = newStack();
    new InfrastructureConfiguration(stack, 'IC', {
      logging: { s3Bucket: s3.Bucket.fromBucketName(stack, 'B', 'log-bucket'), s3KeyPrefix: prefix },
    });
    const template = Template.fromStack(stack);
    expect(icProps(template).Logging).toEqual({ S3Logs: prefix === undefined ? { S3BucketName: 'log-bucket' } : { S3BucketName: 'log-bucket', S3KeyPrefix: prefix } });
    return allStatements(template);
  }
  const objects = (key: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::log-bucket/${key}`]] });

  test('grants s3:PutObject on exactly the objects under the prefix', () => {
    expect(loggingPolicy('builds')).toEqual([{ Action: 's3:PutObject', Effect: 'Allow', Resource: objects('builds/*') }]);
  });

  test('a trailing slash does not double', () => {
    expect(loggingPolicy('builds/')).toEqual([{ Action: 's3:PutObject', Effect: 'Allow', Resource: objects('builds/*') }]);
  });

  test('without prefix, the objects of the whole bucket', () => {
    expect(loggingPolicy(undefined)).toEqual([{ Action: 's3:PutObject', Effect: 'Allow', Resource: objects('*') }]);
  });

  test('a KMS-encrypted bucket adds exactly GenerateDataKey and Decrypt on its key', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const bucket = new s3.Bucket(stack, 'B', { encryptionKey: key });
    const ic = new InfrastructureConfiguration(stack, 'IC', { logging: { s3Bucket: bucket, s3KeyPrefix: 'logs' } });
    expect(ic.logBucket).toBe(bucket);
    const template = Template.fromStack(stack);
    expect(allStatements(template)).toEqual([
      { Action: 's3:PutObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['B08E7C7AF', 'Arn'] }, '/logs/*']] } },
      { Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Effect: 'Allow', Resource: { 'Fn::GetAtt': ['Key961B73FD', 'Arn'] } },
    ]);
    // The grant goes to the role's policy only: the key policy is left as aws-cdk-lib creates it.
    expect(keyPolicyStatements(template)).toEqual([DEFAULT_KEY_STATEMENT]);
  });

  test('key pattern helper', () => {
    expect(logObjectKeyPattern(undefined)).toBe('*');
    expect(logObjectKeyPattern('')).toBe('*');
    expect(logObjectKeyPattern('/')).toBe('*');
    expect(logObjectKeyPattern('a/b//')).toBe('a/b/*');
    const token = Lazy.string({ produce: () => 'p' });
    expect(logObjectKeyPattern(token)).toBe(`${token}/*`);
  });
});

test('no IAM statement of a full configuration has Resource "*"', () => {
  const stack = newStack();
  const vpc = twoAzVpc(stack);
  const ic = new InfrastructureConfiguration(stack, 'IC', {
    vpc,
    subnetSelection: { subnets: [vpc.privateSubnets[0]] },
    logging: { s3Bucket: new s3.Bucket(stack, 'B', { encryption: s3.BucketEncryption.KMS }), s3KeyPrefix: 'l' },
    notificationTopic: new sns.Topic(stack, 'T'),
    containerBuilds: true,
  });
  ic.grantRead(new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() }));
  const template = Template.fromStack(stack);
  const statements = allStatements(template);
  expect(statements.length).toBeGreaterThanOrEqual(3);
  for (const s of statements) {
    expect([s.Resource].flat()).not.toContain('*');
  }
  // Key policies say "*" for the key itself; the construct adds nothing to them.
  expect(keyPolicyStatements(template)).toEqual([DEFAULT_KEY_STATEMENT]);
});

describe('network', () => {
  test('a VPC alone: a security group with no inbound rules and the first private subnet', () => {
    const stack = newStack();
    const vpc = twoAzVpc(stack);
    const ic = new InfrastructureConfiguration(stack, 'IC', { vpc });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'EC2 Image Builder build and test instances: no inbound rules',
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', Description: 'Allow all outbound traffic by default', IpProtocol: '-1' }],
      VpcId: { Ref: 'Vpc8378EB38' },
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    expect(icProps(template)).toMatchObject({
      SubnetId: { Ref: 'VpcPrivateSubnet1Subnet536B997A' },
      SecurityGroupIds: [{ 'Fn::GetAtt': ['ICSecurityGroup6D90F2D1', 'GroupId'] }],
    });
    expect(ic.securityGroups).toHaveLength(1);
    expect(ic.connections.securityGroups).toEqual(ic.securityGroups);
    expect(stack.resolve(ic.subnetId)).toEqual({ Ref: 'VpcPrivateSubnet1Subnet536B997A' });
  });

  test('connections open ports on the created security group', () => {
    const stack = newStack();
    const ic = new InfrastructureConfiguration(stack, 'IC', { vpc: twoAzVpc(stack) });
    ic.connections.allowFrom(ec2.Peer.ipv4('10.1.0.0/16'), ec2.Port.tcp(22));
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.1.0.0/16', FromPort: 22, ToPort: 22 })],
    });
  });

  test('without subnetSelection, the subnet in the placement zone is picked', () => {
    const stack = newStack();
    const vpc = twoAzVpc(stack);
    const ic = new InfrastructureConfiguration(stack, 'IC', { vpc, placement: { availabilityZone: vpc.availabilityZones[1] } });
    expect(icProps(Template.fromStack(stack)).SubnetId).toEqual({ Ref: 'VpcPrivateSubnet2Subnet3788AAA1' });
    expect(ic.node.validate()).toEqual([]);
  });

  test('an explicit selection of one subnet', () => {
    const stack = newStack();
    const vpc = twoAzVpc(stack);
    new InfrastructureConfiguration(stack, 'IC', { vpc, subnetSelection: { subnetType: ec2.SubnetType.PUBLIC, availabilityZones: [vpc.availabilityZones[1]] } });
    expect(icProps(Template.fromStack(stack)).SubnetId).toEqual({ Ref: 'VpcPublicSubnet2Subnet691E08A3' });
  });

  test('given security groups are used and none is created', () => {
    const stack = newStack();
    const vpc = twoAzVpc(stack);
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    const ic = new InfrastructureConfiguration(stack, 'IC', { vpc, securityGroups: [sg] });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    expect(icProps(template).SecurityGroupIds).toEqual([{ 'Fn::GetAtt': ['SgD4954771', 'GroupId'] }]);
    expect(ic.securityGroups).toEqual([sg]);
  });

  test('imported security groups without a VPC are allowed (default VPC)', () => {
    const stack = newStack();
    const sg = ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-12345678');
    const ic = new InfrastructureConfiguration(stack, 'IC', { securityGroups: [sg] });
    expect(icProps(Template.fromStack(stack))).toMatchObject({ SecurityGroupIds: ['sg-12345678'] });
    expect(icProps(Template.fromStack(stack)).SubnetId).toBeUndefined();
    expect(ic.node.validate()).toEqual([]);
  });

  test('an imported VPC whose subnets have no known zone', () => {
    const stack = newStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-0123456789abcdef1'],
    });
    const subnet = ec2.Subnet.fromSubnetId(stack, 'S', 'subnet-0123456789abcdef9');
    const ic = new InfrastructureConfiguration(stack, 'IC', {
      vpc, subnetSelection: { subnets: [subnet] }, placement: { availabilityZone: 'us-east-1b' },
    });
    expect(icProps(Template.fromStack(stack)).SubnetId).toEqual('subnet-0123456789abcdef9');
    expect(ic.node.validate()).toEqual([]);
  });
});

describe('grants and imports', () => {
  test('grantRead allows GetInfrastructureConfiguration on the ARN only', () => {
    const stack = newStack();
    const ic = new InfrastructureConfiguration(stack, 'IC');
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    ic.grantRead(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: 'ReaderF7BF189D' }],
      PolicyDocument: {
        Statement: [{ Action: 'imagebuilder:GetInfrastructureConfiguration', Effect: 'Allow', Resource: { 'Fn::GetAtt': ['IC0F96B561', 'Arn'] } }],
      },
    });
  });

  test('fromInfrastructureConfigurationArn', () => {
    const stack = newStack();
    const arn = 'arn:aws:imagebuilder:us-east-1:111111111111:infrastructure-configuration/my-config';
    const imported = InfrastructureConfiguration.fromInfrastructureConfigurationArn(stack, 'Imported', arn);
    expect(imported.infrastructureConfigurationArn).toBe(arn);
    expect(imported.infrastructureConfigurationName).toBe('my-config');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    imported.grant(role, 'imagebuilder:UpdateInfrastructureConfiguration', 'imagebuilder:DeleteInfrastructureConfiguration');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{
          Action: ['imagebuilder:UpdateInfrastructureConfiguration', 'imagebuilder:DeleteInfrastructureConfiguration'],
          Effect: 'Allow',
          Resource: arn,
        }],
      },
    });
  });

  test('grants use no deprecated aws-cdk-lib API (JSII_DEPRECATED=fail would throw)', () => {
    const stack = newStack();
    const ic = new InfrastructureConfiguration(stack, 'IC');
    const imported = InfrastructureConfiguration.fromInfrastructureConfigurationName(stack, 'Imported', 'shared');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    const previous = process.env.JSII_DEPRECATED;
    process.env.JSII_DEPRECATED = 'fail';
    try {
      expect(() => ic.grantRead(role)).not.toThrow();
      expect(() => ic.grant(role, 'imagebuilder:UpdateInfrastructureConfiguration')).not.toThrow();
      expect(() => imported.grantRead(role)).not.toThrow();
    } finally {
      if (previous === undefined) delete process.env.JSII_DEPRECATED;
      else process.env.JSII_DEPRECATED = previous;
    }
  });

  test('fromInfrastructureConfigurationArn takes the account and Region from the ARN', () => {
    const stack = newStack();
    const imported = InfrastructureConfiguration.fromInfrastructureConfigurationArn(stack, 'Imported',
      'arn:aws:imagebuilder:eu-west-1:222222222222:infrastructure-configuration/shared');
    expect(imported.env.account).toBe('222222222222');
    expect(imported.env.region).toBe('eu-west-1');
    expect(imported.node.validate()).toEqual([]);
  });

  test('fromInfrastructureConfigurationArn accepts a token', () => {
    const stack = newStack();
    const arn = Token.asString(Lazy.string({ produce: () => 'not-an-arn' }));
    const imported = InfrastructureConfiguration.fromInfrastructureConfigurationArn(stack, 'Imported', arn);
    expect(Token.isUnresolved(imported.infrastructureConfigurationName)).toBe(true);
    expect(imported.node.validate()).toEqual([]);
  });

  test('fromInfrastructureConfigurationArn rejects a malformed ARN at synth', () => {
    const stack = newStack();
    const imported = InfrastructureConfiguration.fromInfrastructureConfigurationArn(stack, 'Imported',
      'arn:aws:imagebuilder:us-east-1:111111111111:distribution-configuration/golden');
    expect(imported.node.validate()).toEqual([
      'infrastructureConfigurationArn: "arn:aws:imagebuilder:us-east-1:111111111111:distribution-configuration/golden" is invalid; '
      + 'must be an Image Builder infrastructure configuration ARN such as '
      + '"arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/my-config"',
    ]);
    expect(() => Template.fromStack(stack)).toThrow(/Stack\/Imported[\s\S]*infrastructureConfigurationArn: .* is invalid/);
  });

  test('fromInfrastructureConfigurationArn does not throw for a string that is not an ARN, and fails at synth', () => {
    const stack = newStack();
    let imported: any;
    expect(() => {
      imported = InfrastructureConfiguration.fromInfrastructureConfigurationArn(stack, 'Imported', 'not-an-arn');
    }).not.toThrow();
    expect(imported.infrastructureConfigurationName).toBe('not-an-arn');
    expect(imported.env.account).toBe(ENV.account);
    const message = synthMessage(stack);
    expect(message).toContain('Validation failed');
    expect(message).toContain('infrastructureConfigurationArn: "not-an-arn" is invalid; must be an Image Builder infrastructure configuration ARN');
    expect(message).not.toMatch(/ARNs must/);
  });

  test('fromInfrastructureConfigurationName rejects an invalid name at synth', () => {
    const stack = newStack();
    const imported = InfrastructureConfiguration.fromInfrastructureConfigurationName(stack, 'Imported', 'bad/name');
    expect(imported.node.validate()).toEqual([
      'infrastructureConfigurationName: "bad/name" is invalid; must be 3 to 128 characters of letters, digits, hyphens, '
      + 'underscores and spaces, not starting or ending with a space',
    ]);
    const valid = InfrastructureConfiguration.fromInfrastructureConfigurationName(stack, 'Valid', 'My_Config Name');
    expect(valid.node.validate()).toEqual([]);
    expect(stack.resolve(valid.infrastructureConfigurationArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':imagebuilder:us-east-1:111111111111:infrastructure-configuration/my-config-name']],
    });
  });

  test('fromInfrastructureConfigurationName normalizes the name in the ARN', () => {
    const stack = newStack();
    const imported = InfrastructureConfiguration.fromInfrastructureConfigurationName(stack, 'Imported', 'My Config_1');
    expect(imported.infrastructureConfigurationName).toBe('My Config_1');
    expect(stack.resolve(imported.infrastructureConfigurationArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':imagebuilder:us-east-1:111111111111:infrastructure-configuration/my-config-1']],
    });
  });

  test('the ARN seen from another environment uses the normalized name', () => {
    const app = new App();
    const producer = new Stack(app, 'Producer', { env: ENV });
    const consumer = new Stack(app, 'Consumer', { env: { account: '222222222222', region: 'eu-west-1' } });
    const ic = new InfrastructureConfiguration(producer, 'IC', { infrastructureConfigurationName: 'Golden Builds' });
    expect(consumer.resolve(ic.infrastructureConfigurationArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':imagebuilder:us-east-1:111111111111:infrastructure-configuration/golden-builds']],
    });
  });

  test('name normalization (shared with DistributionConfiguration) leaves tokens alone', () => {
    const token = Lazy.string({ produce: () => 'X' });
    expect(arnResourceName(token)).toBe(token);
    expect(arnResourceName('A b_C')).toBe('a-b-c');
    expect(arnResourceName('My_Config Name')).toBe('my-config-name');
  });
});

describe('validation', () => {
  test('errors fail the synth with the construct path', () => {
    const stack = newStack();
    new InfrastructureConfiguration(stack, 'IC', { httpPutResponseHopLimit: 0 });
    expect(() => Template.fromStack(stack)).toThrow(/Stack\/IC[\s\S]*httpPutResponseHopLimit: 0 is invalid; must be an integer from 1 to 64/);
  });

  test('every problem is reported at once', () => {
    const errors = errorsOf({
      httpPutResponseHopLimit: 100,
      placement: { hostId: 'h-0123456789abcdef0', hostResourceGroupArn: 'arn:aws:resource-groups:us-east-1:111111111111:group/g' },
      tags: { 'aws:reserved': 'x' },
      description: '',
    });
    expect(errors).toHaveLength(6);
  });

  test.each<[string, InfrastructureConfigurationProps, RegExp]>([
    ['name too short', { infrastructureConfigurationName: 'ab' }, /^infrastructureConfigurationName: "ab" is invalid; must be 3 to 128 characters/],
    ['name with invalid characters', { infrastructureConfigurationName: 'my.config' }, /^infrastructureConfigurationName: "my.config" is invalid/],
    ['name with a trailing space', { infrastructureConfigurationName: 'config ' }, /^infrastructureConfigurationName: "config " is invalid/],
    ['name too long', { infrastructureConfigurationName: 'a'.repeat(129) }, /^infrastructureConfigurationName: "a+\.\.\. is invalid/],
    ['empty description', { description: '' }, /^description: "" is invalid; must be 1 to 1024 characters long \(got 0\)/],
    ['description too long', { description: 'd'.repeat(1025) }, /^description: .* must be 1 to 1024 characters long \(got 1025\)/],
    ['empty instance types', { instanceTypes: [] }, /^instanceTypes: must not be an empty list; omit it instead/],
    ['duplicate instance types', { instanceTypes: [new ec2.InstanceType('m5.large'), new ec2.InstanceType('m5.large')] }, /^instanceTypes: "m5.large" is invalid; each value may appear only once/],
    ['hop limit too low', { httpPutResponseHopLimit: 0 }, /^httpPutResponseHopLimit: 0 is invalid; must be an integer from 1 to 64/],
    ['hop limit too high', { httpPutResponseHopLimit: 65 }, /^httpPutResponseHopLimit: 65 is invalid; must be an integer from 1 to 64/],
    ['hop limit not an integer', { httpPutResponseHopLimit: 1.5 }, /^httpPutResponseHopLimit: 1.5 is invalid/],
    ['container builds with IMDSv2 and one hop', { containerBuilds: true, httpPutResponseHopLimit: 1 }, /^httpPutResponseHopLimit: 1 is invalid; container builds with httpTokens "required" need at least 2 hops/],
    ['hostId with hostResourceGroupArn', {
      placement: { tenancy: Tenancy.HOST, hostId: 'h-0123456789abcdef0', hostResourceGroupArn: 'arn:aws:resource-groups:us-east-1:111111111111:group/g' },
    }, /^placement: hostId and hostResourceGroupArn exclude each other/],
    ['hostId without tenancy', { placement: { hostId: 'h-0123456789abcdef0' } }, /^placement.tenancy: undefined is invalid; must be Tenancy.HOST when hostId is given/],
    ['hostResourceGroupArn with dedicated tenancy', {
      placement: { tenancy: Tenancy.DEDICATED, hostResourceGroupArn: 'arn:aws:resource-groups:us-east-1:111111111111:group/g' },
    }, /^placement.tenancy: "dedicated" is invalid; must be Tenancy.HOST when hostResourceGroupArn is given/],
    ['malformed hostId', { placement: { tenancy: Tenancy.HOST, hostId: 'i-123' } }, /^placement.hostId: "i-123" is invalid; must be a Dedicated Host ID/],
    ['malformed host resource group ARN', { placement: { tenancy: Tenancy.HOST, hostResourceGroupArn: 'my-group' } }, /^placement.hostResourceGroupArn: "my-group" is invalid/],
    ['empty availability zone', { placement: { availabilityZone: '' } }, /^placement.availabilityZone: "" is invalid; must be 1 to 1024 characters/],
    ['reserved tag key', { tags: { 'aws:x': 'v' } }, /^tags.aws:x: "aws:x" is invalid; tag keys must not start with the reserved prefix "aws:"/],
    ['tag value too long', { resourceTags: { k: 'v'.repeat(257) } }, /^resourceTags.k: .* tag values must be at most 256 characters long/],
    ['more than 30 resource tags', { resourceTags: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, 'v'])) }, /^resourceTags: has 31 tags; at most 30 are allowed/],
    ['more than 50 tags', { tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }, /^tags: has 51 tags; at most 50 are allowed/],
    ['empty tags', { tags: {} }, /^tags: \{\} is invalid; must have at least one tag, or be left out$/],
    ['empty resource tags', { resourceTags: {} }, /^resourceTags: \{\} is invalid; must have at least one tag, or be left out$/],
    ['tag key too long', { tags: { ['k'.repeat(129)]: 'v' } }, /^tags\.k{129}: "k+\.\.\. is invalid; tag keys must be 1 to 128 characters long \(got 129\)$/],
    ['resource tag key too long', { resourceTags: { ['k'.repeat(129)]: 'v' } }, /^resourceTags\.k{129}: .* tag keys must be 1 to 128 characters long \(got 129\)$/],
    ['invalid tag key characters', { tags: { 'bad#key': 'v' } }, /^tags\.bad#key: "bad#key" is invalid; tag keys may contain only letters, digits, spaces and _ \. : \/ = \+ - @$/],
    ['invalid resource tag key characters', { resourceTags: { 'bad#key': 'v' } }, /^resourceTags\.bad#key: "bad#key" is invalid; tag keys may contain only/],
    ['subnetSelection without vpc', { subnetSelection: { subnetType: ec2.SubnetType.PUBLIC } }, /^subnetSelection: requires vpc/],
    ['empty securityGroups', { securityGroups: [] }, /^securityGroups: must not be an empty list; omit it instead/],
  ])('%s', (_, props, expected) => {
    const errors = errorsOf(props);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(expected);
  });

  test('a configuration without tags, or whose only tag Tags.of removed, is valid', () => {
    const stack = newStack();
    new InfrastructureConfiguration(stack, 'Plain');
    new InfrastructureConfiguration(stack, 'Removed', { tags: { team: 'x' } });
    Tags.of(stack).remove('team');
    const template = Template.fromStack(stack);
    for (const r of Object.values(template.findResources(IC_TYPE))) {
      expect((r as any).Properties.Tags).toBeUndefined();
    }
  });

  test('tags added with Tags.of are validated with the props tags, under the path tags', () => {
    const stack = newStack();
    new InfrastructureConfiguration(stack, 'IC', { tags: { team: 'platform' }, resourceTags: { purpose: 'build' } });
    Tags.of(stack).add('bad#key', 'v');
    Tags.of(stack).add('long', 'v'.repeat(257));
    for (let i = 0; i < 49; i++) Tags.of(stack).add(`k${i}`, 'v');
    const message = synthMessage(stack);
    expect(message).toContain('Validation failed');
    expect(message).toContain('tags: has 52 tags; at most 50 are allowed');
    expect(message).toContain('tags.bad#key: "bad#key" is invalid; tag keys may contain only letters, digits, spaces and _ . : / = + - @');
    expect(message).toMatch(/tags\.long: .* tag values must be at most 256 characters long \(got 257\)/);
    // resourceTags are the prop only: Tags.of does not reach them.
    expect(message).not.toMatch(/resourceTags/);
  });

  test('Tags.of tags are not counted against resourceTags', () => {
    const stack = newStack();
    new InfrastructureConfiguration(stack, 'IC', { resourceTags: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`r${i}`, 'v'])) });
    Tags.of(stack).add('extra', 'v');
    const props = icProps(Template.fromStack(stack));
    expect(Object.keys(props.ResourceTags)).toHaveLength(30);
    expect(props.Tags).toEqual({ extra: 'v' });
  });

  test('logging prefix too long', () => {
    const errors = errorsOf(stack => ({ logging: { s3Bucket: s3.Bucket.fromBucketName(stack, 'B', 'bucket'), s3KeyPrefix: 'p'.repeat(1025) } }));
    expect(errors).toEqual([expect.stringMatching(/^logging.s3KeyPrefix: .* must be 1 to 1024 characters long \(got 1025\)/)]);
  });

  test('instanceProfile and role together', () => {
    const errors = errorsOf(stack => ({
      instanceProfile: iam.InstanceProfile.fromInstanceProfileName(stack, 'P', 'p'),
      role: iam.Role.fromRoleName(stack, 'R', 'r'),
    }));
    expect(errors).toEqual(['role: instanceProfile and role exclude each other; give the role through the instance profile, or give only the role']);
  });

  test('duplicate security groups', () => {
    const errors = errorsOf(stack => {
      const sg = ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-0123456789abcdef1');
      return { securityGroups: [sg, sg] };
    });
    expect(errors).toEqual(['securityGroups: "sg-0123456789abcdef1" is invalid; each value may appear only once']);
  });

  test('a security group created in the app without its VPC', () => {
    const errors = errorsOf(stack => ({ securityGroups: [new ec2.SecurityGroup(stack, 'Sg', { vpc: twoAzVpc(stack) })] }));
    expect(errors).toEqual([expect.stringMatching(/^securityGroups\[0\]: Stack\/Sg is created in this app .* give that VPC as vpc/)]);
  });

  test('a subnet selection of several subnets lists them', () => {
    const errors = errorsOf(stack => ({ vpc: twoAzVpc(stack), subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }));
    expect(errors).toEqual([
      'subnetSelection: resolves to 2 subnets (Stack/Vpc/PrivateSubnet1, Stack/Vpc/PrivateSubnet2); it must select exactly one subnet, '
      + 'for example with `subnets: [subnet]` or `availabilityZones: [zone]` with a subnet type that has one subnet per zone',
    ]);
  });

  test('a subnet selection of imported subnets lists their IDs', () => {
    const errors = errorsOf(stack => ({
      vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        privateSubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000b'],
      }),
      subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    }));
    expect(errors).toEqual([expect.stringMatching(/^subnetSelection: resolves to 2 subnets \(subnet-0000000000000000a, subnet-0000000000000000b\)/)]);
  });

  test('a subnet selection matching no subnet', () => {
    const errors = errorsOf(stack => {
      const vpc = twoAzVpc(stack);
      return { vpc, subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: ['us-east-1z'] } };
    });
    expect(errors).toEqual([expect.stringMatching(/^subnetSelection: resolves to no subnets; it must select exactly one subnet/)]);
  });

  test('a token zone in an environment-agnostic stack selects the subnet of that zone', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const ic = new InfrastructureConfiguration(stack, 'IC', {
      vpc, subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: [Fn.select(1, Fn.getAzs())] },
    });
    expect(ic.node.validate()).toEqual([]);
    expect(icProps(Template.fromStack(stack)).SubnetId).toEqual({ Ref: 'VpcPrivateSubnet2Subnet3788AAA1' });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('subnetSelection'));
  });

  test('a token zone that matches several subnets is still an error', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'AppA', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'AppB', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
    });
    const ic = new InfrastructureConfiguration(stack, 'IC', {
      vpc, subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: [Fn.select(0, Fn.getAzs())] },
    });
    expect(ic.node.validate()).toEqual([
      expect.stringMatching(/^subnetSelection: resolves to 2 subnets \(Agnostic\/Vpc\/AppASubnet1, Agnostic\/Vpc\/AppBSubnet1\)/),
    ]);
  });

  test('a token zone that cannot be compared at synth is not rejected; a warning says no subnet was chosen', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const zone = Token.asString(Lazy.string({ produce: () => 'us-east-1a' }));
    const ic = new InfrastructureConfiguration(stack, 'IC', {
      vpc, subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: [zone] },
    });
    expect(ic.node.validate()).toEqual([]);
    expect(ic.subnetId).toBeUndefined();
    expect(icProps(Template.fromStack(stack)).SubnetId).toBeUndefined();
    Annotations.fromStack(stack).hasWarning('/Agnostic/IC', Match.stringLikeRegexp('subnetSelection: .* deploy-time values'));
  });

  test('a literal zone against the token zones of an environment-agnostic VPC is not rejected', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const ic = new InfrastructureConfiguration(stack, 'IC', {
      vpc, subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: ['us-east-1a'] },
    });
    expect(ic.node.validate()).toEqual([]);
  });

  test('a token zone in an availability-zone subnet filter selects the subnet of that zone, like availabilityZones', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const ic = new InfrastructureConfiguration(stack, 'IC', {
      vpc,
      subnetSelection: {
        subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS,
        subnetFilters: [ec2.SubnetFilter.onePerAz(), ec2.SubnetFilter.availabilityZones([Fn.select(1, Fn.getAzs())])],
      },
    });
    expect(ic.node.validate()).toEqual([]);
    expect(icProps(Template.fromStack(stack)).SubnetId).toEqual({ Ref: 'VpcPrivateSubnet2Subnet3788AAA1' });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('subnetSelection'));
  });

  test('zones of a filter and of availabilityZones must both match; a literal filter zone against token subnet zones is not rejected', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const both = new InfrastructureConfiguration(stack, 'Both', {
      vpc,
      subnetSelection: {
        subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS,
        availabilityZones: [Fn.select(0, Fn.getAzs()), Fn.select(1, Fn.getAzs())],
        subnetFilters: [ec2.SubnetFilter.availabilityZones([Fn.select(0, Fn.getAzs())])],
      },
    });
    const literal = new InfrastructureConfiguration(stack, 'Literal', {
      vpc, subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, subnetFilters: [ec2.SubnetFilter.availabilityZones(['us-east-1a'])] },
    });
    expect(both.node.validate()).toEqual([]);
    expect(literal.node.validate()).toEqual([]);
    expect(stack.resolve(both.subnetId)).toEqual({ Ref: 'VpcPrivateSubnet1Subnet536B997A' });
    expect(literal.subnetId).toBeUndefined();
    Annotations.fromStack(stack).hasWarning('/Agnostic/Literal', Match.stringLikeRegexp('subnetSelection: .* deploy-time values'));
  });

  test('a literal filter zone that matches no literal subnet zone is still an error', () => {
    const errors = errorsOf(stack => ({
      vpc: twoAzVpc(stack),
      subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, subnetFilters: [ec2.SubnetFilter.availabilityZones(['us-east-1z'])] },
    }));
    expect(errors).toEqual([expect.stringMatching(/^subnetSelection: resolves to no subnets; it must select exactly one subnet/)]);
  });

  test('a subnet selection the VPC cannot resolve', () => {
    const errors = errorsOf(stack => ({ vpc: twoAzVpc(stack), subnetSelection: { subnetGroupName: 'Nope' } }));
    expect(errors).toEqual([expect.stringMatching(/^subnetSelection: cannot be resolved in the VPC: .*Nope/)]);
  });

  test('a VPC without subnets', () => {
    const errors = errorsOf(stack => ({ vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'] }) }));
    expect(errors).toEqual([expect.stringMatching(/^vpc: has no subnet to launch build instances in \(.+\); give subnetSelection$/)]);
  });

  test('a VPC whose default selection is empty', () => {
    const errors = errorsOf(stack => {
      const vpc = twoAzVpc(stack);
      const empty = vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: ['nowhere'] });
      jest.spyOn(vpc, 'selectSubnets').mockReturnValue(empty);
      return { vpc };
    });
    expect(errors).toEqual(['vpc: has no subnet to launch build instances in (the default selection is empty); give subnetSelection']);
  });

  test('a placement zone other than the subnet zone', () => {
    const errors = errorsOf(stack => {
      const vpc = twoAzVpc(stack);
      return { vpc, subnetSelection: { subnets: [vpc.privateSubnets[0]] }, placement: { availabilityZone: vpc.availabilityZones[1] } };
    });
    expect(errors).toEqual([
      'placement.availabilityZone: "dummy1b" is invalid; must be the Availability Zone of the selected subnet Stack/Vpc/PrivateSubnet1 (dummy1a)',
    ]);
  });

  test('tenancy host alone is valid (auto-placement)', () => {
    expect(errorsOf({ placement: { tenancy: Tenancy.HOST } })).toEqual([]);
  });

  test('container builds with optional tokens may use one hop', () => {
    expect(errorsOf({ containerBuilds: true, httpTokens: ec2.HttpTokens.OPTIONAL, httpPutResponseHopLimit: 1 })).toEqual([]);
  });

  test('unresolved tokens are never rejected', () => {
    const stack = newStack();
    const t = (v: string) => Token.asString(Lazy.string({ produce: () => v }));
    const ic = new InfrastructureConfiguration(stack, 'IC', {
      infrastructureConfigurationName: t('x'),
      description: t(''),
      httpPutResponseHopLimit: Token.asNumber(Lazy.number({ produce: () => 100 })),
      containerBuilds: true,
      placement: { tenancy: t('dedicated') as Tenancy, hostId: t('bad'), availabilityZone: t('') },
      tags: { k: t('v'.repeat(300)) },
      resourceTags: Lazy.any({ produce: () => ({}) }) as any,
      logging: { s3Bucket: s3.Bucket.fromBucketName(stack, 'B', 'bucket'), s3KeyPrefix: t('') },
    });
    expect(ic.node.validate()).toEqual([]);
  });
});
