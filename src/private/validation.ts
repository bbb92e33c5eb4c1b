import { ArnFormat, Stack, TagManager, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ACCOUNT_ID_PATTERN, REGION_PATTERN, TAG_KEY_PATTERN } from './patterns';
import { reportRule, RULES } from './rules';

/**
 * Collects every validation problem of a construct with the path of the prop that caused it, so that a user sees
 * all of them in one synth instead of fixing them one at a time.
 *
 * Values that are unresolved tokens are never rejected: they are only known at deploy time.
 */
export class ValidationErrors {
  private readonly errors: string[] = [];

  /** Records that `value` at `path` is invalid; `allowed` says what would be accepted. */
  public add(path: string, value: unknown, allowed: string): void {
    this.errors.push(`${path}: ${describe(value)} is invalid; ${allowed}`);
  }

  /** Records a problem that is not about one value (for example two props that exclude each other). */
  public addMessage(path: string, message: string): void {
    this.errors.push(`${path}: ${message}`);
  }

  public get messages(): string[] {
    return [...this.errors];
  }

  public get hasErrors(): boolean {
    return this.errors.length > 0;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    const s = JSON.stringify(value);
    return s.length > 120 ? `${s.slice(0, 117)}...` : s;
  } catch {
    return String(value);
  }
}

/** True for a value (or any part of a list or object) that is not known until deploy time. */
export function isUnresolved(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  return Token.isUnresolved(value);
}

// Image Builder's tag rules (TagResource / DistributeImage): at most 50, key 1-128, value 0-256.
export const MAX_TAGS = 50;

export function validateLength(errors: ValidationErrors, path: string, value: string | undefined, min: number, max: number): void {
  if (value === undefined || isUnresolved(value)) return;
  if (value.length < min || value.length > max) {
    errors.add(path, value, `must be ${min} to ${max} characters long (got ${value.length})`);
  }
}

export function validatePattern(errors: ValidationErrors, path: string, value: string | undefined, pattern: RegExp, allowed: string): void {
  if (value === undefined || isUnresolved(value)) return;
  if (!pattern.test(value)) {
    errors.add(path, value, allowed);
  }
}

export function validateRange(errors: ValidationErrors, path: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    errors.add(path, value, `must be an integer from ${min} to ${max}`);
  }
}

export function validateAccountId(errors: ValidationErrors, path: string, accountId: string | undefined): void {
  validatePattern(errors, path, accountId, ACCOUNT_ID_PATTERN, 'must be a 12-digit AWS account ID');
}

export function validateAccountIds(errors: ValidationErrors, path: string, accountIds: string[] | undefined): void {
  if (accountIds === undefined || isUnresolved(accountIds)) return;
  validateNotEmpty(errors, path, accountIds);
  accountIds.forEach((id, i) => validateAccountId(errors, `${path}[${i}]`, id));
  validateUnique(errors, path, accountIds);
}

/**
 * An enum or enum-like value must be one of `allowed`. TypeScript checks enums at compile time, but jsii callers in
 * Python, Java, .NET, Go and plain JavaScript can pass any string.
 */
export function validateEnum(errors: ValidationErrors, path: string, value: unknown, allowed: readonly string[], type: string): void {
  if (value === undefined || isUnresolved(value)) return;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    reportRule(errors, RULES.enumValue, path, `${describe(value)} is not a ${type}; use one of ${allowed.map(a => JSON.stringify(a)).join(', ')}`);
  }
}

export function validateRegion(errors: ValidationErrors, path: string, region: string | undefined): void {
  validatePattern(errors, path, region, REGION_PATTERN, 'must be an AWS Region name such as "us-east-1"');
}

/** An explicitly given list must not be empty: the API rejects (or silently ignores) empty lists. */
export function validateNotEmpty(errors: ValidationErrors, path: string, list: readonly unknown[] | undefined): void {
  if (list === undefined || isUnresolved(list)) return;
  if (list.length === 0) {
    errors.addMessage(path, 'must not be an empty list; omit it instead');
  }
}

export function validateMaxItems(errors: ValidationErrors, path: string, list: readonly unknown[] | undefined, max: number): void {
  if (list === undefined || isUnresolved(list)) return;
  if (list.length > max) {
    errors.addMessage(path, `has ${list.length} items; at most ${max} are allowed`);
  }
}

export function validateUnique(errors: ValidationErrors, path: string, list: readonly string[] | undefined): void {
  if (list === undefined || isUnresolved(list)) return;
  const seen = new Set<string>();
  for (const item of list) {
    if (isUnresolved(item)) continue;
    if (seen.has(item)) {
      errors.add(path, item, 'each value may appear only once');
    }
    seen.add(item);
  }
}

export interface TagRules {
  /** @default 50 */
  readonly maxTags?: number;

  /**
   * Whether EC2 applies the tags too (amiTags, the tags of build instances): EC2 reserves "aws:" in any case, where
   * Image Builder's model reserves only the lowercase prefix.
   *
   * @default false
   */
  readonly ec2?: boolean;

