"""The library from Python, tested the way a Python CDK user tests a stack: aws_cdk.assertions with unittest."""
import unittest

import aws_cdk as cdk
import typeguard
from aws_cdk import aws_ec2 as ec2, aws_iam as iam, aws_kms as kms, aws_s3 as s3, aws_ssm as ssm
from aws_cdk.assertions import Match, Template

from cdk_imagebuilder_distribution import (
    AmiDistribution,
    DiskImageFormat,
    DistributeImage,
    DistributeImageSource,
    DistributeImageSourceType,
    DistributionConfiguration,
    DistributionConfigurationPatch,
    InfrastructureConfiguration,
    InstancePlacement,
    S3ExportConfiguration,
    Tenancy,
)

ACCOUNT = "111111111111"
EU_KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
WORKLOADS = "333333333333"


def new_stack():
    return cdk.Stack(cdk.App(), "Test", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))


class DistributionConfigurationTest(unittest.TestCase):
    def test_regions_accounts_and_s3_export(self):
        stack = new_stack()
        bucket = s3.Bucket(stack, "Exports")
        role = iam.Role(stack, "VmImport", assumed_by=iam.ServicePrincipal("vmie.amazonaws.com"))
        DistributionConfiguration(
            stack, "Distribution",
            ami_distributions=[
                AmiDistribution(
                    ami_name="golden-{{ imagebuilder:buildDate }}",
                    target_account_ids=[WORKLOADS],
                    s3_export=S3ExportConfiguration(
                        role=role, bucket=bucket, prefix="exports/", disk_image_format=DiskImageFormat.RAW),
                ),
                AmiDistribution(region="eu-west-1", ami_name="golden-{{ imagebuilder:buildDate }}",
                                kms_key=kms.Key.from_key_arn(stack, "EuKey", EU_KEY_ARN)),
            ],
        )

        template = Template.from_stack(stack)
        template.resource_count_is("AWS::ImageBuilder::DistributionConfiguration", 1)
        # The S3 export is a custom resource (CloudFormation has no property for it).
        template.resource_count_is("Custom::ImageBuilderDistributionConfigurationPatch", 1)
        template.has_resource_properties("AWS::ImageBuilder::DistributionConfiguration", {
            "Distributions": [
                Match.object_like({
                    "Region": "us-east-1",
                    "AmiDistributionConfiguration": {
                        "Name": "golden-{{ imagebuilder:buildDate }}", "TargetAccountIds": [WORKLOADS]},
                }),
                Match.object_like({
                    "Region": "eu-west-1",
                    "AmiDistributionConfiguration": Match.object_like(
                        {"KmsKeyId": EU_KEY_ARN}),
                }),
            ],
        })
        patch = template.find_resources("Custom::ImageBuilderDistributionConfigurationPatch")
        self.assertIn('"diskImageFormat":"RAW"', str(next(iter(patch.values()))["Properties"]["Patch"]))

    def test_import_by_name_and_patch(self):
        stack = new_stack()
        shared = DistributionConfiguration.from_distribution_configuration_name(stack, "Shared", "shared-baseline")
        self.assertEqual(stack.resolve(shared.distribution_configuration_name), "shared-baseline")
        DistributionConfigurationPatch(stack, "Patch", distribution_configuration=shared).add_target_accounts(
            "eu-west-1", WORKLOADS)
        template = Template.from_stack(stack)
        template.has_resource_properties("Custom::ImageBuilderDistributionConfigurationPatch", {
            "DistributionConfigurationArn": Match.any_value(),
            "Patch": Match.serialized_json({"distributions": [{
                "region": "eu-west-1", "merge": {"amiDistributionConfiguration": {"targetAccountIds": [WORKLOADS]}}}]}),
        })


class InfrastructureConfigurationTest(unittest.TestCase):
    def test_secure_defaults_and_typed_props(self):
        stack = new_stack()
        infrastructure = InfrastructureConfiguration(
            stack, "Infrastructure",
            instance_types=[ec2.InstanceType("m7g.large")],
            placement=InstancePlacement(tenancy=Tenancy.DEDICATED),
        )
        template = Template.from_stack(stack)
        template.resource_count_is("AWS::ImageBuilder::InfrastructureConfiguration", 1)
        template.resource_count_is("AWS::IAM::InstanceProfile", 1)
        template.has_resource_properties("AWS::ImageBuilder::InfrastructureConfiguration", {
            "InstanceTypes": ["m7g.large"],
            "InstanceMetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
            "TerminateInstanceOnFailure": True,
            "Placement": {"Tenancy": "dedicated"},
        })
        self.assertIsInstance(infrastructure.role, iam.Role)


class DistributeImageTest(unittest.TestCase):
    def test_source_factories_and_ami_ids(self):
        self.assertEqual(DistributeImageSource.from_ami_id("ami-0123456789abcdef0").type,
                         DistributeImageSourceType.AMI_ID)
        stack = new_stack()
        parameter = ssm.StringParameter(stack, "Latest", string_value="ami-0123456789abcdef0",
                                        data_type=ssm.ParameterDataType.AWS_EC2_IMAGE)
        distribution = DistributionConfiguration(
            stack, "Distribution", ami_distributions=[AmiDistribution(ami_name="a-{{ imagebuilder:buildDate }}")])
        distributed = DistributeImage(stack, "Distribute", source=DistributeImageSource.from_ssm_parameter(parameter),
                                      distribution_configuration=distribution, timeout=cdk.Duration.minutes(30))
        cdk.CfnOutput(stack, "AmiId", value=distributed.ami_id_in_region("us-east-1"))
        template = Template.from_stack(stack)
        template.resource_count_is("Custom::ImageBuilderDistributeImage", 1)
        template.has_resource_properties("Custom::ImageBuilderDistributeImage", {
            "SourceImage": {"Fn::Join": ["", ["ssm:", {"Ref": Match.any_value()}]]},
            "TimeoutSeconds": "1800",
        })
        template.has_output("AmiId", {"Value": {"Fn::GetAtt": [Match.any_value(), "AmiId.us-east-1"]}})


