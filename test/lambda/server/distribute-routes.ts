/**
 * Image Builder's DistributeImage, GetImage and DeleteImage on a LocalServer, validating requests as the API
 * reference (DistributeImage.txt) says, and a minimal EC2 Query endpoint (DescribeImages, DeregisterImage,
 * DeleteSnapshot) for RemovalPolicy destroy. Usage:
 *   const images = new DistributedImages(server, { clock: () => t });
 *   images.addConfiguration(CONFIG_ARN, [{ region: 'us-east-1' }, { region: 'eu-west-1', accountIds: [OTHER] }]);
 *   images.nextOutcome = { fail: 'reason' };      // the next distribution ends FAILED with that reason
 *   const ec2 = await Ec2Images.start(); ...; await ec2.close();
 * Every GetImage moves a distribution one step along PENDING -> DISTRIBUTING -> AVAILABLE (or FAILED).
 */
import { createHash } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { LocalServer, ReceivedRequest } from '../local-server';
import { ServiceError } from '../local-server';
import { SignatureError, verifySigV4 } from './sigv4';

export const DISTRIBUTION_CONFIGURATION_ARN =
  /^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws):distribution-configuration\/[a-z0-9-_]+$/;
export const IMAGE_BUILD_VERSION_ARN =
  /^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws(?:-[a-z-]+)?):image\/[a-z0-9-_]+\/[0-9]+\.[0-9]+\.[0-9]+\/[0-9]+$/;
const EXECUTION_ROLE = /^(?:arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role\/)?[a-zA-Z_0-9+=,.@\-_/]+$/;
const TAG_KEY = /^(?!aws:)[a-zA-Z0-9\s_.:/=+\-@]*$/;
const FIELDS = new Set(['clientToken', 'distributionConfigurationArn', 'executionRole', 'loggingConfiguration', 'sourceImage', 'tags']);

export interface TargetRegion {
  readonly region: string;
  /** Accounts besides the owner that get a copy. */
  readonly accountIds?: string[];
}

export interface Outcome {
  /** End FAILED with this reason instead of AVAILABLE. */
  readonly fail?: string;
  /** GetImage calls spent in each of PENDING and DISTRIBUTING (default 1). */
  readonly stepsPerState?: number;
}

export interface StoredImage {
  arn: string;
  states: string[];
  step: number;
  reason?: string;
  dateCreated: string;
  request: any;
  amis: { region: string; accountId: string; image: string }[];
  deleted: boolean;
}

export class DistributedImages {
  readonly images = new Map<string, StoredImage>();
  nextOutcome: Outcome = {};
  /** Distributions started (idempotent replays excluded). */
  started = 0;
  private readonly configs = new Map<string, TargetRegion[]>();
  private readonly tokens = new Map<string, { digest: string; response: unknown }>();
  private readonly clock: () => number;

  constructor(server: LocalServer, readonly options: { account?: string; clock?: () => number } = {}) {
    this.clock = options.clock ?? Date.now;
    server.route('PUT', '/DistributeImage', (req) => this.distributeOp(req));
    server.route('GET', '/GetImage', (req) => this.getOp(req));
    server.route('DELETE', '/DeleteImage', (req) => this.deleteOp(req));
  }

  get account(): string {
    return this.options.account ?? '111111111111';
  }

  addConfiguration(arn: string, regions: TargetRegion[]): void {
    this.configs.set(arn, regions);
  }

