/**
 * The IAM roles of synthesized CloudFormation templates, as IAM would hold them after the deployment: each role's
 * trust policy and identity policies (inline `Policies`, `AWS::IAM::Policy` resources attached through `Roles`, AWS
 * managed policies from ./iam-managed-policies.json), with `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub` and the pseudo
 * parameters resolved to concrete values of one test account and Region. Usage:
 *   const roles = IamRoles.fromTemplates([Template.fromStack(stack).toJSON()], { account, region });
 *   IamRoles.fromTemplates({ Distributing: a, Management: b }, env, { Management: { account: '999999999999', region } });
 *   roles.get(roleArn)               // { logicalId, arn, trustPolicy, identityPolicies }
 *   roles.resolve(value)             // a template value made concrete (e.g. a custom resource's properties)
 *   roles.withoutStatement(arn, i)   // a copy in which the role lacks its i-th identity statement (mutation tests)
 *   roles.withoutAction(arn, i, a)   // ... in which that statement lacks action `a`
 *   roles.withRolesOf(other)         // a copy that also holds the roles only `other` has (a stack between templates)
 * Physical names follow what CloudFormation generates closely enough for ARNs to be realistic: a role without RoleName
 * is named `<stack name>-<logical ID>`, cut to IAM's 64 characters, under its Path (CloudFormation appends a random
 * suffix, which no policy here can name); the stack name is the key the template is given under. This is the one
 * naming rule of the test bed: the lifecycle harness (test/lifecycle/harness.ts) takes its role names from here, so
 * that the keys a Lambda function holds map to the role IAM evaluates. What IAM evaluates is only ever these values.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export interface Environment {
  readonly account: string;
  readonly region: string;
  readonly partition?: string;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement[];
}

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
  readonly Principal?: unknown;
}

export interface NamedPolicy {
  /** Where the policy comes from: `<logical id>` of an AWS::IAM::Policy, `<role>/inline/<name>`, or a managed policy ARN. */
  readonly name: string;
  readonly policy: PolicyDocument;
}

export interface IamRole {
  readonly logicalId: string;
  /** The stack the role belongs to. */
  readonly stack: string;
  readonly arn: string;
  readonly trustPolicy: PolicyDocument;
  readonly identityPolicies: NamedPolicy[];
}

/** A template as `Template.toJSON()` returns it. */
export type TemplateJson = { Resources?: Record<string, { Type: string; Properties?: any }> };

const MANAGED_POLICIES: Record<string, PolicyDocument> = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'iam-managed-policies.json'), 'utf8')).policies;

export class IamRoles {
  /**
   * @param env the account and Region the templates are deployed to
   * @param stackEnvs per stack name, another account or Region (e.g. the management account's stack of a cross-account
   *   setup); the partition is `env`'s
   */
  static fromTemplates(
    templates: Record<string, TemplateJson> | TemplateJson[], env: Environment, stackEnvs: Record<string, Environment> = {},
  ): IamRoles {
    const named = Array.isArray(templates) ? Object.fromEntries(templates.map((t, i) => [`Stack${i}`, t])) : templates;
    return new IamRoles(named, env, stackEnvs);
  }

  readonly partition: string;
  private readonly roles = new Map<string, IamRole>();
  private readonly resolvers = new Map<string, Resolver>();

