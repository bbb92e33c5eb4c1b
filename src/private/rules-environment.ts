import { Resource, Stack, Token } from 'aws-cdk-lib';
import type { IResource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { reportRule, Rule, RULES } from './rules';
import type { ValidationErrors } from './validation';

/*
 * What synth knows about where a resource is (Region and account) and whom a role trusts: the facts the rules of
 * consistency across constructs compare. Every answer can be "unknown"; the rules then warn instead of guessing.
 */

/** Where a resource is, when synth knows it. */
export interface KnownEnvironment {
  readonly region: string;
  readonly account: string;
}

/**
 * The environment of `resource`, when synth knows it: a resource created in the app is in its stack's environment; an
 * import is where its literal ARN says (`arn`), or where `fromXxxArn` put it when that differs from the stack's. An
 * import that took its stack's environment by default (by name or ID) gives undefined: it may be anywhere.
 */
export function knownEnvironment(resource: IResource, arn?: string): KnownEnvironment | undefined {
  if (Resource.isOwnedResource(resource)) return { region: resource.env.region, account: resource.env.account };
  const fromArn = arn !== undefined ? environmentOfArn(arn) : undefined;
  if (fromArn) return fromArn;
  const stack = Stack.of(resource);
  if (resource.env.region !== stack.region || resource.env.account !== stack.account) {
    return { region: resource.env.region, account: resource.env.account };
  }
  return undefined;
}

/**
 * Region and account of an ARN whose Region and account fields are literal (the partition may be a token, as in the
 * ARNs `Stack.formatArn` builds for imports by name); undefined for other tokens and strings that are not ARNs.
 */
export function environmentOfArn(arn: string): KnownEnvironment | undefined {
  // A token's string form holds no ':', so the fields of a partly resolved ARN are where they will be.
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [region, account] = [parts[3], parts[4]];
  if (Token.isUnresolved(region) || Token.isUnresolved(account)) return undefined;
  return { region, account };
}

/** `same`, `different`, or `unknown` when either side is a token that is not the same token. */
export type Comparison = 'same' | 'different' | 'unknown';

export function compare(a: string, b: string): Comparison {
  if (a === b) return 'same';
  if (Token.isUnresolved(a) || Token.isUnresolved(b)) return 'unknown';
  return 'different';
}

/** A value for a message: the literal, or what it stands for when it is a token. */
export function shown(value: string, what: string): string {
  return Token.isUnresolved(value) ? `${what} (a deploy-time value)` : value;
}

/**
 * Whether a role trusts `service` to assume it: true or false for an `iam.Role` created in the app (its trust policy
 * is read), undefined for any other role (imported: its trust policy is not in the app).
 */
export function trustsService(role: iam.IRole, service: string): boolean | undefined {
  if (!(role instanceof iam.Role) || !Resource.isOwnedResource(role) || !role.assumeRolePolicy) return undefined;
  let document: any;
  try {
    document = Stack.of(role).resolve(role.assumeRolePolicy.toJSON());
  } catch {
    return undefined;
  }
  let undecided = false;
  for (const statement of document?.Statement ?? []) {
    if (statement.Effect !== 'Allow') continue;
    const actions = ([] as unknown[]).concat(statement.Action ?? []);
    if (!actions.some(a => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*')) continue;
    const services = ([] as unknown[]).concat(statement.Principal?.Service ?? []);
    if (services.some(s => s === service)) return true;
    if (services.some(s => typeof s !== 'string')) undecided = true;
  }
  // Conditions (such as aws:SourceAccount) restrict the trust but do not take it away: they are not evaluated here.
  return undecided ? undefined : false;
}

/**
 * A role created in the app must trust the service that assumes it (an error otherwise); an imported role's trust
 * policy is not known at synth (a warning).
 */
export function validateRoleTrust(
  errors: ValidationErrors, warn: (rule: Rule, message: string) => void, path: string, role: iam.IRole, service: string, rule: Rule, why: string,
): void {
  const trusted = trustsService(role, service);
  if (trusted === false) {
    reportRule(errors, rule, path, `the role ${role.node.path} does not trust ${service} (${why}): `
      + `give it assumedBy: new iam.ServicePrincipal('${service}') (or add that principal to its trust policy)`);
  } else if (trusted === undefined) {
    warn(RULES.roleTrustUnknown, `${path}: the trust policy of ${shown(role.roleName, 'the imported role')} is not known at synth; `
      + `${why}, so it must trust ${service}. Checked at deploy time.`);
  }
}