  private distributeOp(req: ReceivedRequest) {
    const b = req.body;
    if (!b || typeof b !== 'object') throw invalid('A JSON body is required');
    for (const k of Object.keys(b)) if (!FIELDS.has(k)) throw invalid(`Unexpected field ${k}`);
    if (typeof b.clientToken !== 'string' || b.clientToken.length < 1 || b.clientToken.length > 64) {
      throw invalid('clientToken must be 1 to 64 characters');
    }
    if (typeof b.distributionConfigurationArn !== 'string' || !DISTRIBUTION_CONFIGURATION_ARN.test(b.distributionConfigurationArn)) {
      throw invalid(`distributionConfigurationArn ${String(b.distributionConfigurationArn)} does not match ${DISTRIBUTION_CONFIGURATION_ARN}`);
    }
    if (typeof b.executionRole !== 'string' || b.executionRole.length > 2048 || !EXECUTION_ROLE.test(b.executionRole)) {
      throw invalid(`executionRole ${String(b.executionRole)} does not match ${EXECUTION_ROLE}`);
    }
    if (typeof b.sourceImage !== 'string' || b.sourceImage.length < 1 || b.sourceImage.length > 1024) {
      throw invalid('sourceImage must be 1 to 1024 characters');
    }
    if (b.loggingConfiguration !== undefined) {
      const l = b.loggingConfiguration;
      if (!l || typeof l !== 'object' || Object.keys(l).some((k) => k !== 'logGroupName') || typeof l.logGroupName !== 'string') {
        throw invalid('loggingConfiguration must be { logGroupName }');
      }
    }
    if (b.tags !== undefined) checkTags(b.tags);

    const digest = createHash('sha256').update(JSON.stringify({ ...b, clientToken: undefined })).digest('hex');
    const seen = this.tokens.get(b.clientToken);
    if (seen) {
      if (seen.digest !== digest) {
        throw new ServiceError(400, 'IdempotentParameterMismatchException', 'The client token was used with other parameters');
      }
      return { body: seen.response };
    }
    const regions = this.configs.get(b.distributionConfigurationArn);
    if (!regions) throw new ServiceError(404, 'ResourceNotFoundException', `Distribution configuration ${b.distributionConfigurationArn} not found`);

    this.started++;
    const n = this.started;
    const region = b.distributionConfigurationArn.split(':')[3];
    const arn = `arn:aws:imagebuilder:${region}:${this.account}:image/distributed-image/1.0.0/${n}`;
    const steps = this.nextOutcome.stepsPerState ?? 1;
    const image: StoredImage = {
      arn,
      states: [...Array(steps).fill('PENDING'), ...Array(steps).fill('DISTRIBUTING'), this.nextOutcome.fail ? 'FAILED' : 'AVAILABLE'],
      step: 0,
      reason: this.nextOutcome.fail,
      dateCreated: new Date(this.clock()).toISOString(),
      request: b,
      amis: regions.flatMap((r, i) => [this.account, ...(r.accountIds ?? [])].map((accountId, j) => ({
        region: r.region,
        accountId,
        image: `ami-${String(n).padStart(5, '0')}${String(i).padStart(6, '0')}${String(j).padStart(6, '0')}`,
      }))),
      deleted: false,
    };
    this.nextOutcome = {};
    this.images.set(arn, image);
    const response = { requestId: `r-${n}`, clientToken: b.clientToken, imageBuildVersionArn: arn };
    this.tokens.set(b.clientToken, { digest, response });
    return { body: response };
  }

  private find(req: ReceivedRequest): StoredImage {
    const arn = req.query.imageBuildVersionArn;
    if (typeof arn !== 'string' || !IMAGE_BUILD_VERSION_ARN.test(arn)) {
      throw invalid(`imageBuildVersionArn ${String(arn)} does not match ${IMAGE_BUILD_VERSION_ARN}`);
    }
    const image = this.images.get(arn);
    if (!image || image.deleted) throw new ServiceError(404, 'ResourceNotFoundException', `Image ${arn} not found`);
    return image;
  }

  private getOp(req: ReceivedRequest) {
    const image = this.find(req);
    const status = image.states[Math.min(image.step, image.states.length - 1)];
    image.step++;
    const done = status === 'AVAILABLE' || status === 'FAILED';
    return {
      body: {
        requestId: 'r',
        image: {
          arn: image.arn,
          name: 'distributed-image',
          version: '1.0.0/' + image.arn.split('/').pop(),
          type: 'AMI',
          state: { status, ...(status === 'FAILED' ? { reason: image.reason } : {}) },
          dateCreated: image.dateCreated,
          executionRole: image.request.executionRole,
          tags: image.request.tags,
          // A failed distribution may still have copied to some Regions.
          outputResources: { amis: done ? (status === 'FAILED' ? image.amis.slice(0, 1) : image.amis) : [] },
        },
      },
    };
  }

