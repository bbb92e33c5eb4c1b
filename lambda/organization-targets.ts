// Custom::ImageBuilderOrganizationTargets: the target accounts of a distribution configuration's AMI distributions,
// resolved from AWS Organizations at deploy time, then written through the patch's own path (distribution-configuration-patch.ts):
// the same lease, the same stored baseline, the same three-way undo. The resolved accounts become the patch's merge of
// `targetAccountIds`; on the next resolution the previous patch is undone (accounts that left are removed) and the new
// one applied, while accounts others added to the configuration stay.
//
// Organizations answers only in the management account or a delegated administrator: the resource's own role (the
// handler's usual credentials for the resource) assumes OrganizationsRoleArn there, a role chain, so the resource's
// role is the only principal the management account has to trust.
//
// With DistributionRoleCheck, the resolved accounts are checked for a distribution role this account may assume
// (distribution-role-check.ts) before anything is written, and those without one are reported, left out, or refused.
import { createHash, randomUUID } from 'crypto';
import { partition } from '@aws-sdk/util-endpoints';
import type { CdkCustomResourceEvent, CdkCustomResourceResponse } from 'aws-lambda';
import { AwsCredentials, JsonClient, lambdaRegion, QueryClient, requestTimeoutMs } from './aws-request';
import { findEntry, readBaseline } from './baseline';
import * as clients from './clients';
import { parseAssumeRoleResponse, roleSessionName, stsEndpoint, STS_API_VERSION, TemporaryCredentials, REFRESH_MARGIN_MS } from './credentials';
import * as patch from './distribution-configuration-patch';
import { checkDistributionRoles } from './distribution-role-check';
import { call } from './errors';
import type { HandlerOptions } from './handler-options';
import { Log, logOf } from './log';
import { explainOrganizationsFailure } from './organizations-failures';
import { semaphore } from './semaphore';
import { CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME, PatchDocument } from '../src/private/handler-contract';
import {
  DISTRIBUTION_ROLE_CHECKS, DistributionRoleCheckMode, MAX_TARGET_ACCOUNTS, ORGANIZATION_TARGETS_METRICS, OrganizationTargetsAttributes,
  OrganizationTargetsResourceProperties, TargetAccountsQuery,
} from '../src/private/organization-contract';

export const ORGANIZATIONS_TARGET_PREFIX = 'AWSOrganizationsV20161128';
/** The largest page Organizations' List operations give (the model's MaxResults max). */
export const PAGE_SIZE = 20;
/** OUs listed at the same time: Organizations throttles per account at a few requests per second. */
export const CONCURRENCY = 4;
/**
 * Above this many bytes the AccountIds attribute (with MissingRoleAccountIds, which shares the room) is left empty: a
 * custom resource's whole answer is at most 4096 bytes.
 */
export const MAX_ACCOUNT_IDS_ATTRIBUTE_BYTES = 2600;
/** Above this many bytes (30 accounts) the MissingRoleAccountIds attribute is left empty. */
export const MAX_MISSING_ROLE_ACCOUNT_IDS_BYTES = 389;
/** Accounts a FAIL of the distribution role check names in its message (the log names all). */
const MAX_NAMED_MISSING_ACCOUNTS = 20;

export async function onEvent(event: CdkCustomResourceEvent, options: HandlerOptions = {}): Promise<CdkCustomResourceResponse> {
  if ((event as { Refresh?: unknown }).Refresh === true) return refresh(event, options);
  return resolveAndApply(event, options, false);
}

/**
 * The scheduled refresh (OrganizationTargetsRefreshEvent): an Update with the resource's own properties as old and
 * new, so the previous resolution (in the baseline) is undone and the new one applied, and nothing is written when the
 * set did not change. Its outcome is a metric (RefreshFailed), since no CloudFormation stack shows it.
 */
