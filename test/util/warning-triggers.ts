/**
 * One small app fragment per warning the library emits, each of which makes exactly that warning. Shared by
 * test/warnings.test.ts (in-process) and test/util/warnings-app.ts (run through the real CDK CLI).
 */
import { Lazy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import {
  DiskImageFormat,
  DistributeImage,
  DistributeImageSource,
  DistributionConfiguration,
  InfrastructureConfiguration,
} from '../../src';

/**
 * Adds what makes one warning to a stack without an environment; the construct that warns has the id `Subject`.
 */
export const WARNING_TRIGGERS: Record<string, (stack: Stack) => void> = {
  'cdk-imagebuilder-distribution:publicAmi': (stack) => {
    new DistributionConfiguration(stack, 'Subject', {
      amiDistributions: [{ amiName: 'public-{{ imagebuilder:buildDate }}', launchPermission: { isPublicUserGroup: true } }],
    });
  },
  'cdk-imagebuilder-distribution:ssmParameterResolvedAtDeployment': (stack) => {
    // aws-cdk-lib reports the same hazard as an unused parameter: expected here.
    Validations.of(stack).acknowledge({ id: 'CloudFormation-Validate::W2001', reason: 'the SSM import this warning is about' });
    new DistributionConfiguration(stack, 'Subject', {
      amiDistributions: [{
        amiName: 'golden-{{ imagebuilder:buildDate }}',
        ssmParameters: [{ parameter: ssm.StringParameter.fromStringParameterName(stack, 'Latest', '/golden/latest') }],
      }],
    });
  },
  'cdk-imagebuilder-distribution:executionRoleNotGranted': (stack) => {
    const distribution = new DistributionConfiguration(stack, 'Distribution', {
      amiDistributions: [{
        amiName: 'golden-{{ imagebuilder:buildDate }}',
        s3Export: {
          role: iam.Role.fromRoleName(stack, 'VmImport', 'vmimport'),
          bucket: s3.Bucket.fromBucketName(stack, 'Exports', 'my-vm-exports'),
          diskImageFormat: DiskImageFormat.VHD,
        },
      }],
    });
    new DistributeImage(stack, 'Subject', {
      source: DistributeImageSource.fromAmiId('ami-0123456789abcdef0'),
      distributionConfiguration: distribution,
    });
  },
  'cdk-imagebuilder-distribution:infrastructureLoggingNoRole': (stack) => {
    new InfrastructureConfiguration(stack, 'Subject', {
      instanceProfile: iam.InstanceProfile.fromInstanceProfileName(stack, 'Profile', 'build-profile'),
      logging: { s3Bucket: s3.Bucket.fromBucketName(stack, 'Logs', 'build-logs') },
    });
  },
  'cdk-imagebuilder-distribution:infrastructureEncryptedTopic': (stack) => {
    new InfrastructureConfiguration(stack, 'Subject', {
      notificationTopic: new sns.Topic(stack, 'Topic', { masterKey: new kms.Key(stack, 'Key') }),
    });
  },
  'cdk-imagebuilder-distribution:infrastructureSubnetUnknown': (stack) => {
    // A zone only known at deploy time, in a stack without an environment: the subnet cannot be chosen at synth.
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const zone = Token.asString(Lazy.string({ produce: () => 'us-east-1a' }));
    new InfrastructureConfiguration(stack, 'Subject', {
      vpc,
      subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: [zone] },
    });
  },
};