  /**
   * Whether an empty map is fine. A map given as a prop must not be empty (omit it instead), but the merged tag set
   * of a resource may be: it then simply has no tags.
   *
   * @default false
   */
  readonly allowEmpty?: boolean;
}

/**
 * Image Builder's tag rules: at least one tag (unless `rules.allowEmpty`) and at most 50; keys 1-128 characters of
 * letters, digits, spaces and `_.:/=+-@`, not starting with `aws:` (the model's pattern is case-sensitive, so `AWS:x`
 * is accepted unless `rules.ec2`); values at most 256 characters.
 */
export function validateTags(errors: ValidationErrors, path: string, tags: Record<string, string> | undefined, rules: TagRules = {}): void {
  if (tags === undefined || isUnresolved(tags)) return;
  const max = rules.maxTags ?? MAX_TAGS;
  const keys = Object.keys(tags);
  if (keys.length === 0 && !rules.allowEmpty) {
    errors.add(path, tags, 'must have at least one tag, or be left out');
  }
  if (keys.length > max) {
    errors.addMessage(path, `has ${keys.length} tags; at most ${max} are allowed`);
  }
  for (const key of keys) {
    if (isUnresolved(key)) continue;
    if (key.length < 1 || key.length > 128) {
      errors.add(`${path}.${key}`, key, `tag keys must be 1 to 128 characters long (got ${key.length})`);
    } else if (key.startsWith('aws:')) {
      errors.add(`${path}.${key}`, key, 'tag keys must not start with the reserved prefix "aws:"');
    } else if (rules.ec2 && key.toLowerCase().startsWith('aws:')) {
      reportRule(errors, RULES.ec2TagKeys, `${path}.${key}`,
        `${JSON.stringify(key)} is invalid; EC2 applies these tags and reserves the prefix "aws:" in any case (AWS:, Aws:)`);
    } else if (!TAG_KEY_PATTERN.test(key)) {
      errors.add(`${path}.${key}`, key, 'tag keys may contain only letters, digits, spaces and _ . : / = + - @');
    }
    const value = tags[key];
    if (value !== undefined && !isUnresolved(value) && value.length > 256) {
      errors.add(`${path}.${key}`, value, `tag values must be at most 256 characters long (got ${value.length})`);
    }
  }
}

/**
 * Validates the tags a resource renders: the `tags` prop merged with the tags that `Tags.of(...)` added. Call it from a
 * validation (`addValidation`): validations run after aspects, so the tag manager holds the merged set by then, with
 * the priorities and removals aws-cdk-lib applies when it renders the template.
 *
 * The prop must not be an empty map; the merged set may be empty (the resource then has no tags). Problems are reported
 * under `path` (`tags`, `tags.<key>`) wherever the tag came from. A prop that is an unresolved token is skipped whole.
 */
export function validateRenderedTags(
  errors: ValidationErrors, path: string, given: Record<string, string> | undefined, manager: TagManager, rules: TagRules = {},
): void {
  if (given !== undefined && isUnresolved(given)) return;
  if (given !== undefined && Object.keys(given).length === 0) {
    validateTags(errors, path, given, rules);
  }
  validateTags(errors, path, manager.tagValues(), { ...rules, allowEmpty: true });
}

/**
 * The resource part of an Image Builder ARN for a resource name: Image Builder lowercases the name and replaces spaces
 * and underscores with hyphens (as `@aws-cdk/aws-imagebuilder-alpha` documents for every `from...Name` import).
 * Unresolved names are returned as they are.
 */
export function arnResourceName(name: string): string {
  if (Token.isUnresolved(name)) return name;
  return name.toLowerCase().replace(/[ _]/g, '-');
}

/** What an import by ARN can take from the ARN without throwing. */
export interface ImportedArn {
  /** The resource name after the `/`; for an ARN that cannot be split, the ARN itself as a placeholder. */
  readonly resourceName: string;
  /**
   * Whether the ARN could be split (always true for tokens). Only then may it be given as `environmentFromArn`:
   * aws-cdk-lib throws on ARNs it cannot split.
   */
  readonly splittable: boolean;
}

/**
 * Splits an imported ARN of the form `arn:<partition>:<service>:<region>:<account>:<resource>/<name>`. A literal that
 * is not an ARN does not throw here: the import gets a placeholder name and its validation reports the ARN at synth,
 * with the prop path and every other problem.
 */
export function splitImportedArn(scope: IConstruct, arn: string): ImportedArn {
  try {
    const resourceName = Stack.of(scope).splitArn(arn, ArnFormat.SLASH_RESOURCE_NAME).resourceName;
    return { resourceName: resourceName ?? arn, splittable: true };
  } catch {
    return { resourceName: arn, splittable: false };
  }
}

/**
 * Runs `collect` when the app synthesizes, so that values added after construction (addXxx methods) are checked too.
 * CDK reports every message with the construct path.
 */
export function addValidation(scope: IConstruct, collect: (errors: ValidationErrors) => void): void {
  scope.node.addValidation({
    validate: () => {
      const errors = new ValidationErrors();
      collect(errors);
      return errors.messages;
    },
  });
}
