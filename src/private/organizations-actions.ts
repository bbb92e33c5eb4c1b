/**
 * The AWS Organizations actions the handler's resolution of target accounts calls (lambda/organization-targets.ts),
 * defined once for the role that makes them (OrganizationsReaderRole, or the resource's own role in the management
 * account) and the tests that check it.
 */
export const ORGANIZATIONS_READ_ACTIONS = [
  'organizations:ListAccounts',
  'organizations:ListAccountsForParent',
  'organizations:ListChildren',
] as const;
