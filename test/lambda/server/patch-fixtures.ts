// Shared fixtures for the patch handler tests (not a test file itself).
import type { CdkCustomResourceEvent } from 'aws-lambda';
import { PATCH_RESOURCE_TYPE, PatchDocument } from '../../../src/private/handler-contract';

export const ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:distribution-configuration/imported-dist';
export const OTHER_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:distribution-configuration/other-dist';
export const PARAM = '/cdk-imagebuilder-distribution/patch/TestStack/Patch';
export const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/TestStack/1f2e3d4c-0000-0000-0000-000000000000';

/** A distribution using every field the API models, so a round trip shows nothing is lost. */
export function fullDistribution(region: string): any {
  return {
    region,
    amiDistributionConfiguration: {
      name: 'app-{{ imagebuilder:buildDate }}',
      description: 'AMI for app',
      targetAccountIds: ['111111111111'],
      amiTags: { team: 'platform' },
      kmsKeyId: 'alias/ami',
      launchPermission: { userIds: ['222222222222'], userGroups: ['all'], organizationArns: ['arn:aws:organizations::123456789012:organization/o-abcdefghij'], organizationalUnitArns: ['arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-abcd-abcdefgh'] },
    },
    licenseConfigurationArns: ['arn:aws:license-manager:us-east-1:123456789012:license-configuration:lic-0123456789abcdef0123456789abcdef'],
    launchTemplateConfigurations: [{ launchTemplateId: 'lt-0123456789abcdef0', accountId: '123456789012', setDefaultVersion: true }],
    fastLaunchConfigurations: [{ enabled: true, snapshotConfiguration: { targetResourceCount: 3 }, maxParallelLaunches: 6, launchTemplate: { launchTemplateId: 'lt-0456789abcdef0123', launchTemplateVersion: '2' }, accountId: '123456789012' }],
    ssmParameterConfigurations: [{ amiAccountId: '123456789012', parameterName: '/app/ami', dataType: 'aws:ec2:image' }],
  };
}

export const S3_EXPORT = { roleName: 'vmimport', diskImageFormat: 'VMDK', s3Bucket: 'exports', s3Prefix: 'app/' };

export const exportPatch: PatchDocument = { distributions: [{ region: 'us-east-1', merge: { s3ExportConfiguration: S3_EXPORT } }] };

export const sharePatch: PatchDocument = {
  distributions: [
    { region: 'us-east-1', merge: { amiDistributionConfiguration: { targetAccountIds: ['333333333333'], launchPermission: { userIds: ['333333333333'] } } } },
    { region: 'eu-west-1', replace: { amiDistributionConfiguration: { name: 'copy-{{ imagebuilder:buildDate }}', targetAccountIds: ['444444444444'] } } },
  ],
};

export function props(patch: PatchDocument, arn = ARN, param = PARAM): Record<string, string> {
  return { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider', DistributionConfigurationArn: arn, Patch: JSON.stringify(patch), BaselineParameterName: param, BaseHash: 'h1' };
}

let counter = 0;

function base(requestId?: string) {
  return {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: STACK_ID,
    RequestId: requestId ?? `request-${++counter}`,
    LogicalResourceId: 'Patch',
    ResourceType: PATCH_RESOURCE_TYPE,
  };
}

export function createEvent(p: Record<string, string>, requestId?: string): CdkCustomResourceEvent {
  return { ...base(requestId), RequestType: 'Create', ResourceProperties: p as any };
}

export function updateEvent(physicalId: string, p: Record<string, string>, old: Record<string, string>, requestId?: string): CdkCustomResourceEvent {
  return { ...base(requestId), RequestType: 'Update', PhysicalResourceId: physicalId, ResourceProperties: p as any, OldResourceProperties: old as any };
}

export function deleteEvent(physicalId: string, p: Record<string, string>): CdkCustomResourceEvent {
  return { ...base(), RequestType: 'Delete', PhysicalResourceId: physicalId, ResourceProperties: p as any };
}
