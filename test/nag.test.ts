/**
 * cdk-nag AwsSolutions checks on the example stack and on a stack that uses every construct and prop family of the
 * library: no unacknowledged error or warning.
 *
 * cdk-nag 3 is no longer an Aspect (`Aspects.of(app).add(new AwsSolutionsChecks())` fails with "aspect.visit is not a
 * function"): it is a policy validation plugin, and findings are acknowledged in aws-cdk-lib's acknowledged-rules
 * metadata (the entry `Validations.of(construct).acknowledge({ id, reason })` writes; src/private/nag.ts), which the
 * library adds next to the code that causes an inherent finding. Findings are read from the plugin's report (cdk-nag 3
 * adds no annotations).
 */
import { App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { GoldenImageStack } from '../examples/stack';
import {
  DiskImageFormat,
  DistributeImage,
  DistributeImageSource,
  DistributionConfiguration,
  DistributionConfigurationPatch,
  InfrastructureConfiguration,
  Tenancy,
} from '../src';
import { nagFlatten } from '../src/private/nag';

const ENV = { account: '111111111111', region: 'us-east-1' };
const OTHER_ACCOUNT = '222222222222';

/** Every finding of the AwsSolutions pack that is not acknowledged, as "severity rule path" lines. */
function nagFindings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks(scope).validateScope(scope);
  return report.violations.flatMap(v => v.violatingResources.map(r => `${v.severity} ${v.ruleName} ${r.constructPath}`));
}

/** A bucket that passes the AwsSolutions S1/S10 checks: access logs, TLS only, no public access. */
function bucket(stack: Stack, id: string, encryptionKey?: kms.IKey): s3.Bucket {
  return new s3.Bucket(stack, id, {
    encryption: encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
    encryptionKey,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    serverAccessLogsBucket: encryptionKey ? accessLogs(stack) : undefined,
    serverAccessLogsPrefix: encryptionKey ? `${id}/` : 'access-logs/',
  });
}

function accessLogs(stack: Stack): s3.Bucket {
  return (stack.node.tryFindChild('AccessLogs') as s3.Bucket | undefined) ?? new s3.Bucket(stack, 'AccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    serverAccessLogsPrefix: 'self/',
  });
}

