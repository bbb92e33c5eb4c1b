/**
 * STS AssumeRole (Query protocol) on a LocalServer, checked as the service checks it: a form-encoded POST to / with
 * Version 2011-06-15 and a valid SigV4 signature for service sts (./sigv4.ts); RoleArn and RoleSessionName shapes;
 * DurationSeconds from 900 to 43200. Each issued session gets its own temporary access key, which the SigV4 verifier
 * then knows, so the local EC2 and SSM accept requests signed with it. Usage:
 *   const roles = new Roles(server, { clock: () => now });   // then STS_ENDPOINT = server.endpoint
 *   roles.add(ROLE_ARN);                  // assumable (by any known key)
 *   roles.add(ROLE_ARN, { deniedFor: 2 }); // its first 2 AssumeRole calls answer AccessDenied (IAM not consistent yet)
 *   roles.sessions                         // every issued session: role, session name, duration, keys, caller's key
 *   roles.sessionOfKey('ASIA...')          // the session a temporary key belongs to
 *   roles.throttleEvery = 3                // every 3rd AssumeRole answers Throttling (HTTP 400), as STS does under load
 *   roles.latencyMs = 20; roles.concurrency // each answer delayed; requests in flight as each arrived
 * Unknown roles answer AccessDenied (HTTP 403), as STS does for a role that does not trust the caller.
 * With IAM (`new Roles(server, { iam })`, the IamAuthorizer attached to the server), AssumeRole is authorized by the
 * caller's identity policy and the role's trust policy as synthesized (the role may be in another account, see
 * IamAuthorizerOptions.otherAccounts), any role of the templates may be assumed when they allow it, and each issued
 * key belongs to the role assumed. A session policy (`Policy`) must be a JSON policy document of at most 2048
 * characters (MalformedPolicyDocument, PackedPolicyTooLarge otherwise, as STS answers); IAM then holds every request
 * signed with the session's key to it.
 */
import type { LocalServer, ReceivedRequest } from '../local-server';
import { escapeXml, ServiceError } from '../local-server';
import type { IamAuthorizer } from './iam';
import { KNOWN_KEYS, SignatureError, verifySigV4 } from './sigv4';

export const ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]{1,512}$/;
export const ROLE_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const PARAMETERS = new Set(['Action', 'Version', 'RoleArn', 'RoleSessionName', 'DurationSeconds', 'Policy']);
/** STS's limit on the plaintext of inline session policies. */
const MAX_SESSION_POLICY_CHARS = 2048;
const CALLER = 'arn:aws:sts::111111111111:assumed-role/HandlerRole/provider-onEvent';

export interface Session {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: string;
  /** The key the AssumeRole request was signed with (the Lambda's own). */
  readonly callerKey: string;
  /** The Region of the signature's credential scope. */
  readonly region: string;
  /** The session policy (`Policy`), parsed. */
  readonly policy?: unknown;
}

export class Roles {
  readonly sessions: Session[] = [];
  /** AssumeRole requests that were answered AccessDenied. */
  denied = 0;
  /** Every n-th AssumeRole request answers Throttling; 0: none. */
  throttleEvery = 0;
  /** AssumeRole requests answered Throttling. */
  throttled = 0;
  /** Added to every answer (benchmarks: STS answers in milliseconds to tens of them, the fake at once). */
  latencyMs = 0;
  /** For each AssumeRole request, how many were being answered when it arrived (itself included). */
  readonly concurrency: number[] = [];
  private inFlight = 0;
  private received = 0;
  private readonly roles = new Map<string, { deniedFor: number }>();
  private readonly clock: () => number;
  private readonly iam?: IamAuthorizer;

  constructor(server: LocalServer, options: { clock?: () => number; iam?: IamAuthorizer } = {}) {
    this.clock = options.clock ?? Date.now;
    this.iam = options.iam;
    server.action('AssumeRole', async (req) => {
      this.concurrency.push(++this.inFlight);
      try {
        if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
        return this.assumeRoleOp(req);
      } finally {
        this.inFlight--;
      }
    });
  }

  add(roleArn: string, options: { deniedFor?: number } = {}): this {
    this.roles.set(roleArn, { deniedFor: options.deniedFor ?? 0 });
    return this;
  }

  sessionOfKey(accessKeyId: string): Session | undefined {
    return this.sessions.find((s) => s.accessKeyId === accessKeyId);
  }

