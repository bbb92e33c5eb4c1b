// The local fakes enforce the API models (server/service-model.ts, server/model-check.ts): requests that break the
// model are answered as AWS answers them, and answers of the fakes that break it fail the test.
import { GetDistributionConfigurationCommand, ImagebuilderClient, UpdateDistributionConfigurationCommand } from '@aws-sdk/client-imagebuilder';
import { FAKE_BUGS, faults, LocalServer, ServiceError, takeFakeBugs } from './local-server';
import { DistributedImages, Ec2Images } from './server/distribute-routes';
import { DistributionConfigurations } from './server/imagebuilder';
import { ModelCheck } from './server/model-check';
import { ARN, fullDistribution } from './server/patch-fixtures';
import { describeViolations, javaPattern, ServiceModel, translateJavaPattern } from './server/service-model';
import { Parameters } from './server/ssm';
import { Roles } from './server/sts';
import { JsonClient, QueryClient } from '../../lambda/aws-request';

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
beforeAll(() => Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_SESSION_TOKEN: 'token' }));
afterAll(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

const imagebuilder = ServiceModel.load('imagebuilder');
const op = (model: ServiceModel, name: string) => model.operations[name];
const get = (query: Record<string, string>) => ({ method: 'GET', path: '/GetDistributionConfiguration', query, headers: {}, body: undefined });
const update = (body: unknown) => ({ method: 'PUT', path: '/UpdateDistributionConfiguration', query: {}, headers: {}, body });
const valid = { distributionConfigurationArn: ARN, clientToken: 't', distributions: [{ region: 'us-east-1' }] };

describe('the validator reads the models', () => {
  test('rest-json: querystring members, required, types, lengths, list and map sizes, enums, patterns, unknown members', () => {
    const check = (body: unknown) => imagebuilder.checkInput(op(imagebuilder, 'UpdateDistributionConfiguration'), update(body));
    expect(check(valid)).toEqual([]);
    expect(imagebuilder.checkInput(op(imagebuilder, 'GetDistributionConfiguration'), get({ distributionConfigurationArn: ARN }))).toEqual([]);
    expect(imagebuilder.checkInput(op(imagebuilder, 'GetDistributionConfiguration'), get({}))).toEqual([
      { path: 'distributionConfigurationArn', kind: 'missing', message: 'Member must not be null' },
    ]);
    expect(imagebuilder.checkInput(op(imagebuilder, 'GetDistributionConfiguration'), get({ distributionConfigurationArn: 'arn:aws:s3:::bucket', extra: '1' })).map((v) => v.path))
      .toEqual(['extra', 'distributionConfigurationArn']);

    const { clientToken: _t, ...withoutToken } = valid;
    expect(check(withoutToken)).toEqual([{ path: 'clientToken', kind: 'missing', message: 'Member must not be null' }]);
    expect(check({ ...valid, clientToken: 'x'.repeat(65) })[0].message).toMatch(/length less than or equal to 64/);
    expect(check({ ...valid, description: '' })[0].message).toMatch(/length greater than or equal to 1/);
    expect(check({ ...valid, distributions: 'us-east-1' })[0]).toMatchObject({ path: 'distributions', kind: 'type' });
    const dist = (d: object) => check({ ...valid, distributions: [{ region: 'us-east-1', ...d }] });
    expect(dist({ amiDistributionConfiguration: { targetAccountIds: [] } })).toEqual([expect.objectContaining({ path: 'distributions.1.amiDistributionConfiguration.targetAccountIds', message: expect.stringMatching(/greater than or equal to 1 \(has 0\)/) })]);
    expect(dist({ amiDistributionConfiguration: { amiTags: {} } })[0].path).toBe('distributions.1.amiDistributionConfiguration.amiTags');
    expect(dist({ amiDistributionConfiguration: { amiTags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) } })[0].message)
      .toMatch(/less than or equal to 50 \(has 51\)/);
    expect(dist({ amiDistributionConfiguration: { targetAccountIds: ['12345'] } })[0].message).toMatch(/regular expression pattern: \^\[0-9\]\{12\}\$/);
    expect(dist({ s3ExportConfiguration: { s3Bucket: 'b' } }).map((v) => v.path)).toEqual([
      'distributions.1.s3ExportConfiguration.roleName', 'distributions.1.s3ExportConfiguration.diskImageFormat',
    ]);
    expect(dist({ s3ExportConfiguration: { s3Bucket: 'b', roleName: 'r', diskImageFormat: 'QCOW2' } })[0].message).toMatch(/enum value set: \[VMDK, RAW, VHD\]/);
    expect(dist({ fastLaunchConfigurations: [{ enabled: 'yes' }] })[0]).toMatchObject({ kind: 'type', path: 'distributions.1.fastLaunchConfigurations.1.enabled' });
    expect(dist({ fastLaunchConfigurations: [{ enabled: true, maxParallelLaunches: 1.5 }] })[0].kind).toBe('type');
    expect(dist({ fastLaunchConfigurations: [{ enabled: true, maxParallelLaunches: 0 }] })[0].message).toMatch(/greater than or equal to 1/);
    expect(dist({ somethingElse: 1 })).toEqual([{ path: 'distributions.1.somethingElse', kind: 'unknown', message: 'is not a member of Distribution' }]);
    // A null member is an absent one (AWS JSON); a required one so is missing.
    expect(dist({ kmsKeyId: undefined, amiDistributionConfiguration: null })).toEqual([]);
    expect(check({ ...valid, clientToken: null })[0].kind).toBe('missing');
  });

  test('rest-json URI labels: the operation is found by its path template, the label checked like any member', () => {
    const tagsOf = (arn: string, query: Record<string, string> = {}) => ({ method: 'GET', path: `/tags/${encodeURIComponent(arn)}`, query, headers: {}, body: undefined });
    const listTags = imagebuilder.operationOf(tagsOf(ARN))!;
    expect(listTags.name).toBe('ListTagsForResource');
    expect(imagebuilder.checkInput(listTags, tagsOf(ARN))).toEqual([]);
    expect(imagebuilder.checkInput(listTags, tagsOf('arn:aws:s3:::bucket'))[0]).toMatchObject({ path: 'resourceArn', kind: 'constraint' });
    const untag = { method: 'DELETE', path: `/tags/${encodeURIComponent(ARN)}`, query: { tagKeys: 'a' }, headers: {}, body: undefined };
    expect(imagebuilder.operationOf(untag)!.name).toBe('UntagResource');
    expect(imagebuilder.checkInput(imagebuilder.operationOf(untag)!, untag)).toEqual([]);
    expect(imagebuilder.operationOf({ ...untag, method: 'PATCH' })).toBeUndefined();
  });

  test('a newer API version: extended members are known where declared, and only there', () => {
    const model = ServiceModel.load('imagebuilder').extend('Distribution', 'futureX');
    const check = (d: object) => model.checkInput(op(model, 'UpdateDistributionConfiguration'), update({ ...valid, distributions: [{ region: 'r', ...d }] }));
    expect(check({ futureX: { any: ['json', 1, null] } })).toEqual([]);
    expect(check({ amiDistributionConfiguration: { futureX: 1 } })[0].kind).toBe('unknown');
    // Extensions belong to the ServiceModel instance (one per server): a fresh one does not know them.
    const fresh = ServiceModel.load('imagebuilder');
    expect(fresh.checkInput(op(fresh, 'UpdateDistributionConfiguration'), update({ ...valid, distributions: [{ region: 'r', futureX: 1 }] }))[0].kind).toBe('unknown');
    expect(() => model.extend('NoSuchShape', 'x')).toThrow('imagebuilder has no structure NoSuchShape');
  });

  test('json output: required members, unknown members, epoch-second timestamps', () => {
    const ssm = ServiceModel.load('ssm');
    const getParameter = op(ssm, 'GetParameter');
    expect(ssm.checkOutput(getParameter, { Parameter: { Name: 'n', Value: 'v', Version: 1, LastModifiedDate: 1700000000.5 } })).toEqual([]);
    expect(ssm.checkOutput(getParameter, { Parameter: { Name: 'n', LastModifiedDate: '2024-01-01T00:00:00Z' } })[0])
      .toMatchObject({ path: 'Parameter.LastModifiedDate', kind: 'type' });
    expect(ssm.checkOutput(getParameter, { Parameter: { Name: '' }, Extra: 1 }).map((v) => v.path)).toEqual(['Parameter.Name', 'Extra']);
    expect(imagebuilder.checkOutput(op(imagebuilder, 'GetDistributionConfiguration'), { distributionConfiguration: { arn: ARN } })).toEqual([
      { path: 'distributionConfiguration.timeoutMinutes', kind: 'missing', message: 'Member must not be null' },
    ]);
  });

  test('query (STS): form lists and maps, the result wrapper, ISO 8601 timestamps in XML', () => {
    const sts = ServiceModel.load('sts');
    const assumeRole = op(sts, 'AssumeRole');
    const form = (params: Record<string, string>) => ({ method: 'POST', path: '/', query: {}, headers: {}, body: { Action: 'AssumeRole', Version: '2011-06-15', ...params } });
    const role = { RoleArn: 'arn:aws:iam::123456789012:role/r', RoleSessionName: 's1' };
    expect(sts.checkInput(assumeRole, form({ ...role, 'Tags.member.1.Key': 'k', 'Tags.member.1.Value': 'v', 'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess' }))).toEqual([]);
    expect(sts.checkInput(assumeRole, form({ ...role, 'Tags.member.1.Key': 'k' }))).toEqual([
      { path: 'Tags.1.Value', kind: 'missing', message: 'Member must not be null' },
    ]);
    expect(sts.checkInput(assumeRole, form({ ...role, DurationSeconds: '899' }))[0].message).toMatch(/greater than or equal to 900/);
    expect(sts.checkInput(assumeRole, form({ ...role, DurationSeconds: 'soon' }))[0].kind).toBe('type');
    expect(sts.checkInput(assumeRole, form({ ...role, RoleSessionName: 'has space' }))[0].message).toMatch(/pattern/);
    expect(sts.checkInput(assumeRole, form({ ...role, Tags: 'x', Bogus: '1' })).map((v) => v.path)).toEqual(['Tags', 'Bogus']);
    expect(sts.checkInput(assumeRole, { ...form(role), body: { ...form(role).body, Version: '2011-01-01' } })[0].path).toBe('Version');

    const answer = (result: string, extra = '') => `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>${result}</AssumeRoleResult>`
      + `<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>${extra}</AssumeRoleResponse>`;
    const credentials = (expiration: string) => `<Credentials><AccessKeyId>ASIAEXAMPLE12345</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>${expiration}</Expiration></Credentials>`;
    expect(sts.checkOutput(assumeRole, answer(credentials('2024-01-01T00:00:00Z')))).toEqual([]);
    expect(sts.checkOutput(assumeRole, answer(credentials('tomorrow')))[0]).toMatchObject({ path: 'Credentials.Expiration', kind: 'type' });
    expect(sts.checkOutput(assumeRole, answer('<Credentials><AccessKeyId>A</AccessKeyId></Credentials>')).map((v) => v.path))
      .toEqual(['Credentials.SecretAccessKey', 'Credentials.SessionToken', 'Credentials.Expiration', 'Credentials.AccessKeyId']);
    expect(sts.checkOutput(assumeRole, answer('', '<Other/>'))[0]).toMatchObject({ path: 'Other', kind: 'unknown' });
    expect(sts.checkOutput(assumeRole, '<AssumeRoleResult/>')[0].message).toMatch(/expected <AssumeRoleResponse>/);
    expect(sts.checkOutput(assumeRole, '<AssumeRoleResponse><a></b></AssumeRoleResponse>')[0].message).toMatch(/Malformed XML/);
  });

  test('ec2: flattened lists named by locationName, <item> lists in answers', () => {
    const ec2 = ServiceModel.load('ec2');
    const describeImages = op(ec2, 'DescribeImages');
    const form = (params: Record<string, string>) => ({ method: 'POST', path: '/', query: {}, headers: {}, body: { Action: 'DescribeImages', Version: '2016-11-15', ...params } });
    expect(ec2.checkInput(describeImages, form({ 'ImageId.1': 'ami-1', 'ImageId.2': 'ami-2', 'Owner.1': 'self', 'Filter.1.Name': 'n', 'Filter.1.Value.1': 'v' }))).toEqual([]);
    expect(ec2.checkInput(describeImages, form({ 'ImageIds.member.1': 'ami-1' }))[0]).toMatchObject({ kind: 'unknown', path: 'ImageIds.member.1' });
    expect(ec2.checkInput(op(ec2, 'DeregisterImage'), { ...form({}), body: { Action: 'DeregisterImage', Version: '2016-11-15' } })[0]).toMatchObject({ kind: 'missing', path: 'ImageId' });
    expect(ec2.checkOutput(describeImages, '<DescribeImagesResponse><requestId>r</requestId><imagesSet><item><imageId>ami-1</imageId><isPublic>maybe</isPublic></item></imagesSet></DescribeImagesResponse>'))
      .toEqual([expect.objectContaining({ path: 'Images.1.Public', kind: 'type' })]);
    expect(ec2.checkOutput(describeImages, '<DescribeImagesResponse><imagesSet><image/></imagesSet></DescribeImagesResponse>')[0].message).toMatch(/<image> in a list of <item>/);
    expect(ec2.checkOutput(op(ec2, 'DeleteSnapshot'), '<DeleteSnapshotResponse><requestId>r</requestId><return>true</return></DeleteSnapshotResponse>')[0])
      .toMatchObject({ path: 'return', kind: 'unknown' });
  });

  test('Java patterns: code points beyond the BMP, ASCII \\s, escaped punctuation', () => {
    // \u10000-\u10FFFF is one range of code points in Java; JavaScript would read \u1000 then '0'.
    const arnType = ServiceModel.load('sts').shapeOf('arnType').pattern!;
    expect(translateJavaPattern(arnType)).toContain('\\u{10000}-\\u{10FFFF}');
    expect(javaPattern(arnType).test('\u{1F600}')).toBe(true);
    expect(javaPattern('^[\\s]+$').test('\u00a0')).toBe(false); // Java's \s is ASCII whitespace; JavaScript's is not
    expect(javaPattern('^\\s$').test('\t')).toBe(true);
    expect(javaPattern('^ou\\-x$').test('ou-x')).toBe(true); // an invalid escape in JavaScript's u mode
    expect(javaPattern('^[\\p{L}\\p{N}]+$').test('é1')).toBe(true);
    // Every pattern of every model compiles.
    for (const service of ['imagebuilder', 'ssm', 'sts', 'ec2', 'organizations']) {
      const model = ServiceModel.load(service) as any;
      for (const shape of Object.values<any>(model.file.shapes)) if (shape.pattern) expect(() => javaPattern(shape.pattern)).not.toThrow();
    }
  });

  test('violations read as AWS words them', () => {
    expect(describeViolations([{ path: 'a.b', kind: 'missing', message: 'Member must not be null' }])).toBe("1 validation error detected: 'a.b' Member must not be null");
  });
});