  private constructor(
    private readonly templates: Record<string, TemplateJson>, readonly env: Environment, stackEnvs: Record<string, Environment> = {},
  ) {
    this.partition = env.partition ?? 'aws';
    for (const [stack, template] of Object.entries(templates)) {
      const resolver = new Resolver(template, { ...(stackEnvs[stack] ?? env), partition: this.partition }, stack);
      this.resolvers.set(stack, resolver);
      const resources = template.Resources ?? {};
      for (const [logicalId, r] of Object.entries(resources)) {
        if (r.Type !== 'AWS::IAM::Role') continue;
        const p = r.Properties ?? {};
        const identityPolicies: NamedPolicy[] = [];
        for (const inline of p.Policies ?? []) {
          identityPolicies.push({ name: `${logicalId}/inline/${inline.PolicyName}`, policy: resolver.resolve(inline.PolicyDocument) });
        }
        for (const [policyId, pr] of Object.entries(resources)) {
          if (pr.Type !== 'AWS::IAM::Policy' && pr.Type !== 'AWS::IAM::ManagedPolicy') continue;
          const attached = (pr.Properties?.Roles ?? []).some((ref: any) => ref?.Ref === logicalId);
          if (attached) identityPolicies.push({ name: policyId, policy: resolver.resolve(pr.Properties.PolicyDocument) });
        }
        for (const arnValue of p.ManagedPolicyArns ?? []) {
          const arn = resolver.resolve(arnValue) as string;
          const name = arn.split(':policy/').pop()!.split('/').pop()!;
          const doc = MANAGED_POLICIES[name];
          if (!doc) throw new Error(`${logicalId}: managed policy ${arn} is not in test/util/iam-managed-policies.json; add it (verbatim, with its source)`);
          identityPolicies.push({ name: arn, policy: substitutePartition(doc, this.partition) });
        }
        const role: IamRole = {
          logicalId,
          stack,
          arn: resolver.resolve({ 'Fn::GetAtt': [logicalId, 'Arn'] }),
          trustPolicy: resolver.resolve(p.AssumeRolePolicyDocument),
          identityPolicies,
        };
        this.roles.set(role.arn, role);
      }
    }
  }

  get all(): IamRole[] {
    return [...this.roles.values()];
  }

  get(arn: string): IamRole | undefined {
    return this.roles.get(arn);
  }

  /** The one role whose logical ID starts with `prefix` (CDK appends a hash), in any stack. */
  byLogicalId(prefix: string): IamRole {
    const found = this.all.filter((r) => r.logicalId.startsWith(prefix));
    if (found.length !== 1) throw new Error(`${found.length} roles with logical ID ${prefix}*: ${this.all.map((r) => r.logicalId).join(', ')}`);
    return found[0];
  }

  /** The ARN of role `logicalId` of the first stack, or of `stack`. */
  arnOf(logicalId: string, stack?: string): string {
    return this.resolve({ 'Fn::GetAtt': [logicalId, 'Arn'] }, stack);
  }

  /** A template value made concrete for this account and Region (of the first stack, or `stack`). */
  resolve<T = any>(value: unknown, stack?: string): T {
    const resolver = this.resolvers.get(stack ?? Object.keys(this.templates)[0])!;
    return resolver.resolve(value);
  }

  /** The resolved properties of the one resource of `type` whose logical ID starts with `prefix` (in any stack, or `inStack`). */
  propertiesOf(type: string, prefix = '', inStack?: string): Record<string, any> {
    const found: Array<[string, any]> = [];
    for (const [stack, template] of Object.entries(this.templates)) {
      if (inStack !== undefined && stack !== inStack) continue;
      for (const [id, r] of Object.entries(template.Resources ?? {})) {
        if (r.Type === type && id.startsWith(prefix)) found.push([stack, r.Properties ?? {}]);
      }
    }
    if (found.length !== 1) throw new Error(`${found.length} resources of type ${type} with logical ID ${prefix}*`);
    return this.resolve(found[0][1], found[0][0]);
  }

  /** Every identity statement of `arn`, numbered as `withoutStatement` counts them. */
  statementsOf(arn: string): Array<{ policy: string; statement: PolicyStatement }> {
    const role = this.roles.get(arn);
    if (!role) throw new Error(`no role ${arn}`);
    return role.identityPolicies.flatMap((p) => p.policy.Statement.map((statement) => ({ policy: p.name, statement })));
  }

  /** A copy in which role `arn` lacks its `index`-th identity statement (counted over all its policies in order). */
  withoutStatement(arn: string, index: number): IamRoles {
    return this.withStatementsOf(arn, (st, i) => (i === index ? [] : [st]));
  }