  private assumeRoleOp(req: ReceivedRequest) {
    const p: Record<string, string> = req.body;
    if (req.method !== 'POST' || req.path !== '/') throw new ServiceError(400, 'InvalidAction', `expected POST /, got ${req.method} ${req.path}`);
    if (p.Version !== '2011-06-15') throw new ServiceError(400, 'InvalidParameterValue', `Version ${p.Version} is not 2011-06-15`);
    const unexpected = Object.keys(p).filter((k) => !PARAMETERS.has(k));
    if (unexpected.length > 0) throw validation(`unexpected parameters ${unexpected.join(', ')}`);
    let signed;
    try {
      signed = verifySigV4(req, 'sts');
    } catch (err) {
      if (err instanceof SignatureError) throw new ServiceError(403, 'SignatureDoesNotMatch', err.message);
      throw err;
    }
    if (typeof p.RoleArn !== 'string' || !ROLE_ARN.test(p.RoleArn)) throw validation(`1 validation error detected: Value '${p.RoleArn}' at 'roleArn' failed to satisfy constraint`);
    if (typeof p.RoleSessionName !== 'string' || !ROLE_SESSION_NAME.test(p.RoleSessionName)) {
      throw validation(`1 validation error detected: Value '${p.RoleSessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
    }
    const durationSeconds = p.DurationSeconds === undefined ? 3600 : Number(p.DurationSeconds);
    if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43200) {
      throw validation(`1 validation error detected: Value '${p.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint`);
    }
    let policy: unknown;
    if (p.Policy !== undefined) {
      try {
        policy = JSON.parse(p.Policy);
      } catch {
        throw new ServiceError(400, 'MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
      }
      if (typeof policy !== 'object' || policy === null || !('Statement' in policy)) {
        throw new ServiceError(400, 'MalformedPolicyDocument', 'Syntax errors in policy.');
      }
      if (p.Policy.length > MAX_SESSION_POLICY_CHARS) {
        throw new ServiceError(400, 'PackedPolicyTooLarge', 'Packed policy consumes more than 100 percent of the allotted space.');
      }
    }
    if (this.throttleEvery > 0 && ++this.received % this.throttleEvery === 0) {
      this.throttled++;
      throw new ServiceError(400, 'Throttling', 'Rate exceeded');
    }
    const role = this.roles.get(p.RoleArn);
    // With IAM, the trust and identity policies decided already (the server's check); `add` only delays.
    if ((!role && !(this.iam && this.iam.role(p.RoleArn))) || (role && role.deniedFor > 0)) {
      if (role) role.deniedFor--;
      this.denied++;
      throw new ServiceError(403, 'AccessDenied', `User: ${CALLER} is not authorized to perform: sts:AssumeRole on resource: ${p.RoleArn}`);
    }

    const n = this.sessions.length + 1;
    const session: Session = {
      roleArn: p.RoleArn,
      sessionName: p.RoleSessionName,
      durationSeconds,
      accessKeyId: `ASIALOCAL${String(n).padStart(11, '0')}`,
      secretAccessKey: `local/secret+${n}`,
      sessionToken: `IQoJb3JpZ2luX2VjEOn//////////local-token-${n}+/=`,
      expiration: new Date(this.clock() + durationSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      callerKey: signed.accessKeyId,
      region: signed.region,
      ...(policy !== undefined ? { policy } : {}),
    };
    this.sessions.push(session);
    KNOWN_KEYS.set(session.accessKeyId, session.secretAccessKey);
    this.iam?.bindSession(session.accessKeyId, session.roleArn, session.sessionName, session.policy);
    const roleName = p.RoleArn.split('/').pop();
    return {
      body: `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <AssumedRoleId>AROALOCAL${n}:${escapeXml(session.sessionName)}</AssumedRoleId>
      <Arn>arn:aws:sts::${p.RoleArn.split(':')[4]}:assumed-role/${escapeXml(roleName ?? '')}/${escapeXml(session.sessionName)}</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${session.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${escapeXml(session.secretAccessKey)}</SecretAccessKey>
      <SessionToken>${escapeXml(session.sessionToken)}</SessionToken>
      <Expiration>${session.expiration}</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>sts-${n}</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>
`,
    };
  }
}

function validation(message: string): ServiceError {
  return new ServiceError(400, 'ValidationError', message);
}
