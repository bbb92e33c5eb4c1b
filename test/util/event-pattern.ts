/**
 * Amazon EventBridge's event-pattern matching, for tests that deliver events to the rules the constructs synthesize.
 * No maintained JavaScript implementation of it is published (AWS's own, event-ruler, is Java; the service's
 * TestEventPattern API needs AWS), so this one follows the EventBridge User Guide's "Event patterns" and "Content
 * filtering" pages, operator by operator, and refuses what it does not implement (cidr) or EventBridge would reject
 * (a leaf that is not a non-empty array, an unknown operator) rather than guess. Usage:
 *   matches(pattern, event)          // pattern: the rule's EventPattern (object or JSON string)
 *
 * Semantics: every field of the pattern must match (AND); a leaf is a list of matchers, of which one must match (OR);
 * a nested object matches the event's object at that key; when the event's value is a list, one of its items must
 * match. A field absent from the event matches only `{ "exists": false }`. `$or` holds alternative sub-patterns.
 * Matchers: a string, number, boolean or null (equal: strings case-sensitive, numbers by value), `prefix`, `suffix`,
 * `anything-but` (a value, a list, or a prefix, suffix, equals-ignore-case or wildcard), `numeric`, `exists`,
 * `equals-ignore-case`, `wildcard`.
 */

export class InvalidEventPattern extends Error {}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const ABSENT = Symbol('absent');
type Value = Json | typeof ABSENT;

export function matches(pattern: object | string, event: object): boolean {
  const p = typeof pattern === 'string' ? JSON.parse(pattern) : pattern;
  validate(p, '');
  return matchObject(p, event as Json);
}

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Refuses what EventBridge refuses: leaves that are not non-empty lists, unknown operators. */
function validate(pattern: unknown, path: string): void {
  if (!isObject(pattern)) throw new InvalidEventPattern(`${path || 'the pattern'} must be an object`);
  for (const [key, value] of Object.entries(pattern)) {
    const at = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) throw new InvalidEventPattern(`${at} must list at least two sub-patterns`);
      value.forEach((alternative, i) => validate(alternative, `${at}[${i}]`));
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new InvalidEventPattern(`${at} is an empty list: it would match nothing`);
      value.forEach((m) => {
        if (isObject(m)) validateOperator(m, at);
        else if (Array.isArray(m)) throw new InvalidEventPattern(`${at}: a list inside a list`);
      });
    } else if (isObject(value)) {
      validate(value, at);
    } else {
      throw new InvalidEventPattern(`${at}: ${JSON.stringify(value)} is not a list of values to match`);
    }
  }
}

const OPERATORS = new Set(['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case', 'wildcard']);

function validateOperator(m: Record<string, Json>, at: string): void {
  const keys = Object.keys(m);
  if (keys.length !== 1) throw new InvalidEventPattern(`${at}: a matcher has one operator, got ${keys.join(', ')}`);
  if (keys[0] === 'cidr') throw new InvalidEventPattern(`${at}: cidr is not implemented by this matcher`);
  if (!OPERATORS.has(keys[0])) throw new InvalidEventPattern(`${at}: unknown operator ${keys[0]}`);
}

function matchObject(pattern: Record<string, Json>, event: Json): boolean {
  if (!isObject(event)) return false;
  return Object.entries(pattern).every(([key, p]) => {
    if (key === '$or') return (p as Json[]).some((alternative) => matchObject(alternative as Record<string, Json>, event));
    const value: Value = key in event ? event[key] : ABSENT;
    if (isObject(p)) {
      if (value === ABSENT) return false;
      return Array.isArray(value) ? value.some((v) => matchObject(p, v)) : matchObject(p, value);
    }
    return (p as Json[]).some((m) => matchLeaf(m, value));
  });
}

function matchLeaf(m: Json, value: Value): boolean {
  if (isObject(m) && 'exists' in m) {
    const present = value !== ABSENT && !(Array.isArray(value) && value.length === 0) && !isObject(value);
    return m.exists === present;
  }
  if (value === ABSENT) return false;
  if (Array.isArray(value)) return value.some((v) => matchLeaf(m, v));
  if (!isObject(m)) return equal(m, value);
  const [op, arg] = Object.entries(m)[0];
  switch (op) {
    case 'prefix': return typeof value === 'string' && affix(arg, value, (v, a) => v.startsWith(a));
    case 'suffix': return typeof value === 'string' && affix(arg, value, (v, a) => v.endsWith(a));
    case 'equals-ignore-case': return typeof value === 'string' && typeof arg === 'string' && value.toLowerCase() === arg.toLowerCase();
    case 'wildcard': return typeof value === 'string' && typeof arg === 'string' && wildcard(arg).test(value);
    case 'numeric': return typeof value === 'number' && numeric(arg as Json[], value);
    case 'anything-but': {
      if (isObject(arg)) return !matchLeaf(arg, value);
      const excluded = Array.isArray(arg) ? arg : [arg];
      return !excluded.some((x) => equal(x, value));
    }
  }
  throw new InvalidEventPattern(`unknown operator ${op}`);
}

/** prefix/suffix of a string, or `{ "equals-ignore-case": ... }` of one. */
function affix(arg: Json, value: string, test: (v: string, a: string) => boolean): boolean {
  if (typeof arg === 'string') return test(value, arg);
  if (isObject(arg) && typeof arg['equals-ignore-case'] === 'string') return test(value.toLowerCase(), arg['equals-ignore-case'].toLowerCase());
  throw new InvalidEventPattern(`prefix/suffix of ${JSON.stringify(arg)}`);
}

function equal(a: Json, b: Json): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  return a === b;
}

function wildcard(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === '\\' && (glob[i + 1] === '*' || glob[i + 1] === '\\')) re += `\\${glob[++i]}`;
    else if (glob[i] === '*') re += '.*';
    else re += glob[i].replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

function numeric(conditions: Json[], value: number): boolean {
  if (conditions.length % 2 !== 0) throw new InvalidEventPattern(`numeric ${JSON.stringify(conditions)}: operator and number pairs`);
  for (let i = 0; i < conditions.length; i += 2) {
    const [op, n] = [conditions[i], conditions[i + 1]];
    if (typeof n !== 'number') throw new InvalidEventPattern(`numeric: ${JSON.stringify(n)} is not a number`);
    const ok = op === '<' ? value < n : op === '<=' ? value <= n : op === '>' ? value > n : op === '>=' ? value >= n : op === '=' ? value === n : undefined;
    if (ok === undefined) throw new InvalidEventPattern(`numeric: unknown comparison ${JSON.stringify(op)}`);
    if (!ok) return false;
  }
  return true;
}