  /** A copy in which the `index`-th identity statement of role `arn` (as `withoutStatement` counts) lacks `action`. */
  withoutAction(arn: string, index: number, action: string): IamRoles {
    return this.withStatementsOf(arn, (st, i) => [i !== index ? st : { ...st, Action: [st.Action ?? []].flat().filter((a) => a !== action) }]);
  }

  /** A copy in which each identity statement of role `arn` (numbered over all its policies in order) is replaced by `change`'s. */
  private withStatementsOf(arn: string, change: (statement: PolicyStatement, index: number) => PolicyStatement[]): IamRoles {
    const copy = Object.create(IamRoles.prototype) as IamRoles;
    Object.assign(copy, this, { roles: new Map(this.roles) });
    const role = this.roles.get(arn)!;
    let i = 0;
    const identityPolicies = role.identityPolicies.map((p) => ({
      name: p.name,
      policy: { ...p.policy, Statement: p.policy.Statement.flatMap((st) => change(st, i++)) },
    }));
    copy.roles.set(arn, { ...role, identityPolicies });
    return copy;
  }

  /** A copy with one more role, `newArn`, with the policies of `arn` (as when CloudFormation replaces a role). */
  withRoleCopy(arn: string, newArn: string): IamRoles {
    const copy = Object.create(IamRoles.prototype) as IamRoles;
    Object.assign(copy, this, { roles: new Map(this.roles) });
    copy.roles.set(newArn, { ...this.roles.get(arn)!, arn: newArn });
    return copy;
  }

  /**
   * A copy that also holds the roles of `other` that are not here (by ARN), unchanged: the roles IAM holds while a
   * stack moves between two templates, the roles only the other template has being created before or deleted after.
   */
  withRolesOf(other: IamRoles): IamRoles {
    const copy = Object.create(IamRoles.prototype) as IamRoles;
    Object.assign(copy, this, { roles: new Map(this.roles) });
    for (const role of other.all) if (!copy.roles.has(role.arn)) copy.roles.set(role.arn, role);
    return copy;
  }

  /** A copy in which role `arn` also holds the identity policies of `others` (a role that held their statements). */
  withPoliciesOf(arn: string, ...others: string[]): IamRoles {
    const copy = Object.create(IamRoles.prototype) as IamRoles;
    Object.assign(copy, this, { roles: new Map(this.roles) });
    const role = this.roles.get(arn)!;
    const extra = others.flatMap((o) => this.roles.get(o)!.identityPolicies);
    copy.roles.set(arn, { ...role, identityPolicies: [...role.identityPolicies, ...extra] });
    return copy;
  }
}

function substitutePartition(doc: PolicyDocument, partition: string): PolicyDocument {
  return JSON.parse(JSON.stringify(doc).replace(/arn:aws:/g, `arn:${partition}:`));
}

/** Resolves CloudFormation intrinsics of one template to the values a deployment in `env` would produce. */
class Resolver {
  constructor(private readonly template: TemplateJson, private readonly env: Required<Environment>, private readonly stackName: string) {}

