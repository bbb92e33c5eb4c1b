/**
 * Image Builder's DistributeImage, GetImage and DeleteImage on a LocalServer, and a minimal EC2 Query endpoint
 * (DescribeImages, DeregisterImage, DeleteSnapshot) for RemovalPolicy destroy. Requests and answers of both are
 * checked against the API models (model-check.ts: the LocalServer's own check, and one Ec2Images installs). Usage:
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
import { FAKE_BUGS, ServiceError } from '../local-server';
import { ModelCheck } from './model-check';
import { javaPattern, ServiceModel } from './service-model';
import { SignatureError, verifySigV4 } from './sigv4';

/** An image build version ARN, as the model's DeleteImage input has it (ImageBuildVersionArn). */
export const IMAGE_BUILD_VERSION_ARN = javaPattern(ServiceModel.load('imagebuilder').shapeOf('ImageBuildVersionArn').pattern!);

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
  /** Images cancelled with CancelImageCreation. */
  readonly cancelled: string[] = [];
  private readonly configs = new Map<string, TargetRegion[]>();
  private readonly tokens = new Map<string, { digest: string; response: unknown }>();
  private readonly clock: () => number;

  constructor(server: LocalServer, readonly options: { account?: string; clock?: () => number } = {}) {
    this.clock = options.clock ?? Date.now;
    server.route('PUT', '/DistributeImage', (req) => this.distributeOp(req));
    server.route('GET', '/GetImage', (req) => this.getOp(req));
    server.route('DELETE', '/DeleteImage', (req) => this.deleteOp(req));
    server.route('PUT', '/CancelImageCreation', (req) => this.cancelOp(req));
  }

  /** The status GetImage would answer now. */
  status(arn: string): string | undefined {
    const image = this.images.get(arn);
    return image && !image.deleted ? image.states[Math.min(image.step, image.states.length - 1)] : undefined;
  }

  /** What happens outside the stack: the image ends up in `status` (e.g. DELETED) from the next GetImage on. */
  setStatus(arn: string, status: string): void {
    const image = this.images.get(arn)!;
    image.states = [status];
    image.step = 0;
  }

  get account(): string {
    return this.options.account ?? '111111111111';
  }

  addConfiguration(arn: string, regions: TargetRegion[]): void {
    this.configs.set(arn, regions);
  }

  private distributeOp(req: ReceivedRequest) {
    const b = req.body;

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
    const response = { clientToken: b.clientToken, imageBuildVersionArn: arn };
    this.tokens.set(b.clientToken, { digest, response });
    return { body: response };
  }

  private find(req: ReceivedRequest): StoredImage {
    const arn = req.query.imageBuildVersionArn;
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
          version: '1.0.0',
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

  /**
   * CancelImageCreation: only for an image in a non-terminal state, as the API reference says (the request's shape is
   * the model check's).
   */
  private cancelOp(req: ReceivedRequest) {
    const b = req.body;
    const image = this.find({ ...req, query: { imageBuildVersionArn: b.imageBuildVersionArn } });
    const status = image.states[Math.min(image.step, image.states.length - 1)];
    if (['AVAILABLE', 'FAILED', 'CANCELLED', 'DELETED', 'DEPRECATED', 'DISABLED'].includes(status)) {
      throw new ServiceError(400, 'InvalidRequestException', `Image ${image.arn} is ${status}: only an image in a non-terminal state can be cancelled`);
    }
    image.states = ['CANCELLED'];
    image.step = 0;
    this.cancelled.push(image.arn);
    return { body: { requestId: 'r', clientToken: b.clientToken, imageBuildVersionArn: image.arn } };
  }

  private deleteOp(req: ReceivedRequest) {
    const image = this.find(req);
    image.deleted = true;
    return { body: { requestId: 'r', imageBuildVersionArn: image.arn } };
  }
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
  /** The EC2 API model's check of requests and answers (model-check.ts); bugs it finds go to FAKE_BUGS. */
  readonly modelCheck = new ModelCheck(['ec2']);
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
          FAKE_BUGS.push(`EC2 ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
          if (!res.headersSent) res.writeHead(500).end();
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
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const received = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      rawBody: body,
      body: params,
      operation: String(action ?? ''),
      faulted: false,
    };
    const reply = (status: number, xml: string) => {
      const document = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
      if (status === 200) {
        try {
          this.modelCheck.response(received, { status, body: document });
        } catch (err) {
          FAKE_BUGS.push(String(err));
          status = 500;
          xml = `<Response><Errors><Error><Code>InternalError</Code><Message>${escapeXml(String(err))}</Message></Error></Errors><RequestID>r</RequestID></Response>`;
        }
      }
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(status === 200 ? document : `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    };
    const error = (status: number, code: string, message: string) =>
      reply(status, `<Response><Errors><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>r</RequestID></Response>`);
    // What EC2 demands of every Query request: a form-encoded POST to /, API version 2016-11-15, signed for ec2.
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
    try {
      this.modelCheck.request(received);
    } catch (err) {
      if (err instanceof ServiceError) return error(err.status, err.type, err.message);
      throw err;
    }
    if (action === 'DescribeImages') {
      const id = params['ImageId.1'];
      const ami = this.amis.get(id);
      if (Object.keys(params).some((k) => !['Action', 'Version', 'ImageId.1', 'Owner.1'].includes(k))) {
        // Valid for the model, but more than this fake plays.
        throw new Error(`DescribeImages with parameters this fake does not play: ${Object.keys(params).join(', ')}`);
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
      return reply(200, '<DeleteSnapshotResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId></DeleteSnapshotResponse>');
    }
    return error(400, 'InvalidAction', `Unknown action ${action}`);
  }
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '\'': 'apos', '"': 'quot' } as Record<string, string>)[c]};`);
