/**
 * Image Builder's GetDistributionConfiguration and UpdateDistributionConfiguration on a LocalServer. What the API
 * model says of a request (required members, types, lengths, patterns, unknown members) the server's model check
 * enforces (model-check.ts); this fake adds what the service checks beyond it: a Region at most once, at least one
 * distribution, the client token's idempotency. It also plays a newer Image Builder: it knows the fields in
 * FUTURE_FIELDS, which the bundled SDK does not, stores and returns them, and accepts them on Update where they are
 * declared (and only there): it adds them to the server's model as members of a newer API version. Usage:
 *   const ib = new DistributionConfigurations(server);
 *   ib.put({ arn, name: 'x', distributions: [...] });   // seed
 *   ib.get(arn);                                         // inspect the stored configuration
 */
import { createHash } from 'crypto';
import type { LocalServer, ReceivedRequest } from '../local-server';
import { ServiceError } from '../local-server';
import { signingRegion } from './sigv4';

/**
 * Test-only fields of a future API version, unknown to the bundled SDK: one in a distribution, one in its
 * amiDistributionConfiguration (where a newer API adds writable members). The only unknown fields Update accepts.
 */
export const FUTURE_FIELDS = {
  distribution: 'futureDistributionSettings',
  amiDistributionConfiguration: 'futureAmiSettings',
} as const;

export interface StoredConfiguration {
  arn: string;
  name: string;
  description?: string;
  distributions: any[];
  timeoutMinutes: number;
  dateCreated: string;
  dateUpdated?: string;
  tags?: Record<string, string>;
  [extra: string]: unknown;
}

export class DistributionConfigurations {
  readonly configs = new Map<string, StoredConfiguration>();
  /** Updates that changed the stored configuration (idempotent replays excluded). */
  applied = 0;
  private readonly tokens = new Map<string, { digest: string; response: unknown }>();

  constructor(server: LocalServer) {
    server.modelCheck?.model('imagebuilder')
      .extend('Distribution', FUTURE_FIELDS.distribution)
      .extend('AmiDistributionConfiguration', FUTURE_FIELDS.amiDistributionConfiguration);
    server.route('GET', '/GetDistributionConfiguration', (req) => this.getOp(req));
    server.route('PUT', '/UpdateDistributionConfiguration', (req) => this.updateOp(req));
  }

  put(config: Partial<StoredConfiguration> & { arn: string; name: string; distributions: any[] }): void {
    this.configs.set(config.arn, structuredClone({ timeoutMinutes: 720, dateCreated: '2024-01-01T00:00:00.000Z', ...config }));
  }

  get(arn: string): StoredConfiguration | undefined {
    const c = this.configs.get(arn);
    return c && structuredClone(c);
  }

  /** What another writer (console, another stack) does: change the stored configuration directly. */
  modify(arn: string, change: (c: StoredConfiguration) => void): void {
    const c = this.configs.get(arn);
    if (!c) throw new Error(`no configuration ${arn}`);
    change(c);
  }

  /**
   * A configuration is known to the endpoint of its own Region only: a request signed for another Region (so sent to
   * that Region's endpoint) does not find it.
   */
  private find(req: ReceivedRequest, arn: string): StoredConfiguration | undefined {
    const region = signingRegion(req);
    if (region !== undefined && region !== arn.split(':')[3]) return undefined;
    return this.configs.get(arn);
  }

  private getOp(req: ReceivedRequest) {
    const arn = req.query.distributionConfigurationArn;
    const config = this.find(req, arn);
    if (!config) throw new ServiceError(404, 'ResourceNotFoundException', `Distribution configuration ${arn} not found`);
    return { body: { requestId: 'r', distributionConfiguration: config } };
  }

  private updateOp(req: ReceivedRequest) {
    const b = req.body;
    if (b.distributions.length === 0) throw invalid('distributions must not be empty');
    const regions = new Set<string>();
    for (const d of b.distributions) {
      if (regions.has(d.region)) throw invalid(`Region ${d.region} appears twice`);
      regions.add(d.region);
    }

    const digest = createHash('sha256').update(JSON.stringify({ ...b, clientToken: undefined })).digest('hex');
    const seen = this.tokens.get(b.clientToken);
    if (seen) {
      if (seen.digest !== digest) {
        throw new ServiceError(400, 'IdempotentParameterMismatchException', 'The client token was used with other parameters');
      }
      return { body: seen.response };
    }
    const config = this.find(req, b.distributionConfigurationArn);
    if (!config) throw new ServiceError(404, 'ResourceNotFoundException', `Distribution configuration ${b.distributionConfigurationArn} not found`);
    config.distributions = structuredClone(b.distributions);
    if (b.description === undefined) delete config.description;
    else config.description = b.description;
    config.dateUpdated = new Date().toISOString();
    this.applied++;
    const response = { requestId: 'r', clientToken: b.clientToken, distributionConfigurationArn: config.arn };
    this.tokens.set(b.clientToken, { digest, response });
    return { body: response };
  }
}

function invalid(message: string): ServiceError {
  return new ServiceError(400, 'InvalidRequestException', message);
}