  resolve(node: any): any {
    if (Array.isArray(node)) return node.map((n) => this.resolve(n));
    if (node === null || typeof node !== 'object') return node;
    const keys = Object.keys(node);
    if (keys.length === 1) {
      const [k] = keys;
      const v = node[k];
      if (k === 'Ref') return this.ref(v);
      if (k === 'Fn::GetAtt') return this.getAtt(...((typeof v === 'string' ? v.split('.') : v) as [string, string]));
      if (k === 'Fn::Join') return (this.resolve(v[1]) as unknown[]).map(String).join(v[0]);
      if (k === 'Fn::Sub') return this.sub(v);
      if (k === 'Fn::Select') return this.resolve(v[1])[Number(this.resolve(v[0]))];
      if (k === 'Fn::Split') return String(this.resolve(v[1])).split(v[0]);
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, this.resolve(value)]));
  }

  private sub(v: string | [string, Record<string, unknown>]): string {
    const [text, vars] = typeof v === 'string' ? [v, {}] : v;
    return text.replace(/\${([^}!]+)}/g, (_, name: string) => {
      if (name in vars) return String(this.resolve(vars[name]));
      return name.includes('.') ? this.getAtt(...(name.split('.') as [string, string])) : this.ref(name);
    });
  }

  private resource(logicalId: string) {
    const r = this.template.Resources?.[logicalId];
    if (!r) throw new Error(`no resource ${logicalId} in the template`);
    return r;
  }

  private ref(name: string): string {
    switch (name) {
      case 'AWS::Partition': return this.env.partition;
      case 'AWS::Region': return this.env.region;
      case 'AWS::AccountId': return this.env.account;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return this.stackName;
      case 'AWS::StackId': return `arn:${this.env.partition}:cloudformation:${this.env.region}:${this.env.account}:stack/${this.stackName}/00000000-0000-4000-8000-000000000000`;
      case 'AWS::NoValue': return undefined as any;
    }
    const r = this.resource(name);
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::IAM::Role': return this.resolve(p.RoleName) ?? `${this.stackName}-${name}`.slice(0, 64);
      case 'AWS::SSM::Parameter': return this.resolve(p.Name) ?? name;
      case 'AWS::Logs::LogGroup': return this.resolve(p.LogGroupName) ?? name;
      case 'AWS::S3::Bucket': return this.resolve(p.BucketName) ?? name.toLowerCase();
      case 'AWS::KMS::Key': return `key-${name}`;
      case 'AWS::EC2::LaunchTemplate': return `lt-${hex(name)}`;
      default: return this.getAtt(name, 'Arn');
    }
  }

  private getAtt(logicalId: string, attribute: string): string {
    const r = this.resource(logicalId);
    const p = r.Properties ?? {};
    const { partition, region, account } = this.env;
    switch (`${r.Type}.${attribute}`) {
      case 'AWS::IAM::Role.Arn': return `arn:${partition}:iam::${account}:role${this.resolve(p.Path) ?? '/'}${this.ref(logicalId)}`;
      case 'AWS::KMS::Key.Arn': return `arn:${partition}:kms:${region}:${account}:key/${this.ref(logicalId)}`;
      case 'AWS::Logs::LogGroup.Arn': return `arn:${partition}:logs:${region}:${account}:log-group:${this.ref(logicalId)}:*`;
      case 'AWS::S3::Bucket.Arn': return `arn:${partition}:s3:::${this.ref(logicalId)}`;
      case 'AWS::SNS::Topic.TopicArn': return `arn:${partition}:sns:${region}:${account}:${logicalId}`;
      case 'AWS::Lambda::Function.Arn': return `arn:${partition}:lambda:${region}:${account}:function:${logicalId}`;
      case 'AWS::EC2::LaunchTemplate.LaunchTemplateId': return this.ref(logicalId);
      case 'AWS::EC2::LaunchTemplate.DefaultVersionNumber':
      case 'AWS::EC2::LaunchTemplate.LatestVersionNumber': return '1';
      case 'AWS::ImageBuilder::DistributionConfiguration.Arn':
        return `arn:${partition}:imagebuilder:${region}:${account}:distribution-configuration/${String(this.resolve(p.Name)).toLowerCase()}`;
      case 'AWS::ImageBuilder::DistributionConfiguration.Name': return this.resolve(p.Name);
      case 'AWS::ImageBuilder::InfrastructureConfiguration.Arn':
        return `arn:${partition}:imagebuilder:${region}:${account}:infrastructure-configuration/${String(this.resolve(p.Name)).toLowerCase()}`;
      case 'AWS::IAM::InstanceProfile.Arn': return `arn:${partition}:iam::${account}:instance-profile/${logicalId}`;
      case 'AWS::StepFunctions::StateMachine.Arn': return `arn:${partition}:states:${region}:${account}:stateMachine:${logicalId}`;
    }
    // Custom resource attributes and anything else no IAM policy of this library reads: a recognisable placeholder.
    return `${logicalId}.${attribute}`;
  }
}

function hex(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 17);
}
