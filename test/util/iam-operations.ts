/**
 * What IAM authorizes for each API operation the custom-resource handler calls: every IAM action the operation
 * authorizes, on which resource, with which request context. Defined once, here; the fake services authorize each
 * request with it (test/lambda/server/iam.ts).
 *
 * Sources:
 * - Image Builder: Service Authorization Reference, "API operations" table (the table that maps an API to every IAM
 *   action it authorizes), as quoted in ../shared/reference/iam-image-builder-distribution.md section 3.1; resource
 *   types from section 3.3. DistributeImage authorizes imagebuilder:DistributeImage, GetDistributionConfiguration,
 *   GetImage, TagResource and iam:PassRole (iam:PassedToService = imagebuilder.amazonaws.com);
 *   UpdateDistributionConfiguration authorizes imagebuilder:UpdateDistributionConfiguration and iam:PassRole
 *   (iam:PassedToService = vmie.amazonaws.com) for the S3 export role.
 * - SSM, EC2, STS: one action per operation, named after it (Service Authorization Reference, actions tables), with
 *   the ARN formats of iam-data's resource types (parameter, image, snapshot, role).
 * - Lambda and Step Functions, as the Provider framework calls them: Invoke authorizes lambda:InvokeFunction and
 *   GetFunction lambda:GetFunction on the function; StartExecution states:StartExecution on the state machine
 *   (Service Authorization Reference, actions tables; the statements aws-cdk-lib's Provider grants name the same).
 *
 * Modeling choices, where the sources leave a gap (each marked INFERRED in the reference):
 * - DistributeImage's resource: the image build version it creates (its ARN is only known from the response, so
 *   the one the fake will create is used), or the source image when the source is an image ARN.
 * - imagebuilder:TagResource only when the request has tags.
 * - A `ssm:<name>` source: the caller must be able to read the parameter (who resolves it is not documented; the
 *   library grants the handler role, so the fake holds the caller to it).
 */
export interface Authorization {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** The account that owns the resource, where its ARN does not say (`*`): by default the ARN's, else the caller's. */
  readonly resourceAccount?: string;
}

export interface OperationRequest {
  readonly service: 'imagebuilder' | 'ssm' | 'ec2' | 'sts' | 'organizations' | 'lambda' | 'states';
  readonly operation: string;
  /** JSON body (Image Builder, SSM) or form parameters (EC2, STS). */
  readonly body: any;
  readonly query: Record<string, string>;
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  /** For DistributeImage: the ARN of the image build version the call will create. */
  readonly nextImageArn?: string;
  /** Tags of the resource acted on (aws:ResourceTag/<key>), where the service knows them. */
  readonly resourceTags?: Record<string, string>;
  /** For Organizations: the organization whose roots and OUs are read, and its management account (their ARNs'). */
  readonly organization?: { readonly id: string; readonly managementAccount: string };
}

const ROLE = /^(?:arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role\/)?[a-zA-Z_0-9+=,.@\-_/]+$/;

type Table = Record<string, (r: OperationRequest) => Authorization[]>;

const roleArn = (r: OperationRequest, nameOrArn: string) =>
  nameOrArn.startsWith('arn:') ? nameOrArn : `arn:${r.partition}:iam::${r.account}:role/${nameOrArn}`;
const parameterArn = (r: OperationRequest, name: string) =>
  name.startsWith('arn:') ? name : `arn:${r.partition}:ssm:${r.region}:${r.account}:parameter/${name.replace(/^\//, '')}`;
const functionArn = (r: OperationRequest, nameOrArn: string) =>
  nameOrArn.startsWith('arn:') ? nameOrArn : `arn:${r.partition}:lambda:${r.region}:${r.account}:function:${nameOrArn}`;
