/**
 * SSM Parameter Store's PutParameter, GetParameter and DeleteParameter (AWS JSON 1.1) on a LocalServer, with the
 * service's size limits per tier (what the API model says of the requests, the server's model check enforces). Every request must be a POST to / with Content-Type application/x-amz-json-1.1
 * and a valid SigV4 signature for service ssm (./sigv4.ts), as the service requires.
 * Usage: `const ssm = new Parameters(server); ssm.params.get('/name')`; `ssm.regions` lists each call's signing Region.
 */
import type { LocalServer, ReceivedRequest } from '../local-server';
import { ServiceError } from '../local-server';
import { SignatureError, verifySigV4 } from './sigv4';

export interface StoredParameter {
  value: string;
  type: string;
  tier: string;
  version: number;
}

const LIMITS: Record<string, number> = { 'Standard': 4096, 'Advanced': 8192, 'Intelligent-Tiering': 8192 };

export class Parameters {
  readonly params = new Map<string, StoredParameter>();
  /** The Region each accepted request was signed for. */
  readonly regions: string[] = [];

  constructor(server: LocalServer) {
    server.target('AmazonSSM.PutParameter', (req) => this.putOp(this.check(req)));
    server.target('AmazonSSM.GetParameter', (req) => this.getOp(this.check(req)));
    server.target('AmazonSSM.DeleteParameter', (req) => this.deleteOp(this.check(req)));
  }

  private check(req: ReceivedRequest): ReceivedRequest {
    if (req.method !== 'POST' || req.path !== '/') throw new ServiceError(404, 'UnknownOperationException', `${req.method} ${req.path}`);
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') {
      throw new ServiceError(400, 'SerializationException', `Content-Type ${req.headers['content-type']} is not application/x-amz-json-1.1`);
    }
    if (req.body === undefined || typeof req.body !== 'object') throw new ServiceError(400, 'SerializationException', 'The body is not a JSON object');
    try {
      this.regions.push(verifySigV4(req, 'ssm').region);
    } catch (err) {
      if (err instanceof SignatureError) throw new ServiceError(400, 'InvalidSignatureException', err.message);
      throw err;
    }
    return req;
  }

  private putOp(req: ReceivedRequest) {
    const { Name, Value, Type = 'String', Overwrite, Tier = 'Standard' } = req.body ?? {};
    // Name, Tier, Description and the types are the model's (the server's model check); an empty Value the service refuses beyond it.
    if (Value === '') throw validation('Value must not be empty');
    checkName(Name);
    const existing = this.params.get(Name);
    // Create-if-absent is atomic: of concurrent creates of one name, one succeeds and the others get this error.
    if (existing && !Overwrite) {
      throw new ServiceError(400, 'ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
    }
    let tier = Tier === 'Intelligent-Tiering' ? (Value.length > 4096 || existing?.tier === 'Advanced' ? 'Advanced' : 'Standard') : Tier;
    if (existing?.tier === 'Advanced' && tier === 'Standard') {
      throw validation('An advanced parameter cannot be downgraded to standard');
    }
    if (Buffer.byteLength(Value) > LIMITS[tier]) {
      throw validation(`Value of ${Buffer.byteLength(Value)} bytes exceeds the ${tier} limit of ${LIMITS[tier]}`);
    }
    const version = (existing?.version ?? 0) + 1;
    this.params.set(Name, { value: Value, type: Type, tier, version });
    return { body: { Version: version, Tier: tier } };
  }

  private getOp(req: ReceivedRequest) {
    const p = this.params.get(req.body?.Name);
    if (!p) throw new ServiceError(400, 'ParameterNotFound', '');
    return { body: { Parameter: { Name: req.body.Name, Type: p.type, Value: p.value, Version: p.version } } };
  }

  private deleteOp(req: ReceivedRequest) {
    if (!this.params.delete(req.body?.Name)) throw new ServiceError(400, 'ParameterNotFound', '');
    return { body: {} };
  }
}

/**
 * Parameter names as SSM checks them (PSParameterName is 1 to 2048 characters; the documented rules): letters, digits
 * and `_.-`, sub-paths divided by `/` with a leading `/`, at most 15 levels, not prefixed with aws or ssm.
 */
function checkName(name: string): void {
  if (name.length > 2048) throw validation('1 validation error detected: Value at \'name\' failed to satisfy constraint: Member must have length less than or equal to 2048');
  const bare = name.startsWith('/') ? name.slice(1) : name;
  if (/^(aws|ssm)/i.test(bare) || !/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(bare) || (name.includes('/') && !name.startsWith('/'))) {
    throw validation('Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of '
      + 'sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_');
  }
  if (bare.split('/').length > 15) {
    throw new ServiceError(400, 'HierarchyLevelLimitExceededException', 'A hierarchy can have a maximum of 15 levels.');
  }
}

function validation(message: string): ServiceError {
  return new ServiceError(400, 'ValidationException', message);
}
