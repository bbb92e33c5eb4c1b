/**
 * IAM for the local services: every request is authorized as AWS would, against the policies of the role its SigV4
 * access key belongs to, as the constructs synthesized them (../../util/iam-template.ts), with a real evaluator
 * (../../util/iam-evaluate.ts) and the operation -> IAM actions table (../../util/iam-operations.ts). A request that
 * is not allowed gets the service's AccessDenied answer. Usage:
 *   const iam = new IamAuthorizer(IamRoles.fromTemplates(...), { account, keys: { test: providerRoleArn } });
 *   iam.attach(server);            // Image Builder, SSM, STS and Organizations routes of a LocalServer (its addCheck hook)
 *   const roles = new Roles(server, { iam });   // AssumeRole: caller's identity policy + the role's trust policy
 *   ec2.authorize = iam.ec2Check;  // the local EC2
 *   iam.denials                    // every denied authorization (what, for whom, why)
 *   iam.world = other              // the roles as another deployment left them (requiredToo: several must allow)
 * Access keys: those of sessions the local STS issued belong to the role assumed; the base keys (the Lambda's own)
 * belong to the role given in `keys`. A session issued with a session policy is held to it as well.
 * Roles of other accounts (e.g. the cross-account distribution role of each target account, from the template its
 * StackSet deploys there) come from `otherAccounts`: AssumeRole of them is decided by the caller's identity policy and
 * their trust policy, as IAM decides cross-account requests.
 */
import type { LocalServer, ReceivedRequest } from '../local-server';
import { ServiceError } from '../local-server';
import { SignatureError, verifySigV4 } from './sigv4';
import { isAllowed } from '../../util/iam-evaluate';
import { Authorization, authorizationsOf, OperationRequest } from '../../util/iam-operations';
import { IamRole, IamRoles, PolicyDocument } from '../../util/iam-template';

export interface Denial {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly operation: string;
}

export interface IamAuthorizerOptions {
  readonly account: string;
  /** Base access keys (not issued by the local STS) and the role each belongs to. */
  readonly keys?: Record<string, string>;
  /**
   * For a request signed with a base key: the role it is made as, when several Lambdas (each its own stack's provider
   * role) share the test process's keys and one request tells them apart (e.g. by its AssumeRole session name);
   * undefined to fall back to `keys`.
   */
  readonly baseRoleOf?: (req: ReceivedRequest) => string | undefined;
  /** For DistributeImage: the ARN of the image build version the next call will create (see iam-operations.ts). */
  readonly nextImageArn?: (region: string) => string;
  /** For Organizations (server/organizations.ts): the organization read, and its management account. */
  readonly organization?: { readonly id: string; readonly managementAccount: string };
  /** The roles of other accounts, each world resolved for its own account. */
  readonly otherAccounts?: IamRoles[];
}

/** The protocol's AccessDenied error of each service. */
const DENIED: Record<OperationRequest['service'], { status: number; type: string }> = {
  imagebuilder: { status: 403, type: 'AccessDeniedException' },
  ssm: { status: 400, type: 'AccessDeniedException' },
  sts: { status: 403, type: 'AccessDenied' },
  ec2: { status: 403, type: 'UnauthorizedOperation' },
  organizations: { status: 400, type: 'AccessDeniedException' },
  lambda: { status: 403, type: 'AccessDeniedException' },
  states: { status: 400, type: 'AccessDeniedException' },
};

/** The Lambda REST paths the Provider framework calls, and their operations. */
const LAMBDA_PATHS: Array<[string, RegExp, string]> = [
  ['POST', /^\/2015-03-31\/functions\/([^/]+)\/invocations$/, 'Invoke'],
  ['GET', /^\/2015-03-31\/functions\/([^/]+)$/, 'GetFunction'],
];

export class IamAuthorizer {
  readonly denials: Denial[] = [];
  /** Every authorization that was evaluated, allowed or not. */
  readonly evaluated: Array<Authorization & { principal: string; allowed: boolean }> = [];
  /**
   * Further sets of roles that must allow each call as well, as when either of two versions of a role's policies
   * may be in force (a stack's update rollback: test/lifecycle/harness.ts).
   */
  requiredToo: IamRoles[] = [];
  private readonly sessions = new Map<string, { roleArn: string; sessionName: string; policy?: PolicyDocument }>();

  constructor(public world: IamRoles, private readonly options: IamAuthorizerOptions) {}

  /** Called by the local STS for each session it issues (with its session policy, if any). */
  bindSession(accessKeyId: string, roleArn: string, sessionName: string, policy?: unknown): void {
    this.sessions.set(accessKeyId, { roleArn, sessionName, ...(policy !== undefined ? { policy: policy as PolicyDocument } : {}) });
  }

  /** The role `arn`, of this account's templates (`world`) or of another account's. */
  role(arn: string, world: IamRoles = this.world): IamRole | undefined {
    return world.get(arn) ?? this.options.otherAccounts?.map((w) => w.get(arn)).find((r) => r !== undefined);
  }

  /**
   * Authorizes every request of `server` before it reaches its route: Image Builder, SSM and STS (told apart by
   * protocol), or, when `service` says so, Lambda (the Provider framework's Invoke and GetFunction) or Step Functions.
   */
  attach(server: LocalServer, service?: 'lambda' | 'states'): this {
    server.addCheck({ request: (req) => (service ? this.checkService(req, service) : this.checkLocal(req)) });
    return this;
  }

  /** Authorizes a call a service makes with a role's credentials, in-process (e.g. Step Functions invoking a task). */
  async authorizeRole(roleArn: string, r: Omit<OperationRequest, 'account' | 'partition' | 'nextImageArn'>): Promise<void> {
    await this.authorize(r, undefined, roleArn);
  }

