// Entry points of the custom-resource handler, used by aws-cdk-lib's custom-resource Provider framework.
// One Lambda function per entry point, one bundle for both; resources are told apart by their ResourceType.
// Lambda passes its context as the second argument: the time the invocation has left gives each event a deadline
// (retry.ts eventDeadline), before which the handler stops retrying and fails with its own message, rather than
// being cut off by Lambda ("Task timed out") with none.
import type { CdkCustomResourceEvent, CdkCustomResourceIsCompleteEvent, CdkCustomResourceIsCompleteResponse, CdkCustomResourceResponse } from 'aws-lambda';
import * as distributeImage from './distribute-image';
import { forCloudFormation, ResponseFields } from './errors';
import * as organizationTargets from './organization-targets';
import { eventDeadline, InvocationContext } from './retry';
import * as patch from './distribution-configuration-patch';
import { DISTRIBUTE_IMAGE_RESOURCE_TYPE, PATCH_RESOURCE_TYPE } from '../src/private/handler-contract';
import { ORGANIZATION_TARGETS_RESOURCE_TYPE } from '../src/private/organization-contract';

export async function onEvent(event: CdkCustomResourceEvent, context?: Partial<InvocationContext>): Promise<CdkCustomResourceResponse> {
  const deadline = eventDeadline(context);
  try {
    switch (event.ResourceType) {
      case PATCH_RESOURCE_TYPE:
        return await patch.onEvent(event, { deadline });
      case DISTRIBUTE_IMAGE_RESOURCE_TYPE:
        return await distributeImage.onEvent(event, { deadline });
      case ORGANIZATION_TARGETS_RESOURCE_TYPE:
        return await organizationTargets.onEvent(event, { deadline });
      default:
        throw new Error(`Unsupported resource type ${event.ResourceType}; expected ${PATCH_RESOURCE_TYPE} or ${DISTRIBUTE_IMAGE_RESOURCE_TYPE}`);
    }
  } catch (err) {
    // The framework's FAILED response carries the message: it must fit CloudFormation's 4096 bytes.
    throw forCloudFormation(err, event as ResponseFields);
  }
}

export async function isComplete(
  event: CdkCustomResourceIsCompleteEvent, context?: Partial<InvocationContext>,
): Promise<CdkCustomResourceIsCompleteResponse> {
  try {
    switch (event.ResourceType) {
      case DISTRIBUTE_IMAGE_RESOURCE_TYPE:
        return await distributeImage.isComplete(event, { deadline: eventDeadline(context) });
      default:
        // Patches have no waiter (src/private/provider.ts); one that had is finished when onEvent returns.
        return { IsComplete: true };
    }
  } catch (err) {
    throw forCloudFormation(err, event as ResponseFields);
  }
}
