// Entry points of the custom-resource handler, used by aws-cdk-lib's custom-resource Provider framework.
// One Lambda function per entry point, one bundle for both; resources are told apart by their ResourceType.
// Lambda passes its context as the second argument: the time the invocation has left gives each event a deadline
// (retry.ts eventDeadline), before which the handler stops retrying and fails with its own message, rather than
// being cut off by Lambda ("Task timed out") with none.
import type { CdkCustomResourceEvent, CdkCustomResourceIsCompleteEvent, CdkCustomResourceIsCompleteResponse, CdkCustomResourceResponse } from 'aws-lambda';
import * as distributeImage from './distribute-image';
import * as organizationTargets from './organization-targets';
import { eventDeadline, InvocationContext } from './retry';
import * as patch from './update-distribution';
import { DISTRIBUTE_IMAGE_RESOURCE_TYPE, PATCH_RESOURCE_TYPE } from '../src/private/handler-contract';
import { ORGANIZATION_TARGETS_RESOURCE_TYPE } from '../src/private/organization-contract';

export async function onEvent(event: CdkCustomResourceEvent, context?: Partial<InvocationContext>): Promise<CdkCustomResourceResponse> {
  const deadline = eventDeadline(context);
  switch (event.ResourceType) {
    case PATCH_RESOURCE_TYPE:
      return patch.onEvent(event, { deadline });
    case DISTRIBUTE_IMAGE_RESOURCE_TYPE:
      return distributeImage.onEvent(event, { deadline });
    case ORGANIZATION_TARGETS_RESOURCE_TYPE:
      return organizationTargets.onEvent(event, { deadline });
    default:
      throw new Error(`Unsupported resource type ${event.ResourceType}; expected ${PATCH_RESOURCE_TYPE} or ${DISTRIBUTE_IMAGE_RESOURCE_TYPE}`);
  }
}

export async function isComplete(
  event: CdkCustomResourceIsCompleteEvent, context?: Partial<InvocationContext>,
): Promise<CdkCustomResourceIsCompleteResponse> {
  switch (event.ResourceType) {
    case DISTRIBUTE_IMAGE_RESOURCE_TYPE:
      return distributeImage.isComplete(event, { deadline: eventDeadline(context) });
    default:
      // A patch is finished when onEvent returns.
      return { IsComplete: true };
  }
}