/** A stack with every construct of the library and every prop family. */
export function everyConstructStack(app: App): Stack {
  const stack = new Stack(app, 'EveryConstruct', { env: ENV });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const euKey = kms.Key.fromKeyArn(stack, 'EuKey', 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, flowLogs: { all: {} } });
  const repository = new ecr.Repository(stack, 'Repo', { imageScanOnPush: true });
  const exportBucket = bucket(stack, 'Exports', key);
  const exportRole = new iam.Role(stack, 'ExportRole', { assumedBy: new iam.ServicePrincipal('vmie.amazonaws.com') });
  const template = new ec2.LaunchTemplate(stack, 'Template', { requireImdsv2: true });
  const parameter = new ssm.StringParameter(stack, 'Param', { parameterName: '/golden/ami', stringValue: 'ami-0123456789abcdef0' });

  const config = new DistributionConfiguration(stack, 'Distribution', {
    distributionConfigurationName: 'every-prop',
    description: 'every prop family',
    tags: { team: 'platform' },
    amiDistributions: [{
      amiName: 'golden-{{ imagebuilder:buildDate }}',
      amiDescription: 'golden image',
      targetAccountIds: [OTHER_ACCOUNT],
      amiTags: { os: 'windows' },
      kmsKey: key,
      launchPermission: {
        accountIds: ['333333333333'],
        organizationArns: ['arn:aws:organizations::111111111111:organization/o-abcdefghij'],
        organizationalUnitArns: ['arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdefgh34'],
      },
      licenseConfigurationArns: ['arn:aws:license-manager:us-east-1:111111111111:license-configuration:lic-0123456789abcdef0123456789abcdef'],
      launchTemplates: [{ launchTemplate: template, setDefaultVersion: true }],
      fastLaunchConfigurations: [{ enabled: true, launchTemplate: template, maxParallelLaunches: 6, targetSnapshotCount: 5 }],
      ssmParameters: [{ parameter, accountId: OTHER_ACCOUNT, dataType: ssm.ParameterDataType.AWS_EC2_IMAGE }],
      s3Export: { role: exportRole, bucket: exportBucket, prefix: 'exports/', diskImageFormat: DiskImageFormat.VHD },
    }],
    containerDistributions: [{ repository, containerTags: ['latest'], description: 'golden container' }],
  });
  config.addAmiDistribution({ region: 'eu-west-1', amiName: 'golden-{{ imagebuilder:buildDate }}', kmsKey: euKey });
  config.addContainerDistribution({ region: 'eu-west-1', repository, containerTags: ['latest'] });

  const topicKey = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
  new InfrastructureConfiguration(stack, 'Infrastructure', {
    infrastructureConfigurationName: 'every-prop',
    description: 'every prop family',
    instanceTypes: [ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE)],
    containerBuilds: true,
    vpc,
    subnetSelection: { subnets: [vpc.privateSubnets[0]] },
    keyPair: ec2.KeyPair.fromKeyPairName(stack, 'KeyPair', 'troubleshooting'),
    terminateInstanceOnFailure: true,
    httpTokens: ec2.HttpTokens.REQUIRED,
    httpPutResponseHopLimit: 2,
    notificationTopic: new sns.Topic(stack, 'Topic', { enforceSSL: true, masterKey: topicKey }),
    logging: { s3Bucket: bucket(stack, 'BuildLogs', key), s3KeyPrefix: 'logs/' },
    placement: { tenancy: Tenancy.HOST, hostId: 'h-0123456789abcdef0' },
    resourceTags: { purpose: 'build' },
    tags: { team: 'platform' },
  });
  // All defaults: the role stays plain CloudFormation resources (never read), acknowledged all the same.
  new InfrastructureConfiguration(stack, 'Defaults');
  new InfrastructureConfiguration(stack, 'DefaultsForContainers', { containerBuilds: true });
  const buildRole = new iam.Role(stack, 'BuildRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  new InfrastructureConfiguration(stack, 'WithRole', { role: buildRole, logging: { s3Bucket: bucket(stack, 'RoleLogs') } });
  new InfrastructureConfiguration(stack, 'WithProfile', {
    instanceProfile: new iam.InstanceProfile(stack, 'Profile', { role: buildRole }),
    placement: { availabilityZone: 'us-east-1a', tenancy: Tenancy.DEDICATED },
  });

  const shared = DistributionConfiguration.fromDistributionConfigurationArn(stack, 'Shared',
    'arn:aws:imagebuilder:us-east-1:111111111111:distribution-configuration/shared');
  const patch = new DistributionConfigurationPatch(stack, 'Patch', {
    distributionConfiguration: shared,
    amiDistributions: [{ region: 'us-west-2', amiName: 'patched-{{ imagebuilder:buildDate }}' }],
    containerDistributions: [{ region: 'us-west-2', repository }],
  });
  patch.addTargetAccounts('eu-west-1', OTHER_ACCOUNT);
  patch.addLaunchPermission('eu-west-1', { accountIds: [OTHER_ACCOUNT] });
  patch.setS3Export('eu-central-1', { role: exportRole, bucket: exportBucket, diskImageFormat: DiskImageFormat.RAW });

  new DistributeImage(stack, 'FromConfig', {
    source: DistributeImageSource.fromSsmParameterName('/golden/ami'),
    distributionConfiguration: config,
    logGroup: new logs.LogGroup(stack, 'DistributeLogs', { retention: logs.RetentionDays.ONE_WEEK }),
    tags: { release: '1' },
    removalPolicy: RemovalPolicy.DESTROY,
    timeout: Duration.minutes(30),
  });
  new DistributeImage(stack, 'FromArn', {
    source: DistributeImageSource.fromImageArn('arn:aws:imagebuilder:us-east-1:111111111111:image/golden/1.0.0/1'),
    distributionConfiguration: shared,
    targetAccountIds: [OTHER_ACCOUNT],
    kmsKeys: [key],
  });
  new DistributeImage(stack, 'WithExecutionRole', {
    source: DistributeImageSource.fromAmiId('ami-0123456789abcdef0'),
    distributionConfiguration: shared,
    executionRole: iam.Role.fromRoleName(stack, 'ExecRole', 'EC2ImageBuilderDistribution', { mutable: false }),
  });
  return stack;
}

