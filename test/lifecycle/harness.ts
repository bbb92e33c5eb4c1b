/**
 * CloudFormation's custom-resource lifecycle, played on 127.0.0.1 around aws-cdk-lib's unmodified Provider framework.
 *
 * What runs as it ships:
 * - the framework's Lambda code (`framework.js` with its `cfn-response`, `outbound`, `util` modules) from
 *   node_modules/aws-cdk-lib/custom-resources/lib/provider-framework/runtime, configured only through the environment
 *   variables the synthesized template gives each framework function;
 * - the handler bundle (assets/handler/index.js, built by `npx projen bundle:handler`).
 * Both are checked to be byte-identical to the asset directories the synthesized template deploys.
 *
 * What the local servers play:
 * - Lambda (Invoke, REST-JSON): the framework's SDK client reaches it through AWS_ENDPOINT_URL_LAMBDA, as the SDK
 *   honours service-specific endpoint variables; every function of the template is invoked in-process, each with the
 *   environment its template declares, from a module instance of its own (as separate Lambda functions would be);
 * - Step Functions (StartExecution, AWS JSON 1.0) through AWS_ENDPOINT_URL_SFN, running the waiter definition the
 *   template holds (its Retry IntervalSeconds/MaxAttempts/BackoffRate and Catch), on a simulated clock;
 * - the ResponseURL: an HTTPS server (cfn-response uses `https.request` without a port: the global agent's default
 *   port and CA are pointed at the local server, nothing in the framework is changed).
 * - CloudFormation itself: events built from the synthesized template's properties (intrinsics resolved, scalars
 *   turned to strings as CloudFormation does), ServiceTimeout and the 4096-byte response limit enforced.
 * - IAM: each function runs with credentials of the role its template gives it (as Lambda hands an execution role's
 *   session to a function), and every call to the local Lambda, Step Functions, Image Builder, SSM, STS (and EC2,
 *   where a test attaches it), and each task invocation of the waiter (as its state machine's role), is authorized
 *   against the roles of the template CloudFormation has in place at that moment (`ResourceUnderTest` below), by
 *   test/lambda/server/iam.ts. CloudFormation's own Invoke of the ServiceToken is not (it is the stack's caller's).
 *
 * The simulated clock: Date is faked (@sinonjs/fake-timers, Date only), so the handler's deadlines, the waiter's
 * waits and ServiceTimeout all run on one clock without real waiting; sockets and timers stay real.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import type { AddressInfo } from 'net';
import * as path from 'path';
import * as vm from 'vm';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LocalServer, ReceivedRequest } from '../lambda/local-server';
import { IamAuthorizer } from '../lambda/server/iam';
import { KNOWN_KEYS } from '../lambda/server/sigv4';
import { Roles } from '../lambda/server/sts';
import { IamRoles } from '../util/iam-template';

export const ACCOUNT = '111111111111';
export const REGION = 'us-east-1';
/** The name of the stack every template here is deployed as (stacks.ts builds them under it). */
export const STACK_NAME = 'Lifecycle';
export const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK_NAME}/5f6d0a40-0000-4000-8000-000000000001`;
/** The framework's marker physical ID after a failed Create (cfn-response.js CREATE_FAILED_PHYSICAL_ID_MARKER). */
export const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';
/** CloudFormation's limit on a custom-resource response body. */
export const MAX_RESPONSE_BYTES = 4096;
/** CloudFormation's wait for a custom resource without ServiceTimeout, and the most ServiceTimeout may be. */
export const DEFAULT_SERVICE_TIMEOUT_SECONDS = 3600;

export const FRAMEWORK_DIR = path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')), 'custom-resources', 'lib', 'provider-framework', 'runtime');
export const HANDLER_FILE = path.join(__dirname, '..', '..', 'assets', 'handler', 'index.js');
const TLS_DIR = path.join(__dirname, 'tls');

/**
 * The realm Lambda code runs in. Jest runs tests in a vm context of their own, with a copy of process.env and a
 * module system without native dynamic import(), which the handler bundle uses (the SDK's lazy `import("node:http")`).
 * The framework runtime and the bundle are therefore loaded with Node's own require, in the process's main context,
 * as Lambda's Node.js runtime loads them; they read the real process.env, and the simulated clock fakes that
 * context's Date.
 */
const outer: typeof globalThis = vm.runInThisContext('globalThis');
// Node's own createRequire: jest replaces the one its module system hands out.
const nativeRequire: NodeJS.Require = (outer.process as any).getBuiltinModule('module').createRequire(__filename);
/** What the Lambda code logged (CloudWatch Logs): the lines, while a harness runs. */
export const lambdaLogs: string[] = [];

/** The environment the Lambda code reads. */
export const lambdaEnv: NodeJS.ProcessEnv = outer.process.env;

let fakeClock: { now: number; setSystemTime(t: number): void; uninstall(): void } | undefined;

/** The simulated clock (Date only, in the realm of the Lambda code): timers and sockets stay real. */
export const clock = {
  now: (): number => outer.Date.now(),
  advance: (ms: number): void => {
    if (!fakeClock) throw new Error('useSimulatedClock() first');
    fakeClock.setSystemTime(fakeClock.now + ms);
  },
};

export function useSimulatedClock(start = Date.parse('2026-06-01T12:00:00.000Z')): void {
  fakeClock?.uninstall();
  const FakeTimers: typeof import('@sinonjs/fake-timers') = nativeRequire('@sinonjs/fake-timers');
  fakeClock = FakeTimers.withGlobal(outer).install({ toFake: ['Date'], now: start }) as any;
}

export function useRealClock(): void {
  fakeClock?.uninstall();
  fakeClock = undefined;
}

/** A fresh instance of `file` and of the modules it loads from its directory (a Lambda function's own container). */
function loadFresh(file: string): any {
  const dir = path.dirname(file);
  for (const key of Object.keys(nativeRequire.cache)) {
    if (key.startsWith(dir + path.sep)) delete nativeRequire.cache[key];
  }
  return nativeRequire(file);
}

/**
 * The Date header of an answer, on the simulated clock: the SDK corrects its clock by a server's Date header that is
 * far off, and retries an error once after such a correction.
 */
function dateHeader(): Record<string, string> {
  return { date: new Date(clock.now()).toUTCString() };
}

// ---------------------------------------------------------------------------------------------------------------------
// The template: intrinsics resolved as CloudFormation would for a stack in ACCOUNT/REGION.

export type Json = any;

export class DeployedTemplate {
  static of(stack: Stack): DeployedTemplate {
    if (stack.stackName !== STACK_NAME) throw new Error(`deploy stacks named ${STACK_NAME} (got ${stack.stackName})`);
    return new DeployedTemplate(Template.fromStack(stack).toJSON(), stack);
  }

  readonly resources: Record<string, { Type: string; Properties?: Json; DependsOn?: string[] }>;
  /** The template's roles as IAM holds them once deployed; also the source of their names and ARNs. */
  readonly iam: IamRoles;

  constructor(readonly json: Json, readonly stack?: Stack, iam?: IamRoles) {
    this.resources = json.Resources;
    this.iam = iam ?? IamRoles.fromTemplates({ [STACK_NAME]: json }, { account: ACCOUNT, region: REGION });
  }

  /** The same template with its roles as `iam` holds them (e.g. a role lacking a statement: a mutation test). */
  withIam(iam: IamRoles): DeployedTemplate {
    return new DeployedTemplate(this.json, this.stack, iam);
  }

  logicalIdsOfType(type: string): string[] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type).map(([id]) => id);
  }

  /** The one resource of `type` (fails when there are several). */
  logicalIdOfType(type: string): string {
    const ids = this.logicalIdsOfType(type);
    if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.join(', ') || 'none'}`);
    return ids[0];
  }

  /** Ref of a resource, as CloudFormation returns it for the types these templates hold. */
  ref(logicalId: string): string {
    const r = this.resources[logicalId];
    if (!r) throw new Error(`Ref to unknown resource ${logicalId}`);
    switch (r.Type) {
      case 'AWS::IAM::Role': return this.roleName(logicalId);
      case 'AWS::Lambda::Function': return logicalId;
      case 'AWS::StepFunctions::StateMachine': return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${logicalId}`;
      case 'AWS::Logs::LogGroup': return `/aws/lambda/${logicalId}`;
      default: return logicalId;
    }
  }

  getAtt(logicalId: string, attribute: string): string {
    const r = this.resources[logicalId];
    if (!r) throw new Error(`GetAtt of unknown resource ${logicalId}`);
    if (attribute === 'Arn') {
      switch (r.Type) {
        case 'AWS::IAM::Role': return this.roleArn(logicalId);
        case 'AWS::Lambda::Function': return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${logicalId}`;
        case 'AWS::Logs::LogGroup': return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${this.ref(logicalId)}:*`;
        default: break;
      }
    }
    throw new Error(`GetAtt ${logicalId}.${attribute} (${r.Type}) is not modelled`);
  }

  /** A role's physical name, as the IAM model names it (test/util/iam-template.ts). */
  roleName(logicalId: string): string {
    return this.iam.resolve({ Ref: logicalId });
  }

  roleArn(logicalId: string): string {
    return this.iam.arnOf(logicalId);
  }

  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [k] = keys;
      const arg = value[k];
      switch (k) {
        case 'Ref':
          return PSEUDO[arg] ?? this.ref(arg);
        case 'Fn::GetAtt':
          return this.getAtt(arg[0], arg[1]);
        case 'Fn::Join':
          return (this.resolve(arg[1]) as string[]).join(arg[0]);
        case 'Fn::Select':
          return this.resolve(arg[1])[Number(this.resolve(arg[0]))];
        case 'Fn::Split':
          return String(this.resolve(arg[1])).split(arg[0]);
        case 'Fn::Sub': {
          if (typeof arg !== 'string') throw new Error('Fn::Sub with variables is not modelled');
          return arg.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            const [id, att] = name.split('.');
            return att ? this.getAtt(id, att) : PSEUDO[id] ?? this.ref(id);
          });
        }
        default:
          if (k.startsWith('Fn::')) throw new Error(`${k} is not modelled`);
      }
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(value[k])]));
  }

  /** What CloudFormation sends as ResourceProperties: resolved, every scalar a string. */
  propertiesOf(logicalId: string): Record<string, Json> {
    return toCfnWire(this.resolve(this.resources[logicalId].Properties ?? {}));
  }
}

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackId': STACK_ID,
  'AWS::StackName': STACK_NAME,
};

/** CloudFormation passes numbers and booleans in custom-resource properties as strings. */
export function toCfnWire(value: Json): Json {
  if (Array.isArray(value)) return value.map(toCfnWire);
  if (value === null || value === undefined) return value;
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCfnWire(v)]));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}

// ---------------------------------------------------------------------------------------------------------------------
// Lambda: the template's functions, invoked in-process.

interface FunctionDef {
  readonly logicalId: string;
  readonly arn: string;
  readonly file: string;
  readonly exportName: string;
  readonly env: Record<string, string>;
  readonly timeoutSeconds: number;
  /** The function's execution role (its template's `Role`) and the session Lambda gives the function for it. */
  readonly roleArn: string;
  readonly credentials: Record<'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY' | 'AWS_SESSION_TOKEN', string>;
  module?: any;
}

/** The session credentials of an execution role: stable per role, known to the local SigV4 verifier. */
function executionRoleCredentials(roleArn: string): FunctionDef['credentials'] {
  const id = createHash('sha256').update(roleArn).digest('hex').slice(0, 16).toUpperCase();
  const credentials = { AWS_ACCESS_KEY_ID: `ASIALAMBDA${id}`, AWS_SECRET_ACCESS_KEY: `lambda/${id}`, AWS_SESSION_TOKEN: `lambda-session-${id}` };
  KNOWN_KEYS.set(credentials.AWS_ACCESS_KEY_ID, credentials.AWS_SECRET_ACCESS_KEY);
  return credentials;
}

/** The error payload Lambda's Node.js runtime returns for an unhandled error. */
interface FunctionError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: string[];
}

/**
 * Environment variables the template sets on functions: cleared while another function runs. The framework's are
 * listed from the start, so that a function never sees another provider's (e.g. the waiter's, in a patch provider).
 */
const FUNCTION_ENV_KEYS = new Set<string>(['AWS_LAMBDA_FUNCTION_NAME', 'USER_ON_EVENT_FUNCTION_ARN', 'USER_IS_COMPLETE_FUNCTION_ARN',
  'WAITER_STATE_MACHINE_ARN', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);

export class Lambdas {
  readonly functions = new Map<string, FunctionDef>();
  /** Every invocation: function logical ID and request type of its payload. */
  readonly invocations: { logicalId: string; requestType?: string }[] = [];
  private readonly faults = new Map<string, number>();
  private readonly running = new Set<Promise<unknown>>();

  constructor(readonly template: DeployedTemplate, readonly server: LocalServer) {
    for (const id of template.logicalIdsOfType('AWS::Lambda::Function')) {
      const p = template.resources[id].Properties;
      const [fileBase, exportName] = String(p.Handler).split('.');
      const file = fileBase === 'framework' ? path.join(FRAMEWORK_DIR, 'framework.js')
        : fileBase === 'index' ? HANDLER_FILE : undefined;
      if (!file) continue; // not a function of the provider (e.g. a log-retention helper)
      const env = template.resolve(p.Environment?.Variables ?? {});
      for (const k of Object.keys(env)) FUNCTION_ENV_KEYS.add(k);
      const roleArn: string = template.resolve(p.Role);
      const def: FunctionDef = {
        logicalId: id,
        arn: template.getAtt(id, 'Arn'),
        file,
        exportName,
        env,
        timeoutSeconds: Number(p.Timeout ?? 3),
        roleArn,
        credentials: executionRoleCredentials(roleArn),
      };
      this.functions.set(def.arn, def);
      // The SDK puts the function name (here an ARN) URI-encoded into the path.
      server.route('POST', `/2015-03-31/functions/${encodeURIComponent(def.arn)}/invocations`, (req) => this.invokeOp(def, req));
      // The framework waits for the function to be Active after a failed Invoke (outbound.js), then invokes again.
      server.route('GET', `/2015-03-31/functions/${encodeURIComponent(def.arn)}`, () => ({
        body: { Configuration: { FunctionName: def.logicalId, FunctionArn: def.arn, State: 'Active', LastUpdateStatus: 'Successful' } },
      }));
    }
  }

  /** The next `times` invocations of the function fail as if Lambda could not run it (throttled, HTTP 429). */
  throttle(logicalId: string, times = 1): void {
    this.faults.set(logicalId, (this.faults.get(logicalId) ?? 0) + times);
  }

  /** The role each function's access key belongs to. */
  get keys(): Record<string, string> {
    return Object.fromEntries([...this.functions.values()].map((f) => [f.credentials.AWS_ACCESS_KEY_ID, f.roleArn]));
  }

  byLogicalId(logicalId: string): FunctionDef {
    const f = [...this.functions.values()].find((d) => d.logicalId === logicalId);
    if (!f) throw new Error(`no function ${logicalId}`);
    return f;
  }

  private async invokeOp(def: FunctionDef, req: ReceivedRequest) {
    const pending = this.faults.get(def.logicalId) ?? 0;
    if (pending > 0) {
      this.faults.set(def.logicalId, pending - 1);
      return { status: 429, body: { Type: 'User', message: 'Rate Exceeded.' }, headers: { 'x-amzn-errortype': 'TooManyRequestsException', ...dateHeader() } };
    }
    if (req.headers['x-amz-invocation-type'] && req.headers['x-amz-invocation-type'] !== 'RequestResponse') {
      throw new Error(`unexpected invocation type ${req.headers['x-amz-invocation-type']}`);
    }
    const out = await this.invoke(def.arn, req.body);
    if ('error' in out) return { status: 200, body: out.error, headers: { 'x-amz-function-error': 'Unhandled', ...dateHeader() } };
    return { status: 200, body: out.result ?? null, headers: dateHeader() };
  }

  /** Resolves when no invocation is running (at the end of a test, before the servers close). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Runs the function with its own environment; resolves to its result or its error payload. */
  invoke(arn: string, payload: Json): Promise<{ result: Json } | { error: FunctionError }> {
    const p = this.run(arn, payload);
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  }

  private async run(arn: string, payload: Json): Promise<{ result: Json } | { error: FunctionError }> {
    const def = this.functions.get(arn);
    if (!def) throw new Error(`no function ${arn}`);
    this.invocations.push({ logicalId: def.logicalId, requestType: payload?.RequestType });
    def.module ??= loadFresh(def.file);
    const saved = new Map([...FUNCTION_ENV_KEYS].map((k) => [k, lambdaEnv[k]]));
    for (const k of FUNCTION_ENV_KEYS) delete lambdaEnv[k];
    Object.assign(lambdaEnv, def.env, def.credentials, { AWS_LAMBDA_FUNCTION_NAME: def.logicalId });
    const end = clock.now() + def.timeoutSeconds * 1000;
    const context = { functionName: def.logicalId, awsRequestId: `lambda-${this.invocations.length}`, getRemainingTimeInMillis: () => end - clock.now() };
    try {
      const result = await def.module[def.exportName](JSON.parse(JSON.stringify(payload)), context);
      return { result: result === undefined ? null : JSON.parse(JSON.stringify(result)) };
    } catch (err: any) {
      // As Lambda's Node.js runtime reports an unhandled error (the error comes from the other realm: no instanceof).
      const e = err && typeof err === 'object' ? err : { name: 'Error', message: String(err), stack: String(err) };
      return { error: { errorType: e.name ?? 'Error', errorMessage: e.message ?? '', trace: String(e.stack ?? '').split('\n') } };
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete lambdaEnv[k];
        else lambdaEnv[k] = v;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Step Functions: StartExecution of the waiter, interpreted from the template's definition.

export interface Execution {
  readonly arn: string;
  readonly input: Json;
  /** isComplete attempts made. */
  attempts: number;
  /** 'SUCCEEDED' when the state machine ended (the framework answers CloudFormation itself). */
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  done: Promise<void>;
}

const MAX_EXECUTION_INPUT_BYTES = 262_144;

export class StepFunctions {
  readonly executions: Execution[] = [];
  private readonly machines = new Map<string, Json>();
  /** The role of each state machine: what its task invocations are authorized as. */
  private readonly roles = new Map<string, string>();
  private failNext?: { status: number; type: string; message: string };

  constructor(readonly template: DeployedTemplate, readonly server: LocalServer, readonly lambdas: Lambdas, readonly iam: IamAuthorizer) {
    for (const id of template.logicalIdsOfType('AWS::StepFunctions::StateMachine')) {
      const definition = JSON.parse(template.resolve(template.resources[id].Properties.DefinitionString));
      this.machines.set(template.ref(id), definition);
      this.roles.set(template.ref(id), template.resolve(template.resources[id].Properties.RoleArn));
    }
    server.target('AWSStepFunctions.StartExecution', (req) => this.startExecutionOp(req));
  }

  /** The waiter definition of the template's one state machine. */
  get definition(): Json {
    const [d] = this.machines.values();
    return d;
  }

  /** The next StartExecution fails (after the SDK's own retries, when the error is retryable). */
  failStart(status = 400, type = 'AccessDeniedException', message = 'not authorized to perform states:StartExecution'): void {
    this.failNext = { status, type, message };
  }

  private startExecutionOp(req: ReceivedRequest) {
    if (this.failNext) {
      const { status, type, message } = this.failNext;
      this.failNext = undefined;
      return { status, body: { __type: type, message }, headers: { 'x-amzn-errortype': type, ...dateHeader() } };
    }
    const { stateMachineArn, input } = req.body ?? {};
    const definition = this.machines.get(stateMachineArn);
    if (!definition) return { status: 400, body: { __type: 'StateMachineDoesNotExist', message: stateMachineArn } };
    if (typeof input !== 'string' || Buffer.byteLength(input) > MAX_EXECUTION_INPUT_BYTES) {
      return { status: 400, body: { __type: 'InvalidExecutionInput', message: 'input too large or missing' } };
    }
    const arn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${this.executions.length + 1}`;
    const execution: Execution = { arn, input: JSON.parse(input), attempts: 0, status: 'RUNNING', done: Promise.resolve() };
    const roleArn = this.roles.get(stateMachineArn)!;
    // The execution starts once the function that started it has returned: functions run one at a time here, as they
    // share the process's environment.
    execution.done = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.lambdas.idle())
      .then(() => this.run(definition, execution, roleArn));
    this.executions.push(execution);
    return { body: { executionArn: arn, startDate: clock.now() / 1000 }, headers: dateHeader() };
  }

  /** Task states with Retry and Catch, as the waiter uses them. */
  private async run(definition: Json, execution: Execution, roleArn: string): Promise<void> {
    let stateName: string | undefined = definition.StartAt;
    let input = execution.input;
    while (stateName) {
      const state = definition.States[stateName];
      if (state.Type !== 'Task') throw new Error(`state type ${state.Type} is not modelled`);
      const retry = (state.Retry ?? []).find((r: Json) => r.ErrorEquals.includes('States.ALL'));
      let retries = 0;
      let outcome: { result: Json } | { error: FunctionError };
      for (;;) {
        execution.attempts++;
        // The task's Invoke is made with the state machine's role; a denial fails the task (States.ALL catches it).
        const denied: Error | undefined = await this.iam.authorizeRole(roleArn, {
          service: 'lambda', operation: 'Invoke', body: { FunctionName: state.Resource }, query: {}, region: REGION,
        }).then(() => undefined, (err: Error) => err);
        outcome = denied ? { error: { errorType: 'Lambda.AWSLambdaException', errorMessage: denied.message, trace: [] } }
          : await this.lambdas.invoke(state.Resource, input);
        if (!('error' in outcome) || !retry || retries >= retry.MaxAttempts) break;
        clock.advance(retry.IntervalSeconds * 1000 * (retry.BackoffRate ?? 2) ** retries);
        retries++;
      }
      if ('error' in outcome) {
        const katch = (state.Catch ?? []).find((c: Json) => c.ErrorEquals.includes('States.ALL'));
        if (!katch) {
          execution.status = 'FAILED';
          return;
        }
        input = { Error: outcome.error.errorType, Cause: JSON.stringify(outcome.error) };
        stateName = katch.Next;
        continue;
      }
      input = outcome.result;
      stateName = state.End ? undefined : state.Next;
    }
    execution.status = 'SUCCEEDED';
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The ResponseURL.

export interface CfnResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly NoEcho?: boolean;
  readonly Data?: Record<string, string>;
}