const resourceTagContext = (r: OperationRequest) =>
  Object.fromEntries(Object.entries(r.resourceTags ?? {}).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
const tagContext = (tags: Record<string, string> | undefined) => tags === undefined ? {} : {
  ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
  'aws:TagKeys': Object.keys(tags),
};

export const OPERATIONS: Record<OperationRequest['service'], Table> = {
  imagebuilder: {
    DistributeImage: (r) => {
      const b = r.body ?? {};
      const source = String(b.sourceImage ?? '');
      const image = source.startsWith('arn:') ? source : r.nextImageArn!;
      const tags = tagContext(b.tags);
      return [
        { action: 'imagebuilder:DistributeImage', resource: image, context: tags },
        { action: 'imagebuilder:GetDistributionConfiguration', resource: b.distributionConfigurationArn },
        { action: 'imagebuilder:GetImage', resource: image },
        ...(b.tags ? [{ action: 'imagebuilder:TagResource', resource: r.nextImageArn!, context: tags }] : []),
        // A malformed role is refused by the request's validation, before authorization.
        ...(ROLE.test(String(b.executionRole)) ? [{
          action: 'iam:PassRole', resource: roleArn(r, String(b.executionRole)), context: { 'iam:PassedToService': 'imagebuilder.amazonaws.com' },
        }] : []),
        ...(source.startsWith('ssm:') ? [{ action: 'ssm:GetParameter', resource: parameterArn(r, source.slice(4)) }] : []),
      ];
    },
    GetImage: (r) => [{ action: 'imagebuilder:GetImage', resource: r.query.imageBuildVersionArn }],
    DeleteImage: (r) => [{ action: 'imagebuilder:DeleteImage', resource: r.query.imageBuildVersionArn }],
    // CancelImageCreation: imagebuilder:CancelImageCreation on the image (INFERRED from the action's name and resource type in the
    // Service Authorization Reference; the reference lists no dependent actions). A PUT: the ARN is in the body.
    CancelImageCreation: (r) => [{ action: 'imagebuilder:CancelImageCreation', resource: r.body?.imageBuildVersionArn }],
    GetDistributionConfiguration: (r) => [
      { action: 'imagebuilder:GetDistributionConfiguration', resource: r.query.distributionConfigurationArn },
    ],
    UpdateDistributionConfiguration: (r) => {
      const exportRoles = new Set<string>(((r.body?.distributions ?? []) as any[])
        .map((d) => d?.s3ExportConfiguration?.roleName).filter((n): n is string => typeof n === 'string'));
      return [
        { action: 'imagebuilder:UpdateDistributionConfiguration', resource: r.body?.distributionConfigurationArn },
        ...[...exportRoles].map((name) => ({
          action: 'iam:PassRole', resource: roleArn(r, name), context: { 'iam:PassedToService': 'vmie.amazonaws.com' },
        })),
      ];
    },
  },
  ssm: {
    GetParameter: (r) => [{ action: 'ssm:GetParameter', resource: parameterArn(r, r.body.Name) }],
    GetParameters: (r) => (r.body.Names as string[]).map((n) => ({ action: 'ssm:GetParameters', resource: parameterArn(r, n) })),
    PutParameter: (r) => [
      { action: 'ssm:PutParameter', resource: parameterArn(r, r.body.Name) },
      // Tags on PutParameter are authorized as ssm:AddTagsToResource as well (SSM SAR).
      ...(r.body.Tags ? [{ action: 'ssm:AddTagsToResource', resource: parameterArn(r, r.body.Name) }] : []),
    ],
    DeleteParameter: (r) => [{ action: 'ssm:DeleteParameter', resource: parameterArn(r, r.body.Name) }],
  },
  ec2: {
    DescribeImages: () => [{ action: 'ec2:DescribeImages', resource: '*' }],
    DeregisterImage: (r) => [{
      action: 'ec2:DeregisterImage', resource: `arn:${r.partition}:ec2:${r.region}::image/${r.body.ImageId}`, context: resourceTagContext(r),
    }],
    DeleteSnapshot: (r) => [{
      action: 'ec2:DeleteSnapshot', resource: `arn:${r.partition}:ec2:${r.region}::snapshot/${r.body.SnapshotId}`, context: resourceTagContext(r),
    }],
  },
  sts: {
    AssumeRole: (r) => [{ action: 'sts:AssumeRole', resource: r.body.RoleArn }],
  },
  // One action per operation, on the parent's root or OU ARN (the Service Authorization Reference's resource types
  // root and ou of ListChildren and ListAccountsForParent); ListAccounts takes no resource.
  organizations: {
    ListChildren: (r) => [{ action: 'organizations:ListChildren', resource: parentArn(r, r.body.ParentId), resourceAccount: organizationOf(r).managementAccount }],
    ListAccountsForParent: (r) => [{
      action: 'organizations:ListAccountsForParent', resource: parentArn(r, r.body.ParentId), resourceAccount: organizationOf(r).managementAccount,
    }],
    ListAccounts: (r) => [{ action: 'organizations:ListAccounts', resource: '*', resourceAccount: organizationOf(r).managementAccount }],
  },
  lambda: {
    Invoke: (r) => [{ action: 'lambda:InvokeFunction', resource: functionArn(r, r.body.FunctionName) }],
    GetFunction: (r) => [{ action: 'lambda:GetFunction', resource: functionArn(r, r.body.FunctionName) }],
  },
  states: {
    StartExecution: (r) => [{ action: 'states:StartExecution', resource: r.body.stateMachineArn }],
  },
};

function organizationOf(r: OperationRequest): { id: string; managementAccount: string } {
  if (!r.organization) throw new Error('An Organizations request is authorized only with the organization it reads (IamAuthorizerOptions.organization)');
  return r.organization;
}

/** `arn:aws:organizations::<management account>:root/o-<id>/r-<id>`, or `.../ou/o-<id>/ou-<id>`. */
function parentArn(r: OperationRequest, parentId: string): string {
  const { id, managementAccount } = organizationOf(r);
  return `arn:${r.partition}:organizations::${managementAccount}:${String(parentId).startsWith('ou-') ? 'ou' : 'root'}/${id}/${parentId}`;
}

/** The authorizations of one request; an operation missing from the table is a gap in the test bed, not a pass. */
export function authorizationsOf(r: OperationRequest): Authorization[] {
  const op = OPERATIONS[r.service][r.operation];
  if (!op) throw new Error(`test/util/iam-operations.ts has no entry for ${r.service}:${r.operation}; add it with its source`);
  return op(r);
}