class ValidationTest(unittest.TestCase):
    """Synth-time validation reaches Python as an exception that names the prop, the value and the rule."""

    def test_every_error_at_once_naming_the_prop(self):
        stack = new_stack()
        DistributionConfiguration(stack, "Distribution", ami_distributions=[
            AmiDistribution(ami_name="a-{{ imagebuilder:buildDate }}", target_account_ids=["1234"]),
            AmiDistribution(region="eu-west-1", ami_name="a-{{ imagebuilder:buildDate }}"),
            AmiDistribution(region="eu-west-1", ami_name="b-{{ imagebuilder:buildDate }}"),
        ])
        with self.assertRaises(RuntimeError) as raised:
            Template.from_stack(stack)
        message = str(raised.exception)
        self.assertIn("Validation failed", message)
        self.assertIn("amiDistributions[0].targetAccountIds[0]", message)
        self.assertIn("1234", message)
        self.assertIn("12-digit", message)
        self.assertIn("eu-west-1", message)  # the duplicate Region, reported in the same exception

    def test_distribute_image_timeout(self):
        stack = new_stack()
        distribution = DistributionConfiguration(
            stack, "Distribution", ami_distributions=[AmiDistribution(ami_name="a-{{ imagebuilder:buildDate }}")])
        DistributeImage(stack, "Distribute", source=DistributeImageSource.from_ami_id("ami-0123456789abcdef0"),
                        distribution_configuration=distribution, timeout=cdk.Duration.hours(3))
        with self.assertRaisesRegex(RuntimeError, r"timeout.*10800 seconds.*must be from 1 minute to 50 minutes"):
            Template.from_stack(stack)

    def test_dicts_in_lists(self):
        """Dicts in lists: camelCase keys work, snake_case keys are dropped (use the struct classes in lists).

        A dict in a list is passed to the jsii kernel as written: jsii converts snake_case keys for keyword arguments
        and struct classes only, and the kernel keeps only the keys the struct declares (see docs/python.md).
        """
        stack = new_stack()
        DistributionConfiguration(stack, "CamelCase", ami_distributions=[
            {"region": "eu-west-1", "amiName": "a-{{ imagebuilder:buildDate }}", "targetAccountIds": [WORKLOADS]}])
        Template.from_stack(stack).has_resource_properties("AWS::ImageBuilder::DistributionConfiguration", {
            "Distributions": [{"Region": "eu-west-1", "AmiDistributionConfiguration": {
                "Name": "a-{{ imagebuilder:buildDate }}", "TargetAccountIds": [WORKLOADS]}}]})

        stack = new_stack()
        DistributionConfiguration(stack, "SnakeCase", ami_distributions=[
            {"amiName": "a-{{ imagebuilder:buildDate }}", "target_account_ids": [WORKLOADS]}])
        rendered = Template.from_stack(stack).find_resources("AWS::ImageBuilder::DistributionConfiguration")
        ami = next(iter(rendered.values()))["Properties"]["Distributions"][0]["AmiDistributionConfiguration"]
        self.assertNotIn("TargetAccountIds", ami, "jsii now passes unknown dict keys: revisit docs/python.md")

        # When nothing but snake_case keys are given, the library's validation notices the empty distribution.
        stack = new_stack()
        DistributionConfiguration(stack, "OnlySnakeCase",
                                  ami_distributions=[{"ami_name": "a-{{ imagebuilder:buildDate }}"}])
        with self.assertRaisesRegex(RuntimeError, r"amiDistributions\[0\]: sets nothing but the Region"):
            Template.from_stack(stack)

    def test_python_type_errors_before_synth(self):
        stack = new_stack()
        # The generated bindings check argument types at the call with typeguard, which raises TypeError (typeguard 2,
        # the version the jsii runtime on PyPI pins) or TypeCheckError (typeguard 4, the one installed here).
        type_errors = (TypeError, typeguard.TypeCheckError)
        # A str is not a Duration ...
        with self.assertRaises(type_errors):
            DistributeImage(stack, "Distribute", source=DistributeImageSource.from_ami_id("ami-0123456789abcdef0"),
                            distribution_configuration=DistributionConfiguration.from_distribution_configuration_name(
                                stack, "Shared", "shared"),
                            timeout="90 minutes")
        # ... nor a bucket, a jsii interface: rejected here by jsii_interface_check.py; under typeguard 2, which does
        # not check interfaces, the jsii kernel rejects it when the struct is given to a construct (RuntimeError
        # "Key 'bucket': Unable to deserialize value as aws-cdk-lib.aws_s3.IBucket").
        with self.assertRaises(type_errors):
            S3ExportConfiguration(role=iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("vmie.amazonaws.com")),
                                  bucket="my-bucket", disk_image_format=DiskImageFormat.VMDK)


if __name__ == "__main__":
    unittest.main()