async function refresh(event: CdkCustomResourceEvent, options: HandlerOptions): Promise<CdkCustomResourceResponse> {
  const props = event.ResourceProperties;
  const update = {
    ...event,
    RequestType: 'Update',
    // Names the lease's holder and the role sessions in CloudTrail.
    RequestId: `refresh-${randomUUID()}`,
    OldResourceProperties: props,
  } as CdkCustomResourceEvent;
  const dimension = typeof props.MetricDimension === 'string' ? props.MetricDimension : undefined;
  const log = logOf(options);
  try {
    // Only a resource that exists is refreshed: a refresh that was already running when the stack deleted the rule
    // and the resource must not apply the accounts again (with no resource left to undo them).
    const context = clients.callContext(update, options);
    const arn = String(props.DistributionConfigurationArn);
    if (!findEntry(await readBaseline(context, String(props.BaselineParameterName)), arn, event.LogicalResourceId)) {
      context.log(`Not refreshing: no baseline of ${arn} in ${props.BaselineParameterName} (the resource is not created, or deleted)`, 'warn');
      return { PhysicalResourceId: String((event as { PhysicalResourceId?: string }).PhysicalResourceId ?? '') };
    }
    const result = await resolveAndApply(update, options, true);
    emitMetrics(log, dimension, { [ORGANIZATION_TARGETS_METRICS.REFRESH_FAILED]: 0 });
    return result;
  } catch (err) {
    emitMetrics(log, dimension, { [ORGANIZATION_TARGETS_METRICS.REFRESH_FAILED]: 1 });
    throw err;
  }
}

/** Metrics in CloudWatch's Embedded Metric Format: a log line CloudWatch Logs turns into metrics (no API call, no permission). */
export function emitMetrics(log: Log, dimension: string | undefined, values: Record<string, number>): void {
  if (!dimension) return;
  const { NAMESPACE, DIMENSION } = ORGANIZATION_TARGETS_METRICS;
  log(JSON.stringify({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: NAMESPACE, Dimensions: [[DIMENSION]], Metrics: Object.keys(values).map((Name) => ({ Name, Unit: 'Count' })) }],
    },
    [DIMENSION]: dimension,
    ...values,
  }));
}

async function resolveAndApply(
  event: CdkCustomResourceEvent, options: HandlerOptions, isRefresh: boolean,
): Promise<CdkCustomResourceResponse> {
  // The undo needs no resolution: the stored baseline holds the accounts the last resolution added.
  if (event.RequestType === 'Delete') return patch.onEvent(event, options);
  const props = readProps(event.ResourceProperties);
  const context = clients.callContext(event, options);
  const organizations = organizationsClient(context, props.OrganizationsRoleArn, roleSessionName(event.RequestId));
  let resolution: Resolution;
  try {
    resolution = await resolveTargets(organizations, props.queries, props.allowEmpty);
  } finally {
    organizations.destroy();
  }
  context.log(`Resolved ${resolution.accountIds.length} accounts with ${resolution.calls} Organizations calls: ${describeSources(resolution)}`);
  let missing: string[] | undefined;
  if (props.distributionRoleCheck) {
    ({ resolution, missing } = await applyRoleCheck(context, event, props, resolution, isRefresh ? undefined : options));
  }
  const resolved: PatchDocument = {
    distributions: props.regions.map((region) => ({
      region,
      merge: resolution.accountIds.length > 0 ? { amiDistributionConfiguration: { targetAccountIds: resolution.accountIds } } : {},
    })),
  };
  emitMetrics(context.log, props.MetricDimension, {
    [ORGANIZATION_TARGETS_METRICS.ACCOUNT_COUNT]: resolution.accountIds.length,
    ...(missing ? { [ORGANIZATION_TARGETS_METRICS.MISSING_ROLE_ACCOUNT_COUNT]: missing.length } : {}),
  });
  let result: CdkCustomResourceResponse;
  try {
    const withPatch = { ...event, ResourceProperties: { ...event.ResourceProperties, Patch: JSON.stringify(resolved) } } as CdkCustomResourceEvent;
    result = await patch.onEvent(withPatch, options);
  } catch (err) {
    // The baseline is written before the configuration: when it does not fit, nothing has changed.
    if (/exceeds the \d+-byte limit of the \d+ SSM parameters/.test((err as Error)?.message ?? '')) {
      throw new ResolutionError(`The ${resolution.accountIds.length} resolved accounts (${describeSources(resolution)}) do not fit the baseline `
        + 'this resource keeps to undo its change (the Regions\' distributions as they were before plus the resolved accounts). '
        + `Nothing was changed. Exclude OUs or accounts, or resolve fewer Regions per resource. ${(err as Error).message}`);
    }
    throw err;
  }
  return { ...result, Data: { ...result.Data, ...attributes(resolution.accountIds, missing) } };
}