describe('every LocalServer and Ec2Images enforces the models by default', () => {
  let server: LocalServer;
  beforeEach(async () => {
    server = await LocalServer.start();
  });
  afterEach(async () => {
    await server.close();
  });

  test('Image Builder: a request the model forbids is answered 400 InvalidRequestException and never reaches the route', async () => {
    const ib = new DistributionConfigurations(server);
    ib.put({ arn: ARN, name: 'dist', distributions: [fullDistribution('us-east-1')] });
    const client = new ImagebuilderClient({ endpoint: server.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    try {
      const send = (distributions: any[]) => client.send(new UpdateDistributionConfigurationCommand({ distributionConfigurationArn: ARN, clientToken: 'c', distributions }));
      await expect(send([{ region: 'us-east-1', amiDistributionConfiguration: { targetAccountIds: [] } }])).rejects.toMatchObject({
        name: 'InvalidRequestException',
        $metadata: { httpStatusCode: 400 },
        message: "1 validation error detected: 'distributions.1.amiDistributionConfiguration.targetAccountIds' Member must have length greater than or equal to 1 (has 0)",
      });
      await expect(send([{ region: 'us-east-1', s3ExportConfiguration: { s3Bucket: 'b', s3Prefix: 'p/' } as any }])).rejects.toThrow(
        /'distributions.1.s3ExportConfiguration.roleName' Member must not be null; 'distributions.1.s3ExportConfiguration.diskImageFormat' Member must not be null/);
      expect(server.callsTo('UpdateDistributionConfiguration').every((c) => c.faulted)).toBe(true);
      expect(ib.applied).toBe(0);
      await expect(client.send(new GetDistributionConfigurationCommand({ distributionConfigurationArn: 'arn:aws:imagebuilder:us-east-1:123456789012:image/x/1.0.0/1' })))
        .rejects.toMatchObject({ name: 'InvalidRequestException' });
    } finally {
      client.destroy();
    }
  });

  test('SSM answers ValidationException, STS ValidationError, EC2 MissingParameter/UnknownParameter/InvalidParameterValue', async () => {
    const ssm = new Parameters(server);
    new Roles(server).add('arn:aws:iam::123456789012:role/r');
    const ssmClient = new JsonClient({ service: 'ssm', region: 'us-east-1', endpoint: server.endpoint, timeoutMs: 5_000 }, 'AmazonSSM');
    const sts = new QueryClient({ service: 'sts', region: 'us-east-1', endpoint: server.endpoint, timeoutMs: 5_000 }, '2011-06-15');
    const ec2 = await Ec2Images.start();
    const ec2Client = new QueryClient({ service: 'ec2', region: 'us-east-1', endpoint: ec2.endpoint, timeoutMs: 5_000 }, '2016-11-15');
    try {
      await expect(ssmClient.call('PutParameter', { Name: '/p', Value: 'v', Tier: 'Premium' })).rejects.toMatchObject({
        name: 'ValidationException', $metadata: { httpStatusCode: 400 }, message: expect.stringMatching(/'Tier' Value "Premium" must satisfy enum value set/),
      });
      await expect(ssmClient.call('GetParameter', { Name: '' })).rejects.toMatchObject({ name: 'ValidationException' });
      expect(ssm.params.size).toBe(0);
      await expect(sts.call('AssumeRole', { RoleArn: 'arn:aws:iam::123456789012:role/r', RoleSessionName: 's1', DurationSeconds: 60 })).rejects.toMatchObject({
        name: 'ValidationError', $metadata: { httpStatusCode: 400 }, message: expect.stringMatching(/'DurationSeconds' Value 60 must be greater than or equal to 900/),
      });
      await expect(ec2Client.call('DeregisterImage', {})).rejects.toMatchObject({ name: 'MissingParameter', $metadata: { httpStatusCode: 400 } });
      await expect(ec2Client.call('DescribeImages', { ImageIds: ['ami-1'], Bogus: 'x' })).rejects.toMatchObject({ name: 'UnknownParameter' });
      await expect(ec2Client.call('DescribeImages', { ImageId: ['ami-1'], DryRun: 'perhaps' })).rejects.toMatchObject({ name: 'InvalidParameterValue' });
      expect(ec2.calls.every((c) => c.action !== 'DeregisterImage' || c.params.ImageId === undefined)).toBe(true);
    } finally {
      ssmClient.destroy();
      sts.destroy();
      ec2Client.destroy();
      await ec2.close();
    }
  });

  test('an answer of the fake that breaks the model is answered 500 and recorded, so the test fails', async () => {
    server.route('GET', '/GetDistributionConfiguration', () => ({ body: { distributionConfiguration: { arn: ARN, distributions: [{ region: 'us-east-1' }] } } }));
    server.target('AmazonSSM.GetParameter', () => ({ body: { Parameter: { Name: '/p', Version: 'one' } } }));
    const client = new ImagebuilderClient({ endpoint: server.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const ssmClient = new JsonClient({ service: 'ssm', region: 'us-east-1', endpoint: server.endpoint, timeoutMs: 5_000 }, 'AmazonSSM');
    try {
      const getConfig = () => client.send(new GetDistributionConfigurationCommand({ distributionConfigurationArn: ARN }));
      await expect(getConfig()).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
      await expect(ssmClient.call('GetParameter', { Name: '/p' })).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
      // What afterEach would throw (the bugs are taken here so that this test itself passes).
      expect(takeFakeBugs()).toEqual([
        expect.stringMatching(/GetDistributionConfiguration answer breaks the model: 1 validation error detected: 'distributionConfiguration.timeoutMinutes' Member must not be null/),
        expect.stringMatching(/GetParameter answer breaks the model: 1 validation error detected: 'Parameter.Version' expected an integer/),
      ]);
      // A test of the client's handling of an answer AWS would never give says so.
      server.route('GET', '/GetDistributionConfiguration', () => ({ body: { distributionConfiguration: { arn: 1 } }, offModel: 'a wrong-typed answer' }));
      await expect(getConfig()).resolves.toMatchObject({ distributionConfiguration: { arn: 1 } });
      expect(FAKE_BUGS).toEqual([]);
    } finally {
      client.destroy();
      ssmClient.destroy();
    }
  });

  test('EC2: an answer that breaks the model is answered 500 and recorded', async () => {
    const ec2 = await Ec2Images.start();
    const ec2Client = new QueryClient({ service: 'ec2', region: 'us-east-1', endpoint: ec2.endpoint, timeoutMs: 5_000 }, '2016-11-15');
    try {
      // The fake writes snapshot IDs into its XML as they are: this one adds an element EC2 never sends.
      ec2.add({ imageId: 'ami-1', region: 'us-east-1', creationDate: '2024-01-01T00:00:00.000Z', snapshotIds: ['snap-1</snapshotId><bogus>1</bogus><snapshotId>snap-1'] });
      await expect(ec2Client.call('DescribeImages', { ImageId: ['ami-1'], Owner: ['self'] })).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
      expect(takeFakeBugs()).toEqual([expect.stringMatching(/DescribeImages answer breaks the model: .*'Images.1.BlockDeviceMappings.1.Ebs.bogus' is not a member of EbsBlockDevice/)]);
    } finally {
      ec2Client.destroy();
      await ec2.close();
    }
  });

  test('error answers: only the operation\'s declared errors or its protocol\'s common ones, in the error\'s shape; else a fake bug', async () => {
    const ssm = new Parameters(server);
    server.addCheck(new ModelCheck(['organizations']));
    const ssmClient = new JsonClient({ service: 'ssm', region: 'us-east-1', endpoint: server.endpoint, timeoutMs: 5_000 }, 'AmazonSSM');
    const org = new JsonClient({ service: 'organizations', region: 'us-east-1', endpoint: server.endpoint, timeoutMs: 5_000 }, 'AWSOrganizationsV20161128');
    const children = { ParentId: 'r-ex12', ChildType: 'ORGANIZATIONAL_UNIT' };
    try {
      // Declared (SSM GetParameter: ParameterNotFound) and common (AccessDeniedException) errors pass, as `message`.
      await expect(ssmClient.call('GetParameter', { Name: '/missing' })).rejects.toMatchObject({ name: 'ParameterNotFound' });
      server.inject('GetParameter', faults.error(400, 'AccessDeniedException', 'denied'));
      await expect(ssmClient.call('GetParameter', { Name: '/p' })).rejects.toMatchObject({ name: 'AccessDeniedException', message: 'denied' });
      expect(server.errorAnswers.map((a) => a.body)).toEqual([
        { __type: 'ParameterNotFound', message: expect.any(String) }, { __type: 'AccessDeniedException', message: 'denied' },
      ]);
      expect(ssm.params.size).toBe(0);

      // An error the operation never answers: SSM's GetParameter does not throttle as Organizations does; Organizations'
      // ListAccounts knows no parent, and never answers ValidationException.
      server.inject('GetParameter', faults.error(400, 'TooManyRequestsException'));
      await expect(ssmClient.call('GetParameter', { Name: '/p' })).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
      server.target('AWSOrganizationsV20161128.ListAccounts', () => {
        throw new ServiceError(400, 'ParentNotFoundException', 'no parent');
      });
      server.target('AWSOrganizationsV20161128.ListChildren', () => {
        throw new ServiceError(400, 'ValidationException', 'invalid');
      });
      await expect(org.call('ListAccounts', {})).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
      await expect(org.call('ListChildren', children)).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
      // A declared error outside its shape: a Reason the model does not list.
      server.target('AWSOrganizationsV20161128.ListChildren', () => {
        throw new ServiceError(400, 'InvalidInputException', 'invalid', { Reason: 'BAD_PARENT' });
      });
      await expect(org.call('ListChildren', children)).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
      expect(takeFakeBugs()).toEqual([
        expect.stringMatching(/ssm GetParameter answered TooManyRequestsException, which the operation never answers: its errors are InternalServerError, InvalidKeyId, ParameterNotFound/),
        expect.stringMatching(/organizations ListAccounts answered ParentNotFoundException, which the operation never answers: its errors are AccessDeniedException, AWSOrganizationsNotInUseException, InvalidInputException, ServiceException, TooManyRequestsException/),
        expect.stringMatching(/organizations ListChildren answered ValidationException, which the operation never answers/),
        expect.stringMatching(/organizations ListChildren answered InvalidInputException outside its shape: .*'Reason' Value "BAD_PARENT" must satisfy enum value set/),
      ]);

      // In its shape: Organizations names the message `Message`.
      server.target('AWSOrganizationsV20161128.ListChildren', () => {
        throw new ServiceError(400, 'InvalidInputException', 'invalid', { Reason: 'INVALID_NEXT_TOKEN' });
      });
      await expect(org.call('ListChildren', children)).rejects.toMatchObject({ name: 'InvalidInputException', message: 'invalid (Reason: INVALID_NEXT_TOKEN)' });
      expect(server.errorAnswers.at(-1)!.body).toEqual({ __type: 'InvalidInputException', Message: 'invalid', Reason: 'INVALID_NEXT_TOKEN' });
    } finally {
      ssmClient.destroy();
      org.destroy();
    }
  });

  test('query protocols: an error is answered by its wire code (STS MalformedPolicyDocument), not by its shape\'s name', async () => {
    new Roles(server).add('arn:aws:iam::123456789012:role/r');
    const sts = new QueryClient({ service: 'sts', region: 'us-east-1', endpoint: server.endpoint, timeoutMs: 5_000 }, '2011-06-15');
    const assume = () => sts.call('AssumeRole', { RoleArn: 'arn:aws:iam::123456789012:role/r', RoleSessionName: 's1' });
    try {
      server.inject('AssumeRole', faults.error(400, 'MalformedPolicyDocument', 'bad policy'));
      await expect(assume()).rejects.toMatchObject({ name: 'MalformedPolicyDocument', $metadata: { httpStatusCode: 400 } });
      expect(takeFakeBugs()).toEqual([]);
      server.inject('AssumeRole', faults.error(400, 'MalformedPolicyDocumentException', 'bad policy'));
      await expect(assume()).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
      expect(takeFakeBugs()).toEqual([expect.stringMatching(/sts AssumeRole answered MalformedPolicyDocumentException, which the operation never answers: its errors are MalformedPolicyDocument, PackedPolicyTooLarge, RegionDisabled/)]);
    } finally {
      sts.destroy();
    }
  });

  test('Organizations refuses a request its model forbids with InvalidInputException and the Reason, never ValidationException', async () => {
    server.addCheck(new ModelCheck(['organizations']));
    server.target('AWSOrganizationsV20161128.ListChildren', () => ({ body: { Children: [] } }));
    server.target('AWSOrganizationsV20161128.ListAccounts', () => ({ body: { Accounts: [] } }));
    const org = new JsonClient({ service: 'organizations', region: 'us-east-1', endpoint: server.endpoint, timeoutMs: 5_000 }, 'AWSOrganizationsV20161128');
    try {
      const reasons: Array<[string, object, string]> = [
        ['ListChildren', { ParentId: 'ou-NOT-valid', ChildType: 'ORGANIZATIONAL_UNIT' }, 'INVALID_PATTERN'],
        ['ListChildren', { ParentId: 'r-ex12' }, 'INPUT_REQUIRED'],
        ['ListChildren', { ParentId: 'r-ex12', ChildType: 'OU' }, 'INVALID_ENUM'],
        ['ListAccounts', { MaxResults: 21 }, 'MAX_VALUE_EXCEEDED'],
        ['ListAccounts', { MaxResults: 0 }, 'MIN_VALUE_EXCEEDED'],
        ['ListAccounts', { NextToken: 'x'.repeat(100001) }, 'MAX_LENGTH_EXCEEDED'],
      ];
      for (const [operation, input, reason] of reasons) {
        // The handler's client keeps the Reason in the message: it alone says which constraint was broken.
        await expect(org.call(operation, input)).rejects.toMatchObject({
          name: 'InvalidInputException', $metadata: { httpStatusCode: 400 }, message: expect.stringMatching(new RegExp(`validation error.*\\(Reason: ${reason}\\)$`)),
        });
        expect(server.errorAnswers.at(-1)!.body).toEqual({ __type: 'InvalidInputException', Message: expect.stringMatching(/validation error/), Reason: reason });
      }
      // A member of the wrong type, or one the operation does not take: the JSON does not deserialize into the input.
      await expect(org.call('ListAccounts', { MaxResults: '20' })).rejects.toMatchObject({ name: 'SerializationException' });
      await expect(org.call('ListAccounts', { Filter: 'x' })).rejects.toMatchObject({ name: 'SerializationException' });
      expect(server.calls.every((c) => c.faulted)).toBe(true);
    } finally {
      org.destroy();
    }
  });

  test('the check runs before routes and injected faults; opting out leaves them alone', async () => {
    new DistributionConfigurations(server);
    const ok = await LocalServer.start({ modelCheck: false });
    try {
      expect(server.modelCheck).toBeDefined();
      expect(ok.modelCheck).toBeUndefined();
    } finally {
      await ok.close();
    }
  });
});

test('DistributedImages: DistributeImage without its required members never starts a distribution', async () => {
  const server = await LocalServer.start();
  const images = new DistributedImages(server);
  try {
    const res = await fetch(`${server.endpoint}/DistributeImage`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sourceImage: 'ami-1', tags: { 'aws:x': 'y' } }) });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
    expect(((await res.json()) as any).message).toBe("4 validation errors detected: 'distributionConfigurationArn' Member must not be null; 'executionRole' Member must not be null; "
      + "'clientToken' Member must not be null; 'tags.key(aws:x)' Value \"aws:x\" must satisfy regular expression pattern: ^(?!aws:)[a-zA-Z0-9\\s_.:/=+\\-@]*$");
    expect(images.started).toBe(0);
  } finally {
    await server.close();
  }
});
