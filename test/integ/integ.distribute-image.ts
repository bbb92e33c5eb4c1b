// Integration test: DistributeImage distributes the latest Amazon Linux 2023 AMI (an SSM public parameter) with a
// distribution configuration of the stack, and removes the copies on delete.
// Snapshot: integ.distribute-image.js.snapshot/.
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { DistributeImage, DistributeImageSource, DistributionConfiguration } from '../../src';

// The Region the test deploys to (integ-runner's --parallel-regions): the AMI attributes need it literally.
const REGION = 'us-east-1';

const app = new App();
const stack = new Stack(app, 'ImageBuilderDistributeImageInteg');

const config = new DistributionConfiguration(stack, 'Distribution', {
  amiDistributions: [
    { amiName: 'distributed-{{ imagebuilder:buildDate }}', amiTags: { purpose: 'integ' } },
    { region: 'us-west-2', amiName: 'distributed-{{ imagebuilder:buildDate }}' },
  ],
});
const distributed = new DistributeImage(stack, 'Distribute', {
  source: DistributeImageSource.fromSsmParameterName('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64'),
  distributionConfiguration: config,
  tags: { purpose: 'integ' },
  removalPolicy: RemovalPolicy.DESTROY,
  timeout: Duration.minutes(45),
});

const test = new IntegTest(app, 'DistributeImageTest', { testCases: [stack] });
test.assertions.awsApiCall('EC2', 'describeImages', { ImageIds: [distributed.amiIdInRegion(REGION)] });
app.synth();
