/**
 * AWS Organizations' ListChildren, ListAccountsForParent and ListAccounts (AWS JSON 1.1) on a LocalServer, over an
 * organization tree held in memory. Every request and answer is checked against the organizations-2016-11-28 model
 * (a ModelCheck for Organizations is added to the server), every request must carry a valid SigV4 signature for
 * service organizations in us-east-1 (Organizations' one endpoint in the aws partition), and, as only the management
 * account (or a delegated administrator) may call these, only sessions of `callerRole` are answered.
 *
 * Usage:
 *   const org = new Organization(server, { callerRole: ROLE, roles });    // then ORGANIZATIONS_ENDPOINT = server.endpoint
 *   const tree = org.generate({ seed: 1, ous: 120, accounts: 900, depth: 4 });  // realistic, reproducible
 *   org.addAccount(ouId); org.closeAccount(id); org.moveAccount(id, ouId); org.removeAccount(id);
 *   org.throttleEvery = 7;      // every 7th request answers TooManyRequestsException, as Organizations does under load
 *   org.inUse = false;          // the caller's account is in no organization: AWSOrganizationsNotInUseException
 *   org.requests                // requests answered (throttled ones included)
 * Pages hold at most MaxResults items (default 20), and, like Organizations, sometimes fewer (`shortPages`) with a
 * NextToken all the same; a NextToken is valid only for the operation and parent that gave it.
 * Errors are the operations' own (the model's `errors`, in their shapes: `Message`, InvalidInputException's
 * `Reason`), which the ModelCheck holds the fake to.
 */
import type { LocalServer, ReceivedRequest } from '../local-server';
import { ServiceError } from '../local-server';
import { ModelCheck } from './model-check';
import { SignatureError, verifySigV4 } from './sigv4';
import type { Roles } from './sts';

export const ORGANIZATION_ID = 'o-exampleorg1';
export const MANAGEMENT_ACCOUNT = '999999999999';
export const ROOT_ID = 'r-ex12';

export type State = 'PENDING_ACTIVATION' | 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' | 'CLOSED';

interface Ou {
  readonly id: string;
  parent?: string;
}

interface Account {
  readonly id: string;
  parent: string;
  state: State;
  readonly joined: number;
}

export interface OrganizationOptions {
  /** Only sessions of this role (STS fake) may call; undefined: any signed caller. */
  readonly callerRole?: string;
  readonly roles?: Roles;
  /** Seed of the account IDs. @default 1 */
  readonly seed?: number;
}

export interface GeneratedTree {
  readonly ous: string[];
  readonly accounts: string[];
  /** OU ID to its depth (1: child of the root). */
  readonly depth: Map<string, number>;
}