  private deleteOp(req: ReceivedRequest) {
    const image = this.find(req);
    image.deleted = true;
    return { body: { requestId: 'r', imageBuildVersionArn: image.arn } };
  }
}

function checkTags(tags: unknown): void {
  if (!tags || typeof tags !== 'object' || Array.isArray(tags)) throw invalid('tags must be a map');
  const entries = Object.entries(tags);
  if (entries.length > 50) throw invalid('At most 50 tags');
  for (const [k, v] of entries) {
    if (k.length < 1 || k.length > 128 || !TAG_KEY.test(k)) throw invalid(`Tag key ${k} is invalid`);
    if (typeof v !== 'string' || v.length > 256) throw invalid(`Tag value of ${k} is invalid`);
  }
}

function invalid(message: string): ServiceError {
  return new ServiceError(400, 'InvalidRequestException', message);
}

export interface Ec2Ami {
  readonly imageId: string;
  readonly region: string;
  readonly creationDate: string;
  readonly snapshotIds: string[];
  /** Tags of the AMI and its snapshots (what IAM's aws:ResourceTag conditions see). */
  readonly tags?: Record<string, string>;
}

/**
 * EC2's Query protocol (form-encoded POST, XML answers) for the three calls RemovalPolicy destroy makes. The
 * Region is read from the request's SigV4 credential scope, so per-Region clients can share one endpoint.
 */
