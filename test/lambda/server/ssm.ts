/**
 * SSM Parameter Store's PutParameter, GetParameter and DeleteParameter (AWS JSON 1.1) on a LocalServer, with the
 * service's size limits per tier (what the API model says of the requests, the server's model check enforces). Every request must be a POST to / with Content-Type application/x-amz-json-1.1
 * and a valid SigV4 signature for service ssm (./sigv4.ts), as the service requires.
 * Parameter Store is regional: each request reads and writes the parameters of the Region it is signed for.
 * Usage: `const ssm = new Parameters(server); ssm.params.get('/name')` (the home Region's, us-east-1 unless given),
 * `ssm.in('eu-west-1')` (another Region's); `ssm.regions` lists each call's signing Region.
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
  /** The Region each accepted request was signed for. */
  readonly regions: string[] = [];
  private readonly byRegion = new Map<string, Map<string, StoredParameter>>();

  constructor(server: LocalServer, readonly homeRegion = 'us-east-1') {
    server.target('AmazonSSM.PutParameter', (req) => this.putOp(req, this.check(req)));
    server.target('AmazonSSM.GetParameter', (req) => this.getOp(req, this.check(req)));
    server.target('AmazonSSM.DeleteParameter', (req) => this.deleteOp(req, this.check(req)));
  }

  /** The parameters of the home Region. */
  get params(): Map<string, StoredParameter> {
    return this.in(this.homeRegion);
  }

  /** The parameters of `region`. */
  in(region: string): Map<string, StoredParameter> {
    let params = this.byRegion.get(region);
    if (!params) {
      params = new Map();
      this.byRegion.set(region, params);
    }
    return params;
  }

  /** Checks the request; the parameters of the Region it was signed for. */
  private check(req: ReceivedRequest): Map<string, StoredParameter> {
    if (req.method !== 'POST' || req.path !== '/') throw new ServiceError(404, 'UnknownOperationException', `${req.method} ${req.path}`);
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') {
      throw new ServiceError(400, 'SerializationException', `Content-Type ${req.headers['content-type']} is not application/x-amz-json-1.1`);
    }
    if (req.body === undefined || typeof req.body !== 'object') throw new ServiceError(400, 'SerializationException', 'The body is not a JSON object');
    let region: string;
    try {
      region = verifySigV4(req, 'ssm').region;
    } catch (err) {
      if (err instanceof SignatureError) throw new ServiceError(400, 'InvalidSignatureException', err.message);
      throw err;
    }
    this.regions.push(region);
    return this.in(region);
  }

  private putOp(req: ReceivedRequest, params: Map<string, StoredParameter>) {
    const { Name, Value, Type = 'String', Overwrite, Tier = 'Standard' } = req.body ?? {};
    // Name, Tier, Description and the types are the model's (the server's model check); an empty Value and the
    // documented name rules the service refuses beyond it.
    if (Value === '') throw validation('Value must not be empty');
    checkName(Name);
    const existing = params.get(Name);
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
    params.set(Name, { value: Value, type: Type, tier, version });
    return { body: { Version: version, Tier: tier } };
  }

  private getOp(req: ReceivedRequest, params: Map<string, StoredParameter>) {
    const p = params.get(req.body?.Name);
    if (!p) throw new ServiceError(400, 'ParameterNotFound', '');
    return { body: { Parameter: { Name: req.body.Name, Type: p.type, Value: p.value, Version: p.version } } };
  }

  private deleteOp(req: ReceivedRequest, params: Map<string, StoredParameter>) {
    if (!params.delete(req.body?.Name)) throw new ServiceError(400, 'ParameterNotFound', '');
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