/** A small seeded PRNG (Park-Miller): the same seed, the same organization. */
export function prng(seed: number): () => number {
  let state = (Math.abs(Math.floor(seed)) % 2147483646) + 1;
  return () => {
    state = (state * 48271) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

export class Organization {
  readonly ous = new Map<string, Ou>([[ROOT_ID, { id: ROOT_ID }]]);
  readonly accounts = new Map<string, Account>();
  /** Requests received (throttled ones included), by operation. */
  readonly requests: Record<string, number> = {};
  /** Every n-th request is throttled; 0: none. */
  throttleEvery = 0;
  /** Requests answered TooManyRequestsException. */
  throttled = 0;
  /** Added to every answer (benchmarks: Organizations answers in tens of milliseconds, the fake at once). */
  latencyMs = 0;
  /** Some pages come back shorter than MaxResults, as Organizations' do. */
  shortPages = true;
  /** False: the caller's account belongs to no organization (every call answers AWSOrganizationsNotInUseException). */
  inUse = true;
  private received = 0;
  /** Account IDs are random (as AWS's are: nothing in them compresses), reproducibly. */
  private readonly idRandom: () => number;
  private nextOu = 0;

  constructor(server: LocalServer, private readonly options: OrganizationOptions = {}) {
    this.idRandom = prng(options.seed ?? 1);
    server.addCheck(new ModelCheck(['organizations']));
    const prefix = 'AWSOrganizationsV20161128';
    const delayed = <T>(answer: () => T) => async (): Promise<T> => {
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      return answer();
    };
    server.target(`${prefix}.ListChildren`, (req) => delayed(() => this.listChildren(this.check(req)))());
    server.target(`${prefix}.ListAccountsForParent`, (req) => delayed(() => this.listAccountsForParent(this.check(req)))());
    server.target(`${prefix}.ListAccounts`, (req) => delayed(() => this.listAccounts(this.check(req)))());
  }

  /** A new OU under `parent`. */
  addOu(parent: string = ROOT_ID): string {
    if (!this.ous.has(parent)) throw new Error(`no parent ${parent}`);
    const n = ++this.nextOu;
    const id = `ou-ex12-${n.toString(36).padStart(8, '0')}`;
    this.ous.set(id, { id, parent });
    return id;
  }

  /** A new account in `parent` (joining the organization). */
  addAccount(parent: string = ROOT_ID, state: State = 'ACTIVE'): string {
    if (!this.ous.has(parent)) throw new Error(`no parent ${parent}`);
    let id: string;
    do id = String(100000000000 + Math.floor(this.idRandom() * 899999999999)); while (this.accounts.has(id));
    this.accounts.set(id, { id, parent, state, joined: 1_700_000_000 + this.accounts.size });
    return id;
  }

  removeAccount(id: string): void {
    this.accounts.delete(id);
  }

  setState(id: string, state: State): void {
    this.accounts.get(id)!.state = state;
  }

  moveAccount(id: string, parent: string): void {
    this.accounts.get(id)!.parent = parent;
  }

  /** The accounts (any state) in `parent` and every OU below it. */
  accountsUnder(parent: string, states: State[] = ['ACTIVE']): string[] {
    const inside = (p: string | undefined): boolean => p !== undefined && (p === parent || inside(this.ous.get(p)?.parent));
    return [...this.accounts.values()].filter((a) => inside(a.parent) && states.includes(a.state)).map((a) => a.id).sort();
  }

  /**
   * A reproducible organization of `ous` OUs nested up to `depth` levels and `accounts` accounts spread over the root
   * and the OUs (more in the leaves, as landing zones have them), a few per hundred suspended or closing.
   */
  generate(spec: { seed: number; ous: number; accounts: number; depth: number }): GeneratedTree {
    const random = prng(spec.seed);
    const depth = new Map<string, number>();
    const ous: string[] = [];
    for (let i = 0; i < spec.ous; i++) {
      const candidates = ous.filter((o) => depth.get(o)! < spec.depth);
      const parent = i < 4 || candidates.length === 0 || random() < 0.15 ? ROOT_ID : candidates[Math.floor(random() * candidates.length)];
      const id = this.addOu(parent);
      depth.set(id, parent === ROOT_ID ? 1 : depth.get(parent)! + 1);
      ous.push(id);
    }
    const accounts: string[] = [];
    for (let i = 0; i < spec.accounts; i++) {
      const parent = random() < 0.02 || ous.length === 0 ? ROOT_ID : ous[Math.floor(Math.pow(random(), 0.7) * ous.length)];
      const r = random();
      const state: State = r < 0.03 ? 'SUSPENDED' : r < 0.05 ? 'PENDING_CLOSURE' : 'ACTIVE';
      accounts.push(this.addAccount(parent, state));
    }
    return { ous, accounts, depth };
  }

  private check(req: ReceivedRequest): ReceivedRequest {
    this.requests[req.operation] = (this.requests[req.operation] ?? 0) + 1;
    if (req.method !== 'POST' || req.path !== '/') throw new ServiceError(404, 'UnknownOperationException', `${req.method} ${req.path}`);
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') {
      throw new ServiceError(400, 'SerializationException', `Content-Type ${req.headers['content-type']} is not application/x-amz-json-1.1`);
    }
    let signed;
    try {
      signed = verifySigV4(req, 'organizations');
    } catch (err) {
      if (err instanceof SignatureError) throw new ServiceError(400, 'InvalidSignatureException', err.message);
      throw err;
    }
    if (signed.region !== 'us-east-1') throw new ServiceError(400, 'InvalidSignatureException', `signed for ${signed.region}; Organizations is in us-east-1`);
    if (!this.inUse) {
      throw new ServiceError(400, 'AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.');
    }
    if (this.options.callerRole) {
      const session = this.options.roles?.sessionOfKey(signed.accessKeyId);
      if (session?.roleArn !== this.options.callerRole) {
        throw new ServiceError(400, 'AccessDeniedException', `You don't have permissions to access this resource (signed by ${signed.accessKeyId}, `
          + `a session of ${session?.roleArn ?? 'no assumed role'}; only ${this.options.callerRole} may list the organization).`);
      }
    }
    this.received++;
    if (this.throttleEvery > 0 && this.received % this.throttleEvery === 0) {
      this.throttled++;
      throw new ServiceError(400, 'TooManyRequestsException', 'AWS Organizations can\'t complete your request because another request is already in progress. Try again later.');
    }
    return req;
  }

  private parent(req: ReceivedRequest): string {
    const parent = req.body.ParentId;
    if (!this.ous.has(parent)) throw new ServiceError(400, 'ParentNotFoundException', 'We can\'t find a root or OU with the ParentId that you specified.');
    return parent;
  }

  private page<T>(req: ReceivedRequest, scope: string, items: T[]): { items: T[]; NextToken?: string } {
    const max = req.body.MaxResults ?? 20;
    let offset = 0;
    if (req.body.NextToken !== undefined) {
      let token: { scope?: string; offset?: number } | undefined;
      try {
        token = JSON.parse(Buffer.from(req.body.NextToken, 'base64').toString('utf8'));
      } catch {
        token = undefined;
      }
      if (token?.scope !== scope || typeof token.offset !== 'number') {
        throw new ServiceError(400, 'InvalidInputException', 'The provided NextToken is not valid for this request.', { Reason: 'INVALID_NEXT_TOKEN' });
      }
      offset = token.offset;
    }
    // A page shorter than asked for now and then (Organizations does so), never an empty one before the end.
    const size = this.shortPages && (offset / max) % 3 === 1 ? Math.max(1, Math.floor(max / 2)) : max;
    const end = Math.min(items.length, offset + size);
    const next = end < items.length ? Buffer.from(JSON.stringify({ scope, offset: end })).toString('base64') : undefined;
    return { items: items.slice(offset, end), ...(next ? { NextToken: next } : {}) };
  }

  private listChildren(req: ReceivedRequest) {
    const parent = this.parent(req);
    const type = req.body.ChildType;
    const ids = type === 'ORGANIZATIONAL_UNIT'
      ? [...this.ous.values()].filter((o) => o.parent === parent).map((o) => o.id)
      : [...this.accounts.values()].filter((a) => a.parent === parent).map((a) => a.id);
    const { items, NextToken } = this.page(req, `ListChildren ${parent} ${type}`, ids);
    return { body: { Children: items.map((Id) => ({ Id, Type: type })), ...(NextToken ? { NextToken } : {}) } };
  }

  private listAccountsForParent(req: ReceivedRequest) {
    const parent = this.parent(req);
    const accounts = [...this.accounts.values()].filter((a) => a.parent === parent);
    const { items, NextToken } = this.page(req, `ListAccountsForParent ${parent}`, accounts);
    return { body: { Accounts: items.map((a) => this.render(a)), ...(NextToken ? { NextToken } : {}) } };
  }

  private listAccounts(req: ReceivedRequest) {
    const { items, NextToken } = this.page(req, 'ListAccounts', [...this.accounts.values()]);
    return { body: { Accounts: items.map((a) => this.render(a)), ...(NextToken ? { NextToken } : {}) } };
  }

  private render(a: Account) {
    // Status, which Organizations is retiring, as it maps the states it still knows.
    const status = a.state === 'SUSPENDED' || a.state === 'PENDING_CLOSURE' ? a.state : a.state === 'CLOSED' ? 'SUSPENDED' : 'ACTIVE';
    return {
      Id: a.id,
      Arn: `arn:aws:organizations::${MANAGEMENT_ACCOUNT}:account/${ORGANIZATION_ID}/${a.id}`,
      Email: `aws+${a.id}@example.com`,
      Name: `account-${a.id}`,
      State: a.state,
      Status: status,
      JoinedMethod: 'CREATED',
      JoinedTimestamp: a.joined,
    };
  }
}
