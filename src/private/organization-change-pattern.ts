import type * as events from 'aws-cdk-lib/aws-events';

/**
 * The Organizations API calls (delivered to EventBridge by CloudTrail) after which the accounts of an OU may differ:
 * accounts created, invited, moved, removed or closed.
 */
export const ORGANIZATION_CHANGE_EVENT_NAMES = [
  'CreateAccountResult',
  'AcceptHandshake',
  'MoveAccount',
  'RemoveAccountFromOrganization',
  'LeaveOrganization',
  'CloseAccount',
];

/**
 * The pattern of those events, on the management account's bus (`account` undefined) and as forwarded copies from
 * `account` on a distributing account's bus.
 */
export function organizationChangePattern(account?: string): events.EventPattern {
  return {
    source: ['aws.organizations'],
    ...(account ? { account: [account] } : {}),
    detail: { eventSource: ['organizations.amazonaws.com'], eventName: ORGANIZATION_CHANGE_EVENT_NAMES },
  };
}