  /** For the local EC2: throws ServiceError(403, UnauthorizedOperation) for a request IAM denies. */
  readonly ec2Check = async (action: string, params: Record<string, string>, region: string, accessKeyId: string,
    resourceTags: Record<string, string>): Promise<void> => {
    await this.authorize({ service: 'ec2', operation: action, body: params, query: {}, region, resourceTags }, accessKeyId);
  };

  /** The role behind an access key and the principal ARN IAM sees (an assumed-role session). */
  identityOf(accessKeyId: string, baseRole?: string): { roleArn: string; principal: string } {
    const session = this.sessions.get(accessKeyId);
    const roleArn = session?.roleArn ?? baseRole ?? this.options.keys?.[accessKeyId];
    if (!roleArn) throw new ServiceError(403, 'InvalidClientTokenId', `The security token included in the request is invalid (${accessKeyId})`);
    const [, partition, , , account, resource] = roleArn.split(':');
    const name = resource.split('/').pop();
    return { roleArn, principal: `arn:${partition}:sts::${account}:assumed-role/${name}/${session?.sessionName ?? 'lambda'}` };
  }

  private async checkService(req: ReceivedRequest, service: 'lambda' | 'states'): Promise<void> {
    let verified;
    try {
      verified = verifySigV4(req, service);
    } catch (err) {
      if (err instanceof SignatureError) throw new ServiceError(403, 'InvalidSignatureException', err.message);
      throw err;
    }
    if (service === 'states') {
      await this.authorize({ service, operation: req.operation, body: req.body, query: req.query, region: verified.region }, verified.accessKeyId);
      return;
    }
    const path = `/${req.operation}`;
    const found = LAMBDA_PATHS.find(([method, pattern]) => method === req.method && pattern.test(path));
    if (!found) throw new Error(`test/lambda/server/iam.ts knows no Lambda operation ${req.method} ${path}`);
    const functionName = decodeURIComponent(found[1].exec(path)![1]);
    const request = { service, operation: found[2], body: { FunctionName: functionName }, query: {}, region: verified.region };
    await this.authorize(request, verified.accessKeyId);
  }

  private async checkLocal(req: ReceivedRequest): Promise<void> {
    const target = req.headers['x-amz-target'];
    const service = target !== undefined ? (String(target).startsWith('AWSOrganizationsV20161128.') ? 'organizations' : 'ssm')
      : req.operation === 'AssumeRole' ? 'sts' : 'imagebuilder';
    let verified;
    try {
      verified = verifySigV4(req, service);
    } catch (err) {
      // Unauthenticated requests never reach authorization, nor the route (the local Image Builder does not check
      // signatures itself).
      if (err instanceof SignatureError) {
        throw service === 'sts' ? new ServiceError(403, 'SignatureDoesNotMatch', err.message)
          : new ServiceError(service === 'ssm' || service === 'organizations' ? 400 : 403, 'InvalidSignatureException', err.message);
      }
      throw err;
    }
    const baseRole = this.sessions.has(verified.accessKeyId) ? undefined : this.options.baseRoleOf?.(req);
    const request = { service, operation: req.operation, body: req.body, query: req.query, region: verified.region } as const;
    await this.authorize(request, verified.accessKeyId, undefined, baseRole);
  }

  private async authorize(
    r: Omit<OperationRequest, 'account' | 'partition' | 'nextImageArn'>, accessKeyId?: string, serviceRole?: string, baseRole?: string,
  ): Promise<void> {
    const { roleArn, principal } = serviceRole
      ? { roleArn: serviceRole, principal: `${serviceRole.replace(':iam:', ':sts:').replace(/:role\/(?:.*\/)?/, ':assumed-role/')}/${r.service}` }
      : this.identityOf(accessKeyId!, baseRole);
    const sessionPolicy = accessKeyId ? this.sessions.get(accessKeyId)?.policy : undefined;
    // Requests act in the caller's account (a session of another account's role acts in that account).
    const account = roleArn.split(':')[4] || this.options.account;
    const request: OperationRequest = {
      ...r,
      account,
      partition: this.world.partition,
      nextImageArn: this.options.nextImageArn?.(r.region) ?? `arn:${this.world.partition}:imagebuilder:${r.region}:${this.options.account}:image/distributed-image/1.0.0/1`,
      organization: this.options.organization,
    };
    for (const auth of authorizationsOf(request)) {
      for (const world of [this.world, ...this.requiredToo]) {
        const role = this.role(roleArn, world);
        const target = auth.action === 'sts:AssumeRole' ? this.role(auth.resource, world) : undefined;
        const decision = await isAllowed(role, auth, {
          principal,
          resourceAccount: auth.resourceAccount ?? (auth.resource.split(':')[4] || account),
          ...(sessionPolicy ? { sessionPolicy } : {}),
          // A role that is not in the templates has no trust policy that lets anyone assume it.
          ...(auth.action === 'sts:AssumeRole' ? { resourcePolicy: target?.trustPolicy ?? { Version: '2012-10-17', Statement: [] } } : {}),
        });
        this.evaluated.push({ ...auth, principal, allowed: decision.allowed });
        if (!decision.allowed) {
          this.denials.push({ principal, action: auth.action, resource: auth.resource, operation: r.operation });
          const { status, type } = DENIED[r.service];
          throw new ServiceError(status, type, `User: ${principal} is not authorized to perform: ${auth.action} on resource: ${auth.resource} `
            + `because no ${auth.action === 'sts:AssumeRole' ? 'identity-based or trust' : 'identity-based'} policy allows the ${auth.action} action`);
        }
      }
    }
  }
}