export class ResponseEndpoint {
  static async start(): Promise<ResponseEndpoint> {
    const r = new ResponseEndpoint();
    await new Promise<void>((resolve, reject) => {
      r.server.once('error', reject);
      r.server.listen(0, '127.0.0.1', () => resolve());
    });
    // cfn-response.js calls https.request({ hostname, path, method, headers }) without a port or agent: the global
    // agent supplies both the port (defaultPort) and the trust of our certificate (its options reach every connection).
    r.saved = { defaultPort: (https.globalAgent as any).defaultPort, ca: https.globalAgent.options.ca };
    (https.globalAgent as any).defaultPort = r.port;
    https.globalAgent.options.ca = fs.readFileSync(path.join(TLS_DIR, 'cert.pem'));
    return r;
  }

  /** Bodies received, by the path of the ResponseURL. */
  readonly received = new Map<string, { body: string; at: number }[]>();
  private readonly waiters = new Map<string, () => void>();
  private readonly server: https.Server;
  private saved?: { defaultPort: number; ca: unknown };

  private constructor() {
    this.server = https.createServer({
      key: fs.readFileSync(path.join(TLS_DIR, 'key.pem')),
      cert: fs.readFileSync(path.join(TLS_DIR, 'cert.pem')),
    }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'https://127.0.0.1');
        // A pre-signed S3 PUT: the method and the signature in the query are what S3 checks.
        if (req.method !== 'PUT' || !url.searchParams.get('X-Amz-Signature')) {
          res.writeHead(403).end();
          return;
        }
        const list = this.received.get(url.pathname) ?? [];
        list.push({ body: Buffer.concat(chunks).toString('utf8'), at: clock.now() });
        this.received.set(url.pathname, list);
        res.writeHead(200).end();
        this.waiters.get(url.pathname)?.();
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  urlFor(requestId: string): string {
    return `https://127.0.0.1/cloudformation-custom-resource-response/${requestId}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc`;
  }

  pathFor(requestId: string): string {
    return `/cloudformation-custom-resource-response/${requestId}`;
  }

  whenReceived(requestId: string): Promise<void> {
    const p = this.pathFor(requestId);
    if (this.received.has(p)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(p, resolve));
  }

  async close(): Promise<void> {
    if (this.saved) {
      (https.globalAgent as any).defaultPort = this.saved.defaultPort;
      https.globalAgent.options.ca = this.saved.ca as any;
    }
    https.globalAgent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// CloudFormation.

export type RequestType = 'Create' | 'Update' | 'Delete';

export interface Outcome {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly reason?: string;
  readonly physicalResourceId?: string;
  readonly data?: Record<string, string>;
  /** The response as received (undefined when none came in time). */
  readonly response?: CfnResponse;
  readonly responseBytes?: number;
  /** Simulated seconds from the request to the response. */
  readonly seconds: number;
}

export interface SendInput {
  readonly properties: Record<string, Json>;
  readonly oldProperties?: Record<string, Json>;
  readonly physicalResourceId?: string;
  /**
   * The roles IAM holds while CloudFormation sends this request: every call must be allowed by each of these (more
   * than one when CloudFormation may have either in place; see `ResourceUnderTest`).
   */
  readonly iam: IamRoles[];
  /**
   * Deliver the event this many times (Lambda retries an asynchronous invocation whose function failed, so the
   * framework may see one event more than once): one after the other, each run to its end.
   */
  readonly deliveries?: number;
}

/** Request IDs are unique in the test process, so that no answer can be taken for another test's. */
let requests = 0;

/**
 * Sends one custom-resource request of the template's resource `logicalId` the way CloudFormation does: an
 * asynchronous invocation of the ServiceToken function, then a wait for the ResponseURL (bounded by the resource's
 * ServiceTimeout, else one hour, on the simulated clock).
 */
export class CloudFormation {

  constructor(
    readonly template: DeployedTemplate,
    readonly lambdas: Lambdas,
    readonly stepFunctions: StepFunctions,
    readonly responses: ResponseEndpoint,
    readonly iam: IamAuthorizer,
  ) {}

  async send(requestType: RequestType, logicalId: string, input: SendInput): Promise<Outcome> {
    [this.iam.world, ...this.iam.requiredToo] = input.iam;
    const resource = this.template.resources[logicalId];
    const requestId = `00000000-0000-4000-8000-${String(++requests).padStart(12, '0')}`;
    const event: Json = {
      RequestType: requestType,
      ServiceToken: input.properties.ServiceToken,
      ResponseURL: this.responses.urlFor(requestId),
      StackId: STACK_ID,
      RequestId: requestId,
      LogicalResourceId: logicalId,
      ResourceType: resource.Type,
      ResourceProperties: input.properties,
      ...(requestType !== 'Create' ? { PhysicalResourceId: input.physicalResourceId } : {}),
      ...(requestType === 'Update' ? { OldResourceProperties: input.oldProperties } : {}),
    };
    const serviceTimeout = Number(input.properties.ServiceTimeout ?? DEFAULT_SERVICE_TIMEOUT_SECONDS);
    const started = clock.now();
    const deliver = async () => {
      const executionsBefore = this.stepFunctions.executions.length;
      // CloudFormation invokes the service token asynchronously and does not look at the function's result.
      await this.lambdas.invoke(input.properties.ServiceToken, event);
      // The framework's onEvent may have started a waiter; wait for every execution started since.
      for (let seen = executionsBefore; seen < this.stepFunctions.executions.length; seen++) {
        await this.stepFunctions.executions[seen].done;
      }
    };
    // Each delivery is run to its end (the framework has nothing left to do once it answered), so that no two
    // functions run at once: they share this process's environment.
    const deliveries = input.deliveries ?? 1;
    for (let i = 0; i < deliveries; i++) await deliver();
    await this.lambdas.idle();
    const all = this.responses.received.get(this.responses.pathFor(requestId)) ?? [];
    if (deliveries > 1) {
      // CloudFormation acts on the first answer; a later one must not contradict it.
      const statuses = new Set(all.map((b) => JSON.parse(b.body).Status));
      const ids = new Set(all.map((b) => JSON.parse(b.body).PhysicalResourceId));
      if (statuses.size > 1 || ids.size > 1) throw new Error(`redelivered event answered differently: ${all.map((b) => b.body).join(' / ')}`);
    }
    const bodies = all.slice(0, 1);
    const seconds = (clock.now() - started) / 1000;
    if (bodies.length === 0 || (bodies[0].at - started) / 1000 > serviceTimeout) {
      return { status: 'FAILED', reason: `CloudFormation did not receive a response within ServiceTimeout (${serviceTimeout} s)`, seconds };
    }
    if (all.length > deliveries) throw new Error(`${all.length} responses to ${deliveries} deliveries of one request`);
    const body = bodies[0].body;
    const bytes = Buffer.byteLength(body);
    const response = JSON.parse(body) as CfnResponse;
    if (response.RequestId !== requestId || response.StackId !== STACK_ID || response.LogicalResourceId !== logicalId) {
      throw new Error(`response does not match its request: ${body.slice(0, 300)}`);
    }
    if (bytes > MAX_RESPONSE_BYTES) {
      return { status: 'FAILED', reason: 'Response object is too long.', response, responseBytes: bytes, seconds };
    }
    return {
      status: response.Status,
      reason: response.Reason,
      physicalResourceId: response.PhysicalResourceId,
      data: response.Data,
      response,
      responseBytes: bytes,
      seconds,
    };
  }
}

/**
 * The state CloudFormation keeps of one custom resource, and the sequences it runs on it.
 *
 * Which roles IAM holds during each request. The custom resource depends on its handler role and that role's policy
 * (the `RoleArn` property, and the DependsOn the constructs add), so CloudFormation brings those to the template
 * being deployed before it sends the resource's request; roles only the other template has are created at the start
 * of an update, and deleted only in its cleanup phase, after the resources that depend on them:
 * - Create, and the Delete of a failed Create's rollback: the roles of the template created;
 * - Update: the new template's roles (its policies are updated first), and the old template's roles it no longer has;
 * - the cleanup Delete of a physical ID an update replaced: the same (the old policies of a role both templates have
 *   no longer exist: a Delete that needs them fails in AWS);
 * - the rollback Update (UPDATE_ROLLBACK_IN_PROGRESS): CloudFormation's documentation does not say whether the old
 *   policies are restored before or after the custom resource that depends on them is rolled back, so each call must
 *   be allowed with either in place;
 * - the cleanup Delete after a rollback: the old template's roles, and the new template's roles it does not have;
 * - the stack's Delete: the roles of the template in place.
 */
export class ResourceUnderTest {
  /** CloudFormation's view: properties and physical ID after the last successful request. */
  properties?: Record<string, Json>;
  physicalResourceId?: string;
  data?: Record<string, string>;
  readonly outcomes: { requestType: RequestType; outcome: Outcome }[] = [];
  /** The template in place: its roles are what IAM holds. */
  template: DeployedTemplate;
  /** The last update: the template before it, and the one it deployed; a rollback swaps them. */
  private lastUpdate?: { from: DeployedTemplate; to: DeployedTemplate };

  constructor(readonly cfn: CloudFormation, readonly logicalId: string) {
    this.template = cfn.template;
  }

  /** Create as part of deploying `template` (the harness's, unless given). */
  async create(properties: Record<string, Json>, options: { template?: DeployedTemplate; deliveries?: number } = {}): Promise<Outcome> {
    // A failed Create's rollback Delete carries the properties of the attempt.
    this.properties = properties;
    this.template = options.template ?? this.template;
    this.lastUpdate = undefined;
    const outcome = await this.record('Create', this.cfn.send('Create', this.logicalId, {
      properties, deliveries: options.deliveries, iam: [this.template.iam],
    }));
    // Created or not, CloudFormation keeps the physical ID it got (the framework's marker after a failure).
    this.physicalResourceId = outcome.physicalResourceId;
    if (outcome.status === 'SUCCESS') this.data = outcome.data;
    return outcome;
  }

  /**
   * Update, as part of deploying `template` (whose properties of this resource are `properties`, or were before a
   * test changed them); on SUCCESS with a new physical ID, `replaced` is what CloudFormation deletes in its cleanup
   * (`cleanup`).
   */
  async update(properties: Record<string, Json>, template: DeployedTemplate):
  Promise<Outcome & { replaced?: { physicalResourceId: string; properties: Record<string, Json> } }> {
    const before = { physicalResourceId: this.physicalResourceId!, properties: this.properties! };
    this.lastUpdate = { from: this.template, to: template };
    // The stack is on the new template's roles until it is rolled back, whether this resource fails or not.
    this.template = template;
    const outcome = await this.record('Update', this.cfn.send('Update', this.logicalId, {
      properties, oldProperties: before.properties, physicalResourceId: before.physicalResourceId, iam: [this.between(template)],
    }));
    if (outcome.status !== 'SUCCESS') return outcome;
    this.properties = properties;
    this.physicalResourceId = outcome.physicalResourceId;
    this.data = outcome.data;
    return outcome.physicalResourceId !== before.physicalResourceId ? { ...outcome, replaced: before } : outcome;
  }

  /**
   * CloudFormation's rollback of the last update to `failed` properties (whether that update failed, or succeeded and
   * another resource failed): an Update back to `previous`, with the two swapped.
   */
  async rollbackUpdate(previous: Record<string, Json>, failed: Record<string, Json>): Promise<Outcome> {
    const update = this.lastUpdate;
    if (!update) throw new Error('rollbackUpdate without an update to roll back');
    this.lastUpdate = { from: update.to, to: update.from };
    this.template = update.from;
    const physical = this.physicalResourceId!;
    const outcome = await this.record('Update', this.cfn.send('Update', this.logicalId, {
      properties: previous, oldProperties: failed, physicalResourceId: physical, iam: [this.between(update.from), this.between(update.to)],
    }));
    if (outcome.status === 'SUCCESS') {
      this.properties = previous;
      this.physicalResourceId = outcome.physicalResourceId;
      this.data = outcome.data;
    }
    return outcome;
  }

  /** The Delete, in the cleanup phase of the last update or its rollback, of a physical ID it left behind. */
  async cleanup(physicalResourceId: string, properties: Record<string, Json>): Promise<Outcome> {
    if (!this.lastUpdate) throw new Error('cleanup without an update');
    return this.record('Delete', this.cfn.send('Delete', this.logicalId, { properties, physicalResourceId, iam: [this.between(this.template)] }));
  }

  /** The stack's Delete (or a failed Create's rollback Delete). */
  async delete(): Promise<Outcome> {
    return this.record('Delete', this.cfn.send('Delete', this.logicalId, {
      properties: this.properties!, physicalResourceId: this.physicalResourceId!, iam: [this.template.iam],
    }));
  }

  /** The roles while the stack moves to `target` in the last update or its rollback: the other template's too. */
  private between(target: DeployedTemplate): IamRoles {
    const other = this.lastUpdate && (this.lastUpdate.from === target ? this.lastUpdate.to : this.lastUpdate.from);
    return other && other !== target ? target.iam.withRolesOf(other.iam) : target.iam;
  }

  private async record(requestType: RequestType, p: Promise<Outcome>): Promise<Outcome> {
    const outcome = await p;
    this.outcomes.push({ requestType, outcome });
    if (outcome.responseBytes !== undefined && outcome.responseBytes > MAX_RESPONSE_BYTES) {
      throw new Error(`${requestType} response of ${outcome.responseBytes} bytes exceeds CloudFormation's ${MAX_RESPONSE_BYTES}`);
    }
    return outcome;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Everything together, for one test.

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION',
  'AWS_EC2_METADATA_DISABLED', 'AWS_ENDPOINT_URL_LAMBDA', 'AWS_ENDPOINT_URL_SFN', 'IMAGEBUILDER_ENDPOINT', 'SSM_ENDPOINT',
  'STS_ENDPOINT', 'EC2_ENDPOINT', 'AWS_MAX_ATTEMPTS'];

export interface Harness {
  readonly template: DeployedTemplate;
  /** Image Builder, SSM and STS. */
  readonly aws: LocalServer;
  readonly lambdaServer: LocalServer;
  readonly sfnServer: LocalServer;
  readonly lambdas: Lambdas;
  readonly stepFunctions: StepFunctions;
  readonly responses: ResponseEndpoint;
  readonly cfn: CloudFormation;
  /** IAM of the local services (attach `iam.ec2Check` to a local EC2); `iam.denials` lists every denied call. */
  readonly iam: IamAuthorizer;
  /** The local STS: any role of the templates may be assumed where their policies allow it. */
  readonly sts: Roles;
  resource(logicalId: string): ResourceUnderTest;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Environment variables for every function (e.g. EC2_ENDPOINT). */
  readonly env?: Record<string, string>;
  /** For DistributeImage: the ARN of the image build version the next call will create (test/lambda/server/iam.ts). */
  readonly nextImageArn?: (region: string) => string;
}

export async function startHarness(template: DeployedTemplate, options: HarnessOptions = {}): Promise<Harness> {
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, lambdaEnv[k]]));
  const aws = await LocalServer.start();
  const lambdaServer = await LocalServer.start();
  const sfnServer = await LocalServer.start();
  const responses = await ResponseEndpoint.start();
  // No credentials outside a function: each function gets its execution role's (Lambdas.run).
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete lambdaEnv[k];
  Object.assign(lambdaEnv, {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_LAMBDA: lambdaServer.endpoint,
    AWS_ENDPOINT_URL_SFN: sfnServer.endpoint,
    IMAGEBUILDER_ENDPOINT: aws.endpoint,
    SSM_ENDPOINT: aws.endpoint,
    STS_ENDPOINT: aws.endpoint,
    ...options.env,
  });
  // The Lambda code logs to the main context's console; keep it, as CloudWatch would, instead of printing it.
  const savedConsole = { log: outer.console.log, warn: outer.console.warn, error: outer.console.error };
  lambdaLogs.length = 0;
  const capture = (...args: unknown[]) => {
    lambdaLogs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  };
  Object.assign(outer.console, { log: capture, warn: capture, error: capture });
  const lambdas = new Lambdas(template, lambdaServer);
  const iam = new IamAuthorizer(template.iam, { account: ACCOUNT, keys: lambdas.keys, nextImageArn: options.nextImageArn })
    .attach(aws).attach(lambdaServer, 'lambda').attach(sfnServer, 'states');
  const stepFunctions = new StepFunctions(template, sfnServer, lambdas, iam);
  const sts = new Roles(aws, { clock: clock.now, iam });
  const cfn = new CloudFormation(template, lambdas, stepFunctions, responses, iam);
  return {
    template,
    aws,
    lambdaServer,
    sfnServer,
    lambdas,
    stepFunctions,
    responses,
    cfn,
    iam,
    sts,
    resource: (logicalId) => new ResourceUnderTest(cfn, logicalId),
    close: async () => {
      await Promise.all(stepFunctions.executions.map((e) => e.done));
      await lambdas.idle();
      await Promise.all([aws.close(), lambdaServer.close(), sfnServer.close(), responses.close()]);
      Object.assign(outer.console, savedConsole);
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete lambdaEnv[k];
        else lambdaEnv[k] = v;
      }
    },
  };
}

