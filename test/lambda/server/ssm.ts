/**
 * SSM Parameter Store's PutParameter, GetParameter and DeleteParameter (AWS JSON 1.1) on a LocalServer, with the
 * service's size limits per tier. Usage: `const ssm = new Parameters(server); ssm.params.get('/name')`.
 */
import type { LocalServer, ReceivedRequest } from '../local-server';
import { ServiceError } from '../local-server';

export interface StoredParameter {
  value: string;
  type: string;
  tier: string;
  version: number;
}

const LIMITS: Record<string, number> = { 'Standard': 4096, 'Advanced': 8192, 'Intelligent-Tiering': 8192 };

export class Parameters {
  readonly params = new Map<string, StoredParameter>();

  constructor(server: LocalServer) {
    server.target('AmazonSSM.PutParameter', (req) => this.putOp(req));
    server.target('AmazonSSM.GetParameter', (req) => this.getOp(req));
    server.target('AmazonSSM.DeleteParameter', (req) => this.deleteOp(req));
  }

  private putOp(req: ReceivedRequest) {
    const { Name, Value, Type = 'String', Overwrite, Tier = 'Standard' } = req.body ?? {};
    if (typeof Name !== 'string' || !Name) throw validation('Name is required');
    if (typeof Value !== 'string' || !Value) throw validation('Value is required');
    if (!(Tier in LIMITS)) throw validation(`Tier ${Tier} is invalid`);
    const existing = this.params.get(Name);
    if (existing && !Overwrite) throw new ServiceError(400, 'ParameterAlreadyExists', `${Name} exists`);
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

function validation(message: string): ServiceError {
  return new ServiceError(400, 'ValidationException', message);
}
