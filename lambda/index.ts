// Entry points of the custom-resource handler, used by aws-cdk-lib's custom-resource Provider framework.
// One Lambda function per entry point, one bundle for both; resources are told apart by their ResourceType.
// Lambda passes its context as the second argument: the time the invocation has left gives each event a deadline
// (retry.ts eventDeadline), before which the handler stops retrying and fails with its own message, rather than
// being cut off by Lambda ("Task timed out") with none.
import type { CdkCustomResourceEvent, CdkCustomResourceIsCompleteEvent, CdkCustomResourceIsCompleteResponse, CdkCustomResourceResponse } from 'aws-lambda';
import * as distributeImage from './distribute-image';
import * as patch from './distribution-configuration-patch';
import { forCloudFormation, ResponseFields } from './errors';
import type { HandlerOptions } from './handler-options';
import { logOf } from './log';
import * as organizationTargets from './organization-targets';
import { eventDeadline, InvocationContext } from './retry';
import { DISTRIBUTE_IMAGE_RESOURCE_TYPE, PATCH_RESOURCE_TYPE } from '../src/private/handler-contract';
import { ORGANIZATION_TARGETS_RESOURCE_TYPE } from '../src/private/organization-contract';

export interface EntryPoints {
  onEvent(event: CdkCustomResourceEvent, context?: Partial<InvocationContext>): Promise<CdkCustomResourceResponse>;
  isComplete(event: CdkCustomResourceIsCompleteEvent, context?: Partial<InvocationContext>): Promise<CdkCustomResourceIsCompleteResponse>;
}

/**
 * The entry points, each event passed to its handler with `seams` (tests: backoff, clock, log) and its deadline.
 * Lambda calls the ones below, made without seams.
 */
export function entryPoints(seams: HandlerOptions = {}): EntryPoints {
  const optionsOf = (context?: Partial<InvocationContext>): HandlerOptions => {
    const deadline = eventDeadline(context) ?? seams.deadline;
    return deadline === undefined ? seams : { ...seams, deadline };
  };
  return {
    onEvent: (event, context) => answer(event, optionsOf(context), (options) => {
      switch (event.ResourceType) {
        case PATCH_RESOURCE_TYPE:
          return patch.onEvent(event, options);
        case DISTRIBUTE_IMAGE_RESOURCE_TYPE:
          return distributeImage.onEvent(event, options);
        case ORGANIZATION_TARGETS_RESOURCE_TYPE:
          return organizationTargets.onEvent(event, options);
        default:
          throw new Error(`Unsupported resource type ${event.ResourceType}; expected ${PATCH_RESOURCE_TYPE} or ${DISTRIBUTE_IMAGE_RESOURCE_TYPE}`);
      }
    }),
    isComplete: (event, context) => answer(event, optionsOf(context), async (options) => {
      switch (event.ResourceType) {
        case DISTRIBUTE_IMAGE_RESOURCE_TYPE:
          return distributeImage.isComplete(event, options);
        default:
          // Patches have no waiter (src/private/provider.ts); one that had is finished when onEvent returns.
          return { IsComplete: true };
      }
    }),
  };
}

/**
 * `handle`'s answer to the event; a failure as the Provider framework's FAILED response must carry it: within
 * CloudFormation's 4096 bytes (errors.ts forCloudFormation).
 */
async function answer<T>(event: ResponseFields, options: HandlerOptions, handle: (options: HandlerOptions) => Promise<T>): Promise<T> {
  try {
    return await handle(options);
  } catch (err) {
    throw forCloudFormation(err, event, logOf(options));
  }
}

export const { onEvent, isComplete } = entryPoints();