/**
 * The distribution role check of the resolved accounts (lambda/distribution-role-check.ts), and what the mode does
 * with the accounts that fail it: REPORT keeps them, EXCLUDE leaves them out (an empty remainder is refused unless
 * allowed), FAIL refuses the resolution, naming them, before anything is written. The log names every such account.
 */
async function applyRoleCheck(
  context: clients.CallContext, event: CdkCustomResourceEvent, props: Props, resolution: Resolution,
  /** A deployment's options: it waits for IAM (HandlerOptions.iamWait); a refresh does not. */
  deployment: HandlerOptions | undefined,
): Promise<{ resolution: Resolution; missing: string[] }> {
  const [, arnPartition, , , distributingAccount] = String(event.ResourceProperties.DistributionConfigurationArn).split(':');
  const check = await checkDistributionRoles(context, resolution.accountIds, {
    distributingAccount,
    partition: arnPartition,
    sessionName: roleSessionName(event.RequestId),
    waitForIam: deployment !== undefined,
    iamWait: deployment?.iamWait,
  });
  const { missing } = check;
  const mode = props.distributionRoleCheck!;
  const role = `${CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME} that account ${distributingAccount} may assume`;
  context.log(`Distribution role check (${mode}): ${missing.length} of ${check.checked} accounts have no ${role}, `
    + `${check.requests} STS calls${check.throttled > 0 ? ` (${check.throttled} throttled)` : ''}`
    + `${missing.length > 0 ? `: ${missing.map((a) => `${a} (${check.reasons.get(a)})`).join(', ')}` : ''}`);
  if (missing.length === 0 || mode === 'REPORT') return { resolution, missing };
  if (mode === 'FAIL') {
    emitMetrics(context.log, props.MetricDimension, { [ORGANIZATION_TARGETS_METRICS.MISSING_ROLE_ACCOUNT_COUNT]: missing.length });
    const named = missing.slice(0, MAX_NAMED_MISSING_ACCOUNTS).join(', ');
    const more = missing.length > MAX_NAMED_MISSING_ACCOUNTS ? ` and ${missing.length - MAX_NAMED_MISSING_ACCOUNTS} more (see the log)` : '';
    throw new ResolutionError(`${missing.length} of the ${resolution.accountIds.length} resolved accounts have no ${role}: ${named}${more}. `
      + 'Image Builder\'s distribution to them would fail. Nothing was changed. Create the role there (OrganizationDistributionRoles), '
      + 'exclude the accounts, or set distributionRoleCheck to EXCLUDE or REPORT');
  }
  const left = new Set(missing);
  const accountIds = resolution.accountIds.filter((a) => !left.has(a));
  if (accountIds.length === 0 && !props.allowEmpty) {
    throw new ResolutionError(`None of the ${resolution.accountIds.length} resolved accounts has an ${role}, and the check excludes `
      + 'those that have none. Distributing to nobody is refused unless allowEmpty is set');
  }
  return { resolution: { ...resolution, accountIds }, missing };
}

interface Props {
  readonly queries: TargetAccountsQuery[];
  readonly regions: string[];
  readonly allowEmpty: boolean;
  readonly OrganizationsRoleArn?: string;
  readonly MetricDimension?: string;
  readonly distributionRoleCheck?: DistributionRoleCheckMode;
}

