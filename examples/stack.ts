// The example stack: examples/app.ts synthesizes it, test/nag.test.ts checks it with cdk-nag.
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import {
  DiskImageFormat,
  DistributeImage,
  DistributeImageSource,
  DistributionConfiguration,
  DistributionConfigurationPatch,
  InfrastructureConfiguration,
} from '../src';

const SHARED_SERVICES = '222222222222';
const WORKLOADS = '333333333333';

export class GoldenImageStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const topicKey = new kms.Key(this, 'TopicKey', { enableKeyRotation: true, description: 'Encrypts build notifications' });
    // Image Builder publishes notifications with its service-linked role (created the first time Image Builder is
    // used in the account), so the topic's key must let that role encrypt.
    topicKey.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ArnPrincipal(this.formatArn({
        service: 'iam',
        region: '',
        resource: 'role',
        resourceName: 'aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder',
      }))],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: ['*'],
    }));
    // A KMS key must be in the Region it encrypts AMIs in: the eu-west-1 key lives in that Region.
    const euAmiKey = kms.Key.fromKeyArn(this, 'EuAmiKey', `arn:aws:kms:eu-west-1:${this.account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
    const repository = new ecr.Repository(this, 'Images', { imageScanOnPush: true });
    const exports = new s3.Bucket(this, 'DiskImages', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsPrefix: 'access-logs/',
    });
    const vmImport = new iam.Role(this, 'VmImportRole', {
      assumedBy: new iam.ServicePrincipal('vmie.amazonaws.com'),
      description: 'VM Import/Export writes exported disk images',
    });
    // No bucket grant here: the S3 export grants VM Import/Export exactly what it needs on the bucket and prefix.
    const latestAmi = new ssm.StringParameter(this, 'LatestAmi', {
      parameterName: '/golden/linux/latest',
      stringValue: 'ami-0123456789abcdef0',
      dataType: ssm.ParameterDataType.AWS_EC2_IMAGE,
    });

    // Where the image goes: three Regions, two more accounts, an encrypted copy, a container image, an S3 export.
    const distribution = new DistributionConfiguration(this, 'Distribution', {
      description: 'Golden Linux image for all workload accounts',
      amiDistributions: [
        {
          amiName: 'golden-linux-{{ imagebuilder:buildDate }}',
          amiTags: { team: 'platform', os: 'linux' },
          // This account too: the launch template below starts from its copy, which an account list without it would not make.
          targetAccountIds: [this.account, SHARED_SERVICES, WORKLOADS],
          launchPermission: { organizationalUnitArns: ['arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdefgh34'] },
          ssmParameters: [{ parameter: latestAmi, dataType: ssm.ParameterDataType.AWS_EC2_IMAGE }],
          s3Export: { role: vmImport, bucket: exports, prefix: 'exports/', diskImageFormat: DiskImageFormat.VMDK },
        },
        {
          region: 'eu-west-1',
          amiName: 'golden-linux-{{ imagebuilder:buildDate }}',
          targetAccountIds: [WORKLOADS],
          kmsKey: euAmiKey,
        },
        { region: 'ap-southeast-2', amiName: 'golden-linux-{{ imagebuilder:buildDate }}', amiTags: { team: 'platform' } },
      ],
      containerDistributions: [{ repository, containerTags: ['latest'], description: 'Golden container image' }],
      tags: { project: 'golden-images' },
    });

    // Where the image is built: IMDSv2, terminate on failure and least-privilege logging are the defaults.
    const logs = new s3.Bucket(this, 'BuildLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsPrefix: 'access-logs/',
    });
    const notifications = new sns.Topic(this, 'BuildNotifications', { enforceSSL: true, masterKey: topicKey });
    const infrastructure = new InfrastructureConfiguration(this, 'Infrastructure', {
      description: 'Builds the golden Linux image',
      instanceTypes: [ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE)],
      logging: { s3Bucket: logs, s3KeyPrefix: 'imagebuilder/' },
      notificationTopic: notifications,
      resourceTags: { project: 'golden-images' },
    });
    // The construct warns that an encrypted topic needs that key policy; topicKey has it (above).
    Annotations.of(infrastructure).acknowledgeWarning('Annotation::cdk-imagebuilder-distribution:infrastructureEncryptedTopic');

    // Distribute today's AMI now, without a build, and launch from the copy in this Region.
    const distributed = new DistributeImage(this, 'DistributeLatest', {
      source: DistributeImageSource.fromSsmParameter(latestAmi),
      distributionConfiguration: distribution,
      tags: { release: 'example' },
      timeout: Duration.minutes(45),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const amiId = distributed.amiIdInRegion(this.region);
    new ec2.LaunchTemplate(this, 'AppServers', {
      machineImage: ec2.MachineImage.genericLinux({ [this.region]: amiId }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
      requireImdsv2: true,
    });
    new CfnOutput(this, 'DistributedAmiId', { value: amiId });

    // Another team's configuration: share its eu-west-1 AMIs with our workloads account too, restored on delete.
    const shared = DistributionConfiguration.fromDistributionConfigurationArn(this, 'SharedConfig',
      `arn:aws:imagebuilder:${this.region}:${this.account}:distribution-configuration/shared-baseline`);
    const patch = new DistributionConfigurationPatch(this, 'ShareBaseline', { distributionConfiguration: shared });
    patch.addTargetAccounts('eu-west-1', WORKLOADS);
  }
}