/** One identity statement, or one action of it, removed from one role of a template (mutation tests of the roles). */
export interface RoleMutation {
  readonly roleArn: string;
  readonly index: number;
  /** The action removed from the statement; none: the whole statement. */
  readonly action?: string;
  /** The actions the removal takes away. */
  readonly actions: string[];
  /** `<role logical ID>[<index>] <actions>`, for test names. */
  readonly name: string;
}

/**
 * Every statement of the roles whose logical IDs start with `prefixes` as a removal each, and each action of a
 * statement with several; statements that allow only CloudWatch Logs actions are left out: Lambda's runtime writes
 * the logs, outside what these servers play.
 */
export function roleMutations(template: DeployedTemplate, prefixes: string[]): RoleMutation[] {
  return prefixes.flatMap((prefix) => {
    const role = template.iam.byLogicalId(prefix);
    return template.iam.statementsOf(role.arn).flatMap(({ statement }, index): RoleMutation[] => {
      const actions = [statement.Action ?? []].flat();
      if (actions.every((a) => a.startsWith('logs:'))) return [];
      const whole = { roleArn: role.arn, index, actions, name: `${role.logicalId}[${index}] ${actions.join(',')}` };
      if (actions.length === 1) return [whole];
      return [whole, ...actions.map((action) => ({ roleArn: role.arn, index, action, actions: [action], name: `${role.logicalId}[${index}] ${action} alone` }))];
    });
  });
}

