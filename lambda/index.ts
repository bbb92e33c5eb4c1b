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
    async onEvent(event, context) {
      const options = optionsOf(context);
      try {
        switch (event.ResourceType) {
          case PATCH_RESOURCE_TYPE:
            return await patch.onEvent(event, options);
          case DISTRIBUTE_IMAGE_RESOURCE_TYPE:
            return await distributeImage.onEvent(event, options);
          case ORGANIZATION_TARGETS_RESOURCE_TYPE:
            return await organizationTargets.onEvent(event, options);
          default:
            throw new Error(`Unsupported resource type ${event.ResourceType}; expected ${PATCH_RESOURCE_TYPE} or ${DISTRIBUTE_IMAGE_RESOURCE_TYPE}`);
        }
      } catch (err) {
        // The framework's FAILED response carries the message: it must fit CloudFormation's 4096 bytes.
        throw forCloudFormation(err, event as ResponseFields, logOf(options));
      }
    },
    async isComplete(event, context) {
      const options = optionsOf(context);
      try {
        switch (event.ResourceType) {
          case DISTRIBUTE_IMAGE_RESOURCE_TYPE:
            return await distributeImage.isComplete(event, options);
          default:
            // Patches have no waiter (src/private/provider.ts); one that had is finished when onEvent returns.
            return { IsComplete: true };
        }
      } catch (err) {
        throw forCloudFormation(err, event as ResponseFields, logOf(options));
      }
    },
  };
}

export const { onEvent, isComplete } = entryPoints();
