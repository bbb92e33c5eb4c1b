// Integration test: a DistributionConfiguration with AMI and container distributions in two Regions and an S3 export
// (applied through the shared custom-resource provider). Snapshot: integ.distribution-configuration.js.snapshot/.
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DiskImageFormat, DistributionConfiguration } from '../../src';

const app = new App();
const stack = new Stack(app, 'ImageBuilderDistributionConfigurationInteg');

const repository = new ecr.Repository(stack, 'Repository', { removalPolicy: RemovalPolicy.DESTROY, emptyOnDelete: true });
const bucket = new s3.Bucket(stack, 'Exports', {
  encryption: s3.BucketEncryption.S3_MANAGED,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  removalPolicy: RemovalPolicy.DESTROY,
  autoDeleteObjects: false,
});
const exportRole = new iam.Role(stack, 'ExportRole', { assumedBy: new iam.ServicePrincipal('vmie.amazonaws.com') });

const config = new DistributionConfiguration(stack, 'Distribution', {
  description: 'cdk-imagebuilder-distribution integration test',
  amiDistributions: [{
    amiName: 'integ-{{ imagebuilder:buildDate }}',
    amiDescription: 'integration test AMI',
    amiTags: { purpose: 'integ' },
    s3Export: { role: exportRole, bucket, prefix: 'exports/', diskImageFormat: DiskImageFormat.RAW },
  }],
  containerDistributions: [{ repository, containerTags: ['latest'] }],
  tags: { purpose: 'integ' },
});
config.addAmiDistribution({ region: 'us-west-2', amiName: 'integ-{{ imagebuilder:buildDate }}' });

new IntegTest(app, 'DistributionConfigurationTest', { testCases: [stack] });
app.synth();