/** `template` with the statement (or action) of `mutation` removed from its role. */
export function mutated(template: DeployedTemplate, mutation: RoleMutation): DeployedTemplate {
  const { roleArn, index, action } = mutation;
  return template.withIam(action ? template.iam.withoutAction(roleArn, index, action) : template.iam.withoutStatement(roleArn, index));
}

/**
 * A mutation test's deployment: runs `steps` up to the first that fails and expects exactly one to fail, with
 * CloudFormation's reason naming the first denial, and every denial to be of an action `mutation` removed. Returns
 * the denials (the test's afterEach expects them).
 */
export async function expectOnlyMutationDenied<D extends { action: string; resource: string }>(
  steps: Array<() => Promise<Outcome>>, mutation: RoleMutation, denials: () => D[],
): Promise<D[]> {
  const failures: Outcome[] = [];
  for (const step of steps) {
    const outcome = await step();
    if (outcome.status === 'FAILED') {
      failures.push(outcome);
      break;
    }
  }
  expect(failures).toHaveLength(1);
  const denied = denials();
  expect(denied.length).toBeGreaterThan(0);
  for (const d of denied) expect(mutation.actions).toContain(d.action);
  expect(failures[0].reason).toContain(`is not authorized to perform: ${denied[0].action} on resource: ${denied[0].resource}`);
  return denied;
}

/** The staged asset directory of each Lambda function of `stack` (its cloud assembly), by logical ID. */
export function stagedAssetDirs(stack: Stack, template: DeployedTemplate): Map<string, string> {
  const assembly = (stack.node.root as any).synth();
  const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8'));
  const dirs = new Map<string, string>();
  for (const id of template.logicalIdsOfType('AWS::Lambda::Function')) {
    const key = template.resources[id].Properties?.Code?.S3Key;
    const hash = typeof key === 'string' ? key.replace(/\.zip$/, '') : undefined;
    const source = hash ? manifest.files?.[hash]?.source : undefined;
    if (source?.packaging === 'zip') dirs.set(id, path.join(assembly.directory, source.path));
  }
  return dirs;
}
