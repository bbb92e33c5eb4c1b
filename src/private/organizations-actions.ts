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

/**
 * Why these actions are granted on "*": ListAccounts has no resource type, and ListChildren and ListAccountsForParent
 * are listed on roots and OUs of an organization whose ID the distributing stack does not know; all three only read
 * the organization's structure.
 */
export const ORGANIZATIONS_WILDCARD_REASON = 'ListAccounts takes no resource; ListChildren and ListAccountsForParent '
  + 'act on roots and OUs of an organization whose ID is not known here. All three only read the organization\'s structure.';
