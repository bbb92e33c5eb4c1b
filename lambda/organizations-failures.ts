// What to do about the Organizations and STS answers that mean the organization is read by the wrong account or role:
// the service's own message names neither the role nor the fix, and these are a setup's usual mistakes.
import { CallFailure, errorName } from './errors';
import { ORGANIZATIONS_READ_ACTIONS } from '../src/private/organizations-actions';

const HINTS: Record<string, string> = {
  AWSOrganizationsNotInUseException: 'The account whose credentials made the call belongs to no organization: OrganizationsRoleArn must name '
    + 'a role in the organization\'s management account or a delegated administrator (OrganizationsReaderRole), or, without '
    + 'OrganizationsRoleArn, the stack must be in that account.',
  AccessDeniedException: 'Organizations lists OUs and accounts only to the management account or a delegated administrator, and only to '
    + `principals allowed ${ORGANIZATIONS_READ_ACTIONS.join(', ')}: OrganizationsRoleArn should be the OrganizationsReaderRole of that account.`,
  // STS: the reader role's trust policy does not let this resource's role assume it.
  AccessDenied: 'The role in the management account must trust this resource\'s role: OrganizationsReaderRole\'s distributingAccountIds '
    + 'must include this stack\'s account, and this resource\'s role must be allowed sts:AssumeRole on it.',
};

/** `err` (a failure `call` described, the service's error as its cause) with what to do about it, when known. */
export function explainOrganizationsFailure(err: unknown): unknown {
  const hint = HINTS[errorName((err as Error)?.cause ?? err)];
  if (!hint || !(err instanceof Error)) return err;
  return new CallFailure(`${err.message.replace(/\.?$/, '.')} ${hint}`, { cause: err.cause ?? err });
}