function readProps(raw: Record<string, any>): Props {
  const p = raw as Partial<OrganizationTargetsResourceProperties>;
  const json = (key: 'Query' | 'Regions'): unknown => {
    if (typeof p[key] !== 'string') throw new Error(`Property ${key} is required`);
    try {
      return JSON.parse(p[key]!);
    } catch (err) {
      throw new Error(`Property ${key} is not JSON: ${(err as Error).message}`);
    }
  };
  const queries = json('Query');
  const regions = json('Regions');
  if (!Array.isArray(queries) || queries.some((q) => typeof q !== 'object' || q === null || !Array.isArray(q.parents)
    || !Array.isArray(q.accountIds) || !Array.isArray(q.exclude) || !Array.isArray(q.states))) {
    throw new Error('Property Query must be a JSON list of target account queries');
  }
  if (!Array.isArray(regions) || regions.length === 0 || regions.some((r) => typeof r !== 'string' || r === '')) {
    throw new Error('Property Regions must be a JSON list of Regions');
  }
  if (p.OrganizationsRoleArn !== undefined && (typeof p.OrganizationsRoleArn !== 'string' || p.OrganizationsRoleArn === '')) {
    throw new Error('Property OrganizationsRoleArn must be a role ARN');
  }
  const check = p.DistributionRoleCheck;
  if (check !== undefined && !(DISTRIBUTION_ROLE_CHECKS as readonly string[]).includes(check)) {
    throw new Error(`Property DistributionRoleCheck must be one of ${DISTRIBUTION_ROLE_CHECKS.join(', ')} (got ${JSON.stringify(check)})`);
  }
  return {
    queries,
    regions,
    allowEmpty: p.AllowEmpty === 'true',
    distributionRoleCheck: check as DistributionRoleCheckMode | undefined,
    OrganizationsRoleArn: p.OrganizationsRoleArn,
    MetricDimension: typeof p.MetricDimension === 'string' && p.MetricDimension !== '' ? p.MetricDimension : undefined,
  };
}

/**
 * The attributes of the resolved set (count, digest, and the IDs while they fit the answer) and, when the distribution
 * role check ran, of the accounts that failed it (count, and the IDs up to {@link MAX_MISSING_ROLE_ACCOUNT_IDS_BYTES}).
 * The two ID lists share {@link MAX_ACCOUNT_IDS_ATTRIBUTE_BYTES}: the accounts that need attention are listed first.
 */
export function attributes(accountIds: readonly string[], missing?: readonly string[]): Record<string, string> {
  const sorted = [...accountIds].sort();
  const joined = sorted.join(',');
  const missingJoined = [...missing ?? []].sort().join(',');
  const missingListed = Buffer.byteLength(missingJoined) <= MAX_MISSING_ROLE_ACCOUNT_IDS_BYTES ? missingJoined : '';
  return {
    [OrganizationTargetsAttributes.ACCOUNT_COUNT]: String(sorted.length),
    [OrganizationTargetsAttributes.ACCOUNT_SET_DIGEST]: createHash('sha256').update(joined).digest('hex').slice(0, 16),
    [OrganizationTargetsAttributes.ACCOUNT_IDS]: Buffer.byteLength(joined) <= MAX_ACCOUNT_IDS_ATTRIBUTE_BYTES - Buffer.byteLength(missingListed) ? joined : '',
    [OrganizationTargetsAttributes.MISSING_ROLE_ACCOUNT_COUNT]: missing ? String(missing.length) : '',
    [OrganizationTargetsAttributes.MISSING_ROLE_ACCOUNT_IDS]: missingListed,
  };
}

/** An account as ListAccounts and ListAccountsForParent give it (the fields read). */
export interface OrganizationAccount {
  readonly Id?: string;
  readonly State?: string;
  /** Retired by Organizations in favour of State; read when State is absent. */
  readonly Status?: string;
}

/** The Organizations calls the resolution makes (AWS JSON 1.1). */
export class Organizations {
  /** Requests sent, retries included (the benchmark reports them). */
  requests = 0;
  /** Requests Organizations answered TooManyRequestsException. */
  throttled = 0;
  private readonly client: JsonClient;
  /** Called when a request is throttled (the resolution then lists fewer OUs at a time). */
  private throttleListener?: () => void;
  private destroyed = false;

  constructor(
    readonly context: clients.CallContext, credentials: () => Promise<AwsCredentials>, region?: string, endpoint?: string,
    private readonly onDestroy: () => void = () => {},
  ) {
    const home = region ?? organizationsRegion(lambdaRegion());
    this.client = new JsonClient({ service: 'organizations', region: home, endpoint, timeoutMs: requestTimeoutMs(), credentials }, ORGANIZATIONS_TARGET_PREFIX);
  }

