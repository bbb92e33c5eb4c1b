// Integration test: InfrastructureConfiguration with its defaults (new role and instance profile), and one in a VPC
// with S3 logging, notifications and container builds. Snapshot: integ.infrastructure-configuration.js.snapshot/.
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { InfrastructureConfiguration } from '../../src';

const app = new App();
const stack = new Stack(app, 'ImageBuilderInfrastructureConfigurationInteg');

new InfrastructureConfiguration(stack, 'Defaults');

const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 1 });
const logs = new s3.Bucket(stack, 'Logs', {
  encryption: s3.BucketEncryption.S3_MANAGED,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  removalPolicy: RemovalPolicy.DESTROY,
});
new InfrastructureConfiguration(stack, 'InVpc', {
  description: 'cdk-imagebuilder-distribution integration test',
  instanceTypes: [ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE)],
  vpc,
  containerBuilds: true,
  logging: { s3Bucket: logs, s3KeyPrefix: 'imagebuilder/' },
  notificationTopic: new sns.Topic(stack, 'Notifications', { enforceSSL: true }),
  resourceTags: { purpose: 'integ' },
  tags: { purpose: 'integ' },
});

new IntegTest(app, 'InfrastructureConfigurationTest', { testCases: [stack] });
app.synth();