describe('cdk-nag AwsSolutionsChecks', () => {
  test('the example stack has no unacknowledged finding', () => {
    const app = new App();
    const stack = new GoldenImageStack(app, 'GoldenImageExample', { env: ENV });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('a stack using every construct and prop family has no unacknowledged finding', () => {
    const app = new App();
    const stack = everyConstructStack(app);
    expect(nagFindings(stack)).toEqual([]);
  });

  test('as a validation plugin of the app, synth succeeds and reports nothing, and no AwsSolutions annotation appears', () => {
    const app = new App();
    const stack = everyConstructStack(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });

  test('the checks do find what nobody acknowledged (the assertions above can fail)', () => {
    const app = new App();
    const stack = everyConstructStack(app);
    new s3.Bucket(stack, 'Plain');
    // A wildcard the library did not create, on the library's own roles, is still reported: acknowledgements are exact.
    const provider = stack.node.findChild('ImageBuilderDistributionProvider') as any;
    provider.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:Get*'], resources: ['*'] }));
    const findings = nagFindings(stack);
    expect(findings).toEqual(expect.arrayContaining([
      'error AwsSolutions-S1 EveryConstruct/Plain/Resource',
      'error AwsSolutions-S10 EveryConstruct/Plain/Resource',
      'error AwsSolutions-IAM5[Action::s3:Get*] EveryConstruct/ImageBuilderDistributionProvider/Role/DefaultPolicy/Resource',
    ]));
  });

  test('every acknowledgement of the library names an exact finding and gives a reason', () => {
    const app = new App();
    const stack = everyConstructStack(app);
    const acks = stack.node.findAll().flatMap(c => c.node.metadata
      .filter(m => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap(m => Object.entries(m.data as Record<string, string>)))
      .filter(([id]) => id.includes('AwsSolutions-'));
    expect(acks.length).toBeGreaterThan(10);
    for (const [id, reason] of acks) {
      // A resource may hold intrinsics (rendered as JSON, brackets included) where an ARN is split at deployment.
      expect(id).toMatch(/^(Annotation::)?AwsSolutions-(L1|SF1|SF2|IAM4\[Policy::[^\]]+\]|IAM5\[(Resource|Action)::.+\])$/);
      expect(String(reason).length).toBeGreaterThan(40);
    }
  });

  test('every IAM5 acknowledgement on a role names a wildcard that role\'s policies hold (no stale reason)', () => {
    const app = new App();
    const stack = everyConstructStack(app);
    const stale: string[] = [];
    let checked = 0;
    for (const role of stack.node.findAll().filter((c): c is iam.Role => c instanceof iam.Role)) {
      const acked = role.node.metadata
        .filter(m => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap(m => Object.keys(m.data as Record<string, string>))
        .map(id => /AwsSolutions-IAM5\[Resource::(.*)\]$/.exec(id)?.[1])
        .filter((r): r is string => r !== undefined);
      if (acked.length === 0) continue;
      const policies = role.node.findAll().filter((c): c is iam.CfnPolicy => c instanceof iam.CfnPolicy);
      const resources = new Set(policies.flatMap(p => (stack.resolve(p.policyDocument).Statement as any[])
        .flatMap(st => [st.Resource].flat().map(r => nagFlatten(r)))));
      for (const r of acked) {
        checked++;
        if (!resources.has(r)) stale.push(`${role.node.path}: ${r}`);
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(stale).toEqual([]);
  });
});
