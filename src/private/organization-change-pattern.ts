import type * as events from 'aws-cdk-lib/aws-events';

/**
 * The Organizations events, on the management account's bus in us-east-1, after which the accounts of an OU may
 * differ: API calls the management account makes (MoveAccount, RemoveAccountFromOrganization, CloseAccount), the
 * completion of CreateAccount (CreateAccountResult, a service event: CreateAccount itself returns before the account
 * exists), and the membership events Organizations logs in the management account for every join and departure
 * (AccountJoinedOrganization, AccountDepartedOrganization). The membership events are what covers invitations and
 * voluntary departures: AcceptHandshake and LeaveOrganization are called by the member account, so CloudTrail delivers
 * them to the member's bus, never to the management account's.
 */
export const ORGANIZATION_CHANGE_EVENT_NAMES = [
  'CreateAccountResult',
  'AccountJoinedOrganization',
  'AccountDepartedOrganization',
  'MoveAccount',
  'RemoveAccountFromOrganization',
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
