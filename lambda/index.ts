// Entry points of the custom-resource handler, used by aws-cdk-lib's custom-resource Provider framework.
// One Lambda function per entry point, one bundle for both; resources are told apart by their ResourceType.
import type { CdkCustomResourceEvent, CdkCustomResourceIsCompleteEvent, CdkCustomResourceIsCompleteResponse, CdkCustomResourceResponse } from 'aws-lambda';
import * as distributeImage from './distribute-image';
import * as patch from './update-distribution';
import { DISTRIBUTE_IMAGE_RESOURCE_TYPE, PATCH_RESOURCE_TYPE } from '../src/private/handler-contract';

export async function onEvent(event: CdkCustomResourceEvent): Promise<CdkCustomResourceResponse> {
  switch (event.ResourceType) {
    case PATCH_RESOURCE_TYPE:
      return patch.onEvent(event);
    case DISTRIBUTE_IMAGE_RESOURCE_TYPE:
      return distributeImage.onEvent(event);
    default:
      throw new Error(`Unsupported resource type ${event.ResourceType}; expected ${PATCH_RESOURCE_TYPE} or ${DISTRIBUTE_IMAGE_RESOURCE_TYPE}`);
  }
}

export async function isComplete(event: CdkCustomResourceIsCompleteEvent): Promise<CdkCustomResourceIsCompleteResponse> {
  switch (event.ResourceType) {
    case DISTRIBUTE_IMAGE_RESOURCE_TYPE:
      return distributeImage.isComplete(event);
    default:
      // A patch is finished when onEvent returns.
      return { IsComplete: true };
  }
}