export class Ec2Images {
  static async start(): Promise<Ec2Images> {
    const s = new Ec2Images();
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(0, '127.0.0.1', () => resolve());
    });
    return s;
  }

  readonly amis = new Map<string, Ec2Ami>();
  readonly snapshots = new Set<string>();
  /** Accepted requests: the action, the signature's Region and access key, the session token sent. */
  readonly calls: { action: string; region: string; params: Record<string, string>; accessKeyId: string; sessionToken?: string }[] = [];
  /** Answer the next `n` calls with RequestLimitExceeded (HTTP 503), as EC2 throttles. */
  throttleNext = 0;
  /** IAM authorization of each signed request (./iam.ts): throws a ServiceError to deny it. */
  authorize?: (action: string, params: Record<string, string>, region: string, accessKeyId: string,
    resourceTags: Record<string, string>) => Promise<void>;
  /** Tags of each AMI and snapshot, by ID; kept after deregistration, as snapshots keep theirs. */
  private readonly tags = new Map<string, Record<string, string>>();
  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.handle(req, Buffer.concat(chunks).toString('utf8'), res).catch((err) => {
          if (!res.headersSent) {
            res.writeHead(500);
            res.end(String(err));
          }
        });
      });
    });
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  add(ami: Ec2Ami): void {
    this.amis.set(ami.imageId, ami);
    for (const s of ami.snapshotIds) this.snapshots.add(s);
    for (const id of [ami.imageId, ...ami.snapshotIds]) this.tags.set(id, ami.tags ?? {});
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): Promise<void> {
    const params = Object.fromEntries(new URLSearchParams(body).entries());
    const action = params.Action;
    const reply = (status: number, xml: string) => {
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    };
    const error = (status: number, code: string, message: string) =>
      reply(status, `<Response><Errors><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>r</RequestID></Response>`);
    // What EC2 demands of every Query request: a form-encoded POST to /, API version 2016-11-15, signed for ec2.
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'POST' || url.pathname !== '/') return error(400, 'InvalidAction', `expected POST /, got ${req.method} ${url.pathname}`);
    if (!/^application\/x-www-form-urlencoded(;\s*charset=utf-8)?$/i.test(String(req.headers['content-type']))) {
      return error(400, 'InvalidParameterValue', `Content-Type ${req.headers['content-type']} is not application/x-www-form-urlencoded`);
    }
    if (params.Version !== '2016-11-15') return error(400, 'InvalidParameterValue', `Version ${params.Version} is not 2016-11-15`);
    let region: string;
    let accessKeyId: string;
    try {
      ({ region, accessKeyId } = verifySigV4({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, rawBody: body }, 'ec2'));
    } catch (err) {
      if (err instanceof SignatureError) return error(401, 'AuthFailure', err.message);
      throw err;
    }
    if (this.authorize) {
      try {
        await this.authorize(action, params, region, accessKeyId, this.tags.get(params.ImageId ?? params.SnapshotId) ?? {});
      } catch (err) {
        if (err instanceof ServiceError) return error(err.status, err.type, err.message);
        throw err;
      }
    }
    const token = req.headers['x-amz-security-token'] as string | undefined;
    this.calls.push({ action, region, params, accessKeyId, ...(token !== undefined ? { sessionToken: token } : {}) });
    if (this.throttleNext > 0) {
      this.throttleNext--;
      return error(503, 'RequestLimitExceeded', 'Request limit exceeded.');
    }
    if (action === 'DescribeImages') {
      const id = params['ImageId.1'];
      const ami = this.amis.get(id);
      if (Object.keys(params).some((k) => !['Action', 'Version', 'ImageId.1', 'Owner.1'].includes(k))) {
        return error(400, 'InvalidParameter', `unexpected parameters ${Object.keys(params).join(', ')}`);
      }
      if (params['Owner.1'] !== 'self') return error(400, 'InvalidParameterValue', 'expected Owner.1=self');
      if (!ami || ami.region !== region) return error(400, 'InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
      // As EC2 answers: nested <item> lists, an instance-store mapping without ebs, tags after the mappings.
      const mappings = ami.snapshotIds.map((s, i) =>
        `<item><deviceName>/dev/sd${'abcdefgh'[i]}</deviceName><ebs><snapshotId>${s}</snapshotId><volumeSize>8</volumeSize>`
        + '<deleteOnTermination>true</deleteOnTermination><volumeType>gp3</volumeType><encrypted>false</encrypted></ebs></item>').join('')
        + '<item><deviceName>/dev/sdz</deviceName><virtualName>ephemeral0</virtualName></item>';
      return reply(200, '<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">\n  <requestId>r</requestId>\n  <imagesSet>\n    <item>'
        + `<imageId>${ami.imageId}</imageId><imageState>available</imageState><imageOwnerId>111111111111</imageOwnerId>`
        + `<creationDate>${ami.creationDate}</creationDate><isPublic>false</isPublic><productCodes/>`
        + `<rootDeviceName>/dev/sda</rootDeviceName><blockDeviceMapping>${mappings}</blockDeviceMapping>`
        + '<tagSet><item><key>Name</key><value>a &amp; b &lt;distributed&gt;</value></item></tagSet></item>\n  </imagesSet>\n</DescribeImagesResponse>');
    }
    if (action === 'DeregisterImage') {
      const ami = this.amis.get(params.ImageId);
      if (!ami || ami.region !== region) return error(400, 'InvalidAMIID.NotFound', `The image id '[${params.ImageId}]' does not exist`);
      this.amis.delete(params.ImageId);
      return reply(200, '<DeregisterImageResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><return>true</return></DeregisterImageResponse>');
    }
    if (action === 'DeleteSnapshot') {
      const id = params.SnapshotId;
      if ([...this.amis.values()].some((a) => a.snapshotIds.includes(id))) {
        return error(400, 'InvalidSnapshot.InUse', `The snapshot ${id} is currently in use by an AMI`);
      }
      if (!this.snapshots.delete(id)) return error(400, 'InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
      return reply(200, '<DeleteSnapshotResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><return>true</return></DeleteSnapshotResponse>');
    }
    return error(400, 'InvalidAction', `Unknown action ${action}`);
  }
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '\'': 'apos', '"': 'quot' } as Record<string, string>)[c]};`);
