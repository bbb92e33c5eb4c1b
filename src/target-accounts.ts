import { MAX_TARGET_ACCOUNTS, TargetAccountsQuery } from './private/organization-contract';
import { ORGANIZATIONAL_UNIT_ID_PATTERN, ROOT_ID_PATTERN } from './private/organizations-ids';
import { ACCOUNT_ID_PATTERN } from './private/patterns';
import { isUnresolved, validateMaxItems, validateNotEmpty, validatePattern, validateUnique, ValidationErrors } from './private/validation';

/**
 * The state of an account in AWS Organizations (the API's `AccountState`).
 */
export enum AccountState {
  /** The account is being created or invited and cannot be used yet. */
  PENDING_ACTIVATION = 'PENDING_ACTIVATION',
  /** The account is in use. */
  ACTIVE = 'ACTIVE',
  /** The account is suspended by AWS: nothing can be launched in it. */
  SUSPENDED = 'SUSPENDED',
  /** The account is being closed. */
  PENDING_CLOSURE = 'PENDING_CLOSURE',
  /** The account is closed. */
  CLOSED = 'CLOSED',
}

/**
 * What every organization source of target accounts takes.
 */
export interface OrganizationAccountsOptions {
  /**
   * Accounts (12-digit IDs) and organizational units (`ou-...` IDs, with every OU and account below them) to leave
   * out, e.g. the management account, a sandbox OU, or accounts being decommissioned.
   *
   * @default - nothing is left out
   */
  readonly exclude?: string[];

  /**
   * Only accounts in one of these states are targets. An account that is not ACTIVE cannot receive a copy of the
   * AMI: Image Builder's distribution to it fails.
   *
   * @default [AccountState.ACTIVE]
   */
  readonly states?: AccountState[];
}

/**
 * Options of `TargetAccounts.fromOrganizationalUnits`.
 */
export interface OrganizationalUnitAccountsOptions extends OrganizationAccountsOptions {
  /**
   * Whether the accounts of nested OUs (at any depth) are targets too, or only the accounts directly in the given
   * OUs.
   *
   * @default true
   */
  readonly recursive?: boolean;
}

/**
 * The accounts a distribution copies AMIs into: account IDs given literally, or the accounts of organizational units
 * or of the whole organization, resolved from AWS Organizations at deploy time (and, optionally, on a schedule) by
 * `OrganizationDistributionTargets`.
 */
export class TargetAccounts {
  /**
   * These accounts, as they are.
   *
   * @param accountIds 12-digit account IDs.
   */
  public static fromAccountIds(accountIds: string[]): TargetAccounts {
    return new TargetAccounts('accountIds', [...accountIds], [], false, false, {});
  }

  /**
   * The accounts in these organizational units (or roots), by default with those of their nested OUs.
   *
   * @param organizationalUnitIds OU IDs (`ou-abcd-12345678`) or root IDs (`r-abcd`).
   */
  public static fromOrganizationalUnits(organizationalUnitIds: string[], options: OrganizationalUnitAccountsOptions = {}): TargetAccounts {
    return new TargetAccounts('organizationalUnitIds', [], [...organizationalUnitIds], options.recursive ?? true, false, options);
  }

  /**
   * Every account of the organization.
   */
  public static fromOrganization(options: OrganizationAccountsOptions = {}): TargetAccounts {
    return new TargetAccounts('organization', [], [], true, true, options);
  }

  /** Account IDs given literally (empty for an organization source). */
  public readonly accountIds: string[];
  /** OU or root IDs whose accounts are resolved at deploy time (empty for literal IDs and the whole organization). */
  public readonly organizationalUnitIds: string[];
  /** Whether nested OUs count. */
  public readonly recursive: boolean;
  /** Whether the whole organization is meant. */
  public readonly wholeOrganization: boolean;
  /** Accounts and OUs left out. */
  public readonly exclude: string[];
  /** Account states that count. */
  public readonly states: AccountState[];

  private constructor(
    private readonly kind: string, accountIds: string[], parents: string[], recursive: boolean, organization: boolean,
    options: OrganizationAccountsOptions,
  ) {
    this.accountIds = accountIds;
    this.organizationalUnitIds = parents;
    this.recursive = recursive;
    this.wholeOrganization = organization;
    this.exclude = [...options.exclude ?? []];
    this.states = [...options.states ?? [AccountState.ACTIVE]];
  }

  /** Whether Organizations must be asked (at deploy time) for the accounts. */
  public get needsOrganizations(): boolean {
    return this.wholeOrganization || this.organizationalUnitIds.length > 0;
  }

  /** The query the handler resolves. @internal */
  public _query(): TargetAccountsQuery {
    return {
      accountIds: this.accountIds,
      parents: this.organizationalUnitIds,
      recursive: this.recursive,
      organization: this.wholeOrganization,
      exclude: this.exclude,
      states: this.states,
    };
  }

  /** Every error of this source, with its path under `path`. @internal */
  public _validate(errors: ValidationErrors, path: string): void {
    if (this.kind === 'accountIds') {
      validateNotEmpty(errors, `${path}.accountIds`, this.accountIds);
      validateMaxItems(errors, `${path}.accountIds`, this.accountIds, MAX_TARGET_ACCOUNTS);
      this.accountIds.forEach((id, i) => validatePattern(errors, `${path}.accountIds[${i}]`, id, ACCOUNT_ID_PATTERN, 'must be a 12-digit AWS account ID'));
      validateUnique(errors, `${path}.accountIds`, this.accountIds);
    }
    if (this.kind === 'organizationalUnitIds') {
      validateNotEmpty(errors, `${path}.organizationalUnitIds`, this.organizationalUnitIds);
      this.organizationalUnitIds.forEach((id, i) => {
        if (isUnresolved(id)) return;
        if (!ORGANIZATIONAL_UNIT_ID_PATTERN.test(id) && !ROOT_ID_PATTERN.test(id)) {
          errors.add(`${path}.organizationalUnitIds[${i}]`, id, 'must be an organizational unit ID ("ou-" then 4 to 32 lowercase letters or '
            + 'digits, "-", 8 to 32 more) or a root ID ("r-" then 4 to 32 lowercase letters or digits)');
        }
      });
      validateUnique(errors, `${path}.organizationalUnitIds`, this.organizationalUnitIds);
    }
    this.exclude.forEach((id, i) => {
      if (isUnresolved(id)) return;
      if (!ACCOUNT_ID_PATTERN.test(id) && !ORGANIZATIONAL_UNIT_ID_PATTERN.test(id)) {
        errors.add(`${path}.exclude[${i}]`, id, 'must be a 12-digit account ID or an organizational unit ID ("ou-...")');
      } else if (this.organizationalUnitIds.includes(id)) {
        errors.add(`${path}.exclude[${i}]`, id, 'excludes an organizational unit that is itself a target; remove it from one of the two');
      }
    });
    validateUnique(errors, `${path}.exclude`, this.exclude);
    if (this.kind === 'accountIds' && this.exclude.length > 0) {
      errors.addMessage(`${path}.exclude`, 'only applies to organization sources; leave the accounts out of the list instead');
    }
    validateNotEmpty(errors, `${path}.states`, this.states);
    const known = Object.values(AccountState) as string[];
    this.states.forEach((s, i) => {
      if (!isUnresolved(s) && !known.includes(s)) errors.add(`${path}.states[${i}]`, s, `must be one of ${known.join(', ')}`);
    });
    validateUnique(errors, `${path}.states`, this.states);
  }
}
