/**
 * Image Builder's GetDistributionConfiguration and UpdateDistributionConfiguration on a LocalServer, with the
 * validation the real service applies to what it receives (required fields, ARN pattern, client token, only
 * writable fields). It also plays a newer Image Builder: it knows the fields in FUTURE_FIELDS, which the bundled SDK
 * does not, stores and returns them, and accepts them on Update where they are declared (and only there). Usage:
 *   const ib = new DistributionConfigurations(server);
 *   ib.put({ arn, name: 'x', distributions: [...] });   // seed
 *   ib.get(arn);                                         // inspect the stored configuration
 */
import { createHash } from 'crypto';
import type { LocalServer, ReceivedRequest } from '../local-server';
import { ServiceError } from '../local-server';

export const DISTRIBUTION_CONFIGURATION_ARN =
  /^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws):distribution-configuration\/[a-z0-9-_]+$/;

/**
 * Test-only fields of a future API version, unknown to the bundled SDK: one in a distribution, one in its
 * amiDistributionConfiguration (where a newer API adds writable members). The only unknown fields Update accepts.
 */
export const FUTURE_FIELDS = {
  distribution: 'futureDistributionSettings',
  amiDistributionConfiguration: 'futureAmiSettings',
} as const;

const UPDATE_FIELDS = new Set(['distributionConfigurationArn', 'description', 'distributions', 'clientToken']);
const DISTRIBUTION_FIELDS = new Set([
  'region', 'amiDistributionConfiguration', 'containerDistributionConfiguration', 'licenseConfigurationArns',
  'launchTemplateConfigurations', 's3ExportConfiguration', 'fastLaunchConfigurations', 'ssmParameterConfigurations',
  FUTURE_FIELDS.distribution,
]);
const AMI_DISTRIBUTION_FIELDS = new Set([
  'name', 'description', 'targetAccountIds', 'amiTags', 'kmsKeyId', 'launchPermission', FUTURE_FIELDS.amiDistributionConfiguration,
]);

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

  private getOp(req: ReceivedRequest) {
    const arn = req.query.distributionConfigurationArn;
    checkArn(arn);
    const config = this.configs.get(arn);
    if (!config) throw new ServiceError(404, 'ResourceNotFoundException', `Distribution configuration ${arn} not found`);
    return { body: { requestId: 'r', distributionConfiguration: config } };
  }

  private updateOp(req: ReceivedRequest) {
    const b = req.body;
    if (!b || typeof b !== 'object') throw invalid('A JSON body is required');
    for (const k of Object.keys(b)) if (!UPDATE_FIELDS.has(k)) throw invalid(`Unexpected field ${k}`);
    checkArn(b.distributionConfigurationArn);
    if (typeof b.clientToken !== 'string' || b.clientToken.length < 1 || b.clientToken.length > 36) {
      throw invalid('clientToken must be 1 to 36 characters');
    }
    if (!Array.isArray(b.distributions) || b.distributions.length === 0) throw invalid('distributions is required');
    if (b.description !== undefined && (typeof b.description !== 'string' || b.description.length === 0)) {
      throw invalid('description must be a non-empty string');
    }
    const regions = new Set<string>();
    for (const d of b.distributions) checkDistribution(d, regions);

    const digest = createHash('sha256').update(JSON.stringify({ ...b, clientToken: undefined })).digest('hex');
    const seen = this.tokens.get(b.clientToken);
    if (seen) {
      if (seen.digest !== digest) {
        throw new ServiceError(400, 'IdempotentParameterMismatchException', 'The client token was used with other parameters');
      }
      return { body: seen.response };
    }
    const config = this.configs.get(b.distributionConfigurationArn);
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

function checkArn(arn: unknown): asserts arn is string {
  if (typeof arn !== 'string' || !DISTRIBUTION_CONFIGURATION_ARN.test(arn)) {
    throw invalid(`distributionConfigurationArn ${String(arn)} does not match ${DISTRIBUTION_CONFIGURATION_ARN}`);
  }
}

function checkDistribution(d: any, regions: Set<string>): void {
  if (!d || typeof d !== 'object') throw invalid('A distribution must be an object');
  for (const k of Object.keys(d)) if (!DISTRIBUTION_FIELDS.has(k)) throw invalid(`Unexpected distribution field ${k}`);
  if (typeof d.region !== 'string' || d.region.length === 0) throw invalid('distributions[].region is required');
  if (regions.has(d.region)) throw invalid(`Region ${d.region} appears twice`);
  regions.add(d.region);
  const ami = d.amiDistributionConfiguration;
  if (ami !== undefined) {
    if (!ami || typeof ami !== 'object') throw invalid('amiDistributionConfiguration must be an object');
    for (const k of Object.keys(ami)) if (!AMI_DISTRIBUTION_FIELDS.has(k)) throw invalid(`Unexpected amiDistributionConfiguration field ${k}`);
  }
  const s3 = d.s3ExportConfiguration;
  if (s3 !== undefined) {
    if (!s3.roleName || !s3.s3Bucket) throw invalid('s3ExportConfiguration needs roleName and s3Bucket');
    if (!['VMDK', 'RAW', 'VHD'].includes(s3.diskImageFormat)) throw invalid(`diskImageFormat ${s3.diskImageFormat} is not VMDK, RAW or VHD`);
  }
  if (d.containerDistributionConfiguration && !d.containerDistributionConfiguration.targetRepository) {
    throw invalid('containerDistributionConfiguration.targetRepository is required');
  }
  for (const l of d.launchTemplateConfigurations ?? []) if (!l.launchTemplateId) throw invalid('launchTemplateId is required');
  for (const f of d.fastLaunchConfigurations ?? []) if (typeof f.enabled !== 'boolean') throw invalid('fastLaunchConfigurations[].enabled is required');
}