  /** Every page of `operation`, through the handler's retries (throttling included) within the event's deadline. */
  async all<T>(operation: string, input: Record<string, unknown>, field: string, target: string): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page: Record<string, any> = await call(this.context, `organizations:${operation}`, target, async () => {
        // Another listing of the walk failed and the resolution ended: no more requests (nor retries) on its behalf.
        if (this.destroyed) throw new Error('The resolution ended (another listing failed)');
        this.requests++;
        try {
          return await this.client.call(operation, { ...input, MaxResults: PAGE_SIZE, ...(token ? { NextToken: token } : {}) });
        } catch (err) {
          if ((err as Error)?.name === 'TooManyRequestsException') {
            this.throttled++;
            this.throttleListener?.();
          }
          throw err;
        }
      }).catch((err) => { throw explainOrganizationsFailure(err); });
      items.push(...(page[field] ?? []));
      token = page.NextToken ?? undefined;
    } while (token);
    return items;
  }

  accountsOf(parentId: string): Promise<OrganizationAccount[]> {
    return this.all('ListAccountsForParent', { ParentId: parentId }, 'Accounts', parentId);
  }

  async childOus(parentId: string): Promise<string[]> {
    const children = await this.all<{ Id?: string }>('ListChildren', { ParentId: parentId, ChildType: 'ORGANIZATIONAL_UNIT' }, 'Children', parentId);
    return children.map((c) => c.Id!).filter((id) => typeof id === 'string');
  }

  allAccounts(): Promise<OrganizationAccount[]> {
    return this.all('ListAccounts', {}, 'Accounts', 'the organization');
  }

  /** Called when a request is throttled (the resolution then lists fewer OUs at a time). */
  set onThrottle(listener: () => void) {
    this.throttleListener = listener;
  }

  destroy(): void {
    this.destroyed = true;
    this.client.destroy();
    this.onDestroy();
  }
}

/**
 * Organizations has one endpoint per partition, in its home Region: us-east-1 in aws, cn-northwest-1 in aws-cn,
 * us-gov-west-1 in aws-us-gov; elsewhere the Region's own.
 */
export function organizationsRegion(region: string): string {
  const homes: Record<string, string> = { 'aws': 'us-east-1', 'aws-cn': 'cn-northwest-1', 'aws-us-gov': 'us-gov-west-1' };
  return homes[partition(region).name] ?? region;
}

/**
 * Organizations signed with `roleArn`'s credentials, assumed with the resource role's (a role chain); without
 * `roleArn`, with the resource role's own (the stack is in the management account).
 */
export function organizationsClient(context: clients.CallContext, roleArn: string | undefined, sessionName: string): Organizations {
  const endpoint = process.env.ORGANIZATIONS_ENDPOINT || undefined;
  if (!roleArn) return new Organizations(context, () => context.credentials(), undefined, endpoint);
  let cached: Promise<TemporaryCredentials> | undefined;
  let sts: QueryClient | undefined;
  const assume = async (): Promise<TemporaryCredentials> => {
    sts ??= new QueryClient({ service: 'sts', region: lambdaRegion(), endpoint: stsEndpoint(), timeoutMs: requestTimeoutMs(), credentials: () => context.credentials() }, STS_API_VERSION);
    const client = sts;
    const doc = await call(context, 'sts:AssumeRole', roleArn, () => client.call('AssumeRole', { RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: 900 }))
      .catch((err) => { throw explainOrganizationsFailure(err); });
    return parseAssumeRoleResponse(doc);
  };
  // One AssumeRole for the OUs listed at the same time; again when the credentials near their expiry (or it failed).
  const credentials = async (): Promise<AwsCredentials> => {
    const current = cached;
    if (current) {
      const c = await current.catch(() => undefined);
      if (c && c.expiration.getTime() - REFRESH_MARGIN_MS > Date.now()) return c;
      if (cached !== current) return credentials();
    }
    cached = assume();
    return cached;
  };
  // The role's credentials are fetched before the first Organizations request, through the same retries.
  return new Organizations(context, credentials, undefined, endpoint, () => sts?.destroy());
}

/** Where each resolved account came from, and what the resolution cost. */
export interface Resolution {
  /** Sorted, unique. */
  readonly accountIds: string[];
  /** Per source (an OU or root ID, `organization`, or `accountIds`): how many accounts it contributed. */
  readonly bySource: Map<string, number>;
  /** The OUs (and roots) whose direct accounts are targets, with how many each holds. */
  readonly byParent: Map<string, number>;
  /** Organizations requests sent, retries included. */
  readonly calls: number;
}

export class ResolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResolutionError';
  }
}

const isOu = (id: string) => id.startsWith('ou-');

/**
 * The accounts of `queries`, in the states each asks for, without the excluded accounts and OU subtrees. Errors when
 * more than Image Builder's {@link MAX_TARGET_ACCOUNTS}, naming the largest sources and OUs, and when empty unless
 * `allowEmpty`.
 */
