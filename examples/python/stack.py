"""The example stack of examples/stack.ts, written as a Python CDK user writes it.

test/python/test_example_parity.py synthesizes this stack and the TypeScript one and asserts equal templates.
"""
from aws_cdk import (
    Annotations,
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
    aws_ec2 as ec2,
    aws_ecr as ecr,
    aws_iam as iam,
    aws_kms as kms,
    aws_s3 as s3,
    aws_sns as sns,
    aws_ssm as ssm,
)
from constructs import Construct

from cdk_imagebuilder_distribution import (
    AmiDistribution,
    AmiLaunchPermission,
    ContainerDistribution,
    DiskImageFormat,
    DistributeImage,
    DistributeImageSource,
    DistributionConfiguration,
    DistributionConfigurationPatch,
    InfrastructureConfiguration,
    InfrastructureConfigurationLogging,
    S3ExportConfiguration,
    SsmParameterDistribution,
)

SHARED_SERVICES = "222222222222"
WORKLOADS = "333333333333"
AMI_NAME = "golden-linux-{{ imagebuilder:buildDate }}"
ORGANIZATIONAL_UNIT = "arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdefgh34"


class GoldenImageStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        topic_key = kms.Key(self, "TopicKey", enable_key_rotation=True, description="Encrypts build notifications")
        # Image Builder publishes notifications with its service-linked role (created the first time Image Builder is
        # used in the account), so the topic's key must let that role encrypt.
        topic_key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ArnPrincipal(self.format_arn(
                service="iam",
                region="",
                resource="role",
                resource_name="aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder",
            ))],
            actions=["kms:GenerateDataKey*", "kms:Decrypt"],
            resources=["*"],
        ))
        # A KMS key must be in the Region it encrypts AMIs in: the eu-west-1 key lives in that Region.
        eu_ami_key = kms.Key.from_key_arn(
            self, "EuAmiKey", f"arn:aws:kms:eu-west-1:{self.account}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        repository = ecr.Repository(self, "Images", image_scan_on_push=True)
        exports = s3.Bucket(
            self, "DiskImages",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            server_access_logs_prefix="access-logs/",
        )
        vm_import = iam.Role(
            self, "VmImportRole",
            assumed_by=iam.ServicePrincipal("vmie.amazonaws.com"),
            description="VM Import/Export writes exported disk images",
        )
        # No bucket grant here: the S3 export grants VM Import/Export exactly what it needs on the bucket and prefix.
        latest_ami = ssm.StringParameter(
            self, "LatestAmi",
            parameter_name="/golden/linux/latest",
            string_value="ami-0123456789abcdef0",
            data_type=ssm.ParameterDataType.AWS_EC2_IMAGE,
        )

        # Where the image goes: three Regions, two more accounts, an encrypted copy, a container image, an S3 export.
        # Props in lists are the library's struct classes: a dict there keeps its keys as written (docs/python.md).
        distribution = DistributionConfiguration(
            self, "Distribution",
            description="Golden Linux image for all workload accounts",
            ami_distributions=[
                AmiDistribution(
                    ami_name=AMI_NAME,
                    ami_tags={"team": "platform", "os": "linux"},
                    # This account too: the launch template below starts from its copy.
                    target_account_ids=[self.account, SHARED_SERVICES, WORKLOADS],
                    launch_permission=AmiLaunchPermission(
                        organizational_unit_arns=[ORGANIZATIONAL_UNIT],
                    ),
                    ssm_parameters=[
                        SsmParameterDistribution(parameter=latest_ami, data_type=ssm.ParameterDataType.AWS_EC2_IMAGE),
                    ],
                    s3_export=S3ExportConfiguration(
                        role=vm_import, bucket=exports, prefix="exports/", disk_image_format=DiskImageFormat.VMDK,
                    ),
                ),
                AmiDistribution(
                    region="eu-west-1", ami_name=AMI_NAME, target_account_ids=[WORKLOADS], kms_key=eu_ami_key),
                AmiDistribution(region="ap-southeast-2", ami_name=AMI_NAME, ami_tags={"team": "platform"}),
            ],
            container_distributions=[
                ContainerDistribution(
                    repository=repository, container_tags=["latest"], description="Golden container image"),
            ],
            tags={"project": "golden-images"},
        )

        # Where the image is built: IMDSv2, terminate on failure and least-privilege logging are the defaults.
        logs = s3.Bucket(
            self, "BuildLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            server_access_logs_prefix="access-logs/",
        )
        notifications = sns.Topic(self, "BuildNotifications", enforce_ssl=True, master_key=topic_key)
        infrastructure = InfrastructureConfiguration(
            self, "Infrastructure",
            description="Builds the golden Linux image",
            instance_types=[ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE)],
            logging=InfrastructureConfigurationLogging(s3_bucket=logs, s3_key_prefix="imagebuilder/"),
            notification_topic=notifications,
            resource_tags={"project": "golden-images"},
        )
        # The construct warns that an encrypted topic needs that key policy; topic_key has it (above).
        Annotations.of(infrastructure).acknowledge_warning(
            "Annotation::cdk-imagebuilder-distribution:infrastructureEncryptedTopic")

        # Distribute today's AMI now, without a build, and launch from the copy in this Region.
        distributed = DistributeImage(
            self, "DistributeLatest",
            source=DistributeImageSource.from_ssm_parameter(latest_ami),
            distribution_configuration=distribution,
            tags={"release": "example"},
            timeout=Duration.minutes(45),
            removal_policy=RemovalPolicy.RETAIN,
        )
        ami_id = distributed.ami_id_in_region(self.region)
        ec2.LaunchTemplate(
            self, "AppServers",
            machine_image=ec2.MachineImage.generic_linux({self.region: ami_id}),
            instance_type=ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
            require_imdsv2=True,
        )
        CfnOutput(self, "DistributedAmiId", value=ami_id)

        # Another team's configuration: share its eu-west-1 AMIs with our workloads account too, restored on delete.
        shared = DistributionConfiguration.from_distribution_configuration_arn(
            self, "SharedConfig",
            f"arn:aws:imagebuilder:{self.region}:{self.account}:distribution-configuration/shared-baseline",
        )
        patch = DistributionConfigurationPatch(self, "ShareBaseline", distribution_configuration=shared)
        patch.add_target_accounts("eu-west-1", WORKLOADS)