export async function resolveTargets(org: Organizations, queries: TargetAccountsQuery[], allowEmpty: boolean): Promise<Resolution> {
  const all = new Set<string>();
  const bySource = new Map<string, number>();
  const byParent = new Map<string, number>();
  for (const q of queries) {
    const states = new Set(q.states);
    const excludedAccounts = new Set(q.exclude.filter((id) => !isOu(id)));
    const excludedOus = new Set(q.exclude.filter(isOu));
    const keep = (a: OrganizationAccount) => typeof a.Id === 'string' && states.has(a.State ?? a.Status ?? '') && !excludedAccounts.has(a.Id);
    const add = (source: string, ids: Iterable<string>) => {
      let n = 0;
      for (const id of ids) {
        if (excludedAccounts.has(id)) continue;
        all.add(id);
        n++;
      }
      bySource.set(source, (bySource.get(source) ?? 0) + n);
    };
    add('accountIds', q.accountIds);
    if (q.organization) {
      const accounts = (await org.allAccounts()).filter(keep).map((a) => a.Id!);
      // Excluded OUs: their subtrees are listed to know which accounts to leave out.
      const inExcluded = excludedOus.size > 0 ? await walk(org, [...excludedOus], true, new Set(), () => true, new Map()) : new Set<string>();
      add('organization', accounts.filter((id) => !inExcluded.has(id)));
    }
    for (const parent of q.parents) {
      add(parent, await walk(org, [parent], q.recursive, excludedOus, keep, byParent));
    }
  }
  const accountIds = [...all].sort();
  const resolution = { accountIds, bySource, byParent, calls: org.requests };
  if (accountIds.length > MAX_TARGET_ACCOUNTS) {
    throw new ResolutionError(`The target accounts resolve to ${accountIds.length} accounts, more than the ${MAX_TARGET_ACCOUNTS} an `
      + `AMI distribution's targetAccountIds takes. ${describeSources(resolution)}. Exclude OUs or accounts, or split the `
      + 'accounts over several distribution configurations');
  }
  if (accountIds.length === 0 && !allowEmpty) {
    throw new ResolutionError(`The target accounts resolve to no account (${describeSources(resolution)}; states `
      + `${[...new Set(queries.flatMap((q) => q.states))].join(', ')}). Distributing to nobody is refused unless allowEmpty is set`);
  }
  return resolution;
}

/** "ou-a: 1200 accounts, ou-b: 400 accounts; largest OUs: ou-c (900), ..." */
function describeSources(r: Resolution): string {
  const sources = [...r.bySource].filter(([s, n]) => s !== 'accountIds' || n > 0).map(([s, n]) => `${s}: ${n} accounts`).join(', ');
  const largest = [...r.byParent].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([id, n]) => `${id} (${n})`);
  return `${sources || 'no source'}${largest.length > 0 ? `; largest OUs by their own accounts: ${largest.join(', ')}` : ''}`;
}

/**
 * The accounts (passing `keep`) of `roots`, and with `recursive` of every OU below them except `excludedOus` and
 * their subtrees. Up to {@link CONCURRENCY} OUs are listed at a time. `byParent` gets each OU's own count.
 */
async function walk(
  org: Organizations, roots: string[], recursive: boolean, excludedOus: Set<string>, keep: (a: OrganizationAccount) => boolean,
  byParent: Map<string, number>,
): Promise<Set<string>> {
  const found = new Set<string>();
  const seen = new Set<string>();
  const limit = semaphore(CONCURRENCY);
  // Throttled: half as many OUs at a time (at least one), for the rest of the walk.
  org.onThrottle = () => limit.shrink();
  const visit = async (parent: string): Promise<void> => {
    if (excludedOus.has(parent) || seen.has(parent)) return;
    seen.add(parent);
    const [accounts, children] = await Promise.all([
      limit(() => org.accountsOf(parent)),
      recursive ? limit(() => org.childOus(parent)) : Promise.resolve([]),
    ]);
    const kept = accounts.filter(keep).map((a) => a.Id!);
    kept.forEach((id) => found.add(id));
    byParent.set(parent, kept.length);
    await Promise.all(children.map(visit));
  };
  await Promise.all(roots.map(visit));
  return found;
}
