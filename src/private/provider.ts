import * as fs from 'fs';
import * as path from 'path';
import { Aws, CfnResource, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { HANDLER_ROLE_ARN_PREFIX_ENV, HANDLER_STACK_ID_ENV } from './handler-contract';
import { acknowledgeNag, acknowledgeWildcardResource } from './nag';
import { LAMBDA_SERVICE } from './service-principals';
import { addValidation } from './validation';

/** Where scripts/bundle-handler.ts writes the handler; shipped in the npm package beside lib/. */
export const HANDLER_ASSET_DIR = path.join(__dirname, '..', '..', 'assets', 'handler');

const PROVIDER_ID = 'ImageBuilderDistributionProvider';

/** The Provider framework's waiter polls isComplete at this interval; a DistributeImage takes minutes. */
export const DEFAULT_QUERY_INTERVAL = Duration.seconds(30);

/**
 * Context key: how often, in seconds, the stack's provider checks on running distributions (5 to 1800). A setting of
 * the stack rather than a prop, because the one waiter state machine of the shared provider polls every resource at
 * the same interval, and context is read the same whichever construct creates the provider.
 */
export const POLL_INTERVAL_CONTEXT_KEY = 'cdk-imagebuilder-distribution:pollIntervalSeconds';
const POLL_INTERVAL_BOUNDS = { min: 5, max: 1800 };

// CloudFormation waits at most an hour for a custom resource's answer (ServiceTimeout, 1 to 3600 seconds), whatever
// the Provider framework's own totalTimeout says. The waits below nest inside it, each ending before the next, so that
// the message CloudFormation shows is the most specific one: the handler's own (TimeoutSeconds), else the
// framework's "Operation timed out", never CloudFormation's bare timeout.

/** ServiceTimeout of DistributeImage resources: the most CloudFormation allows. */
export const DISTRIBUTE_SERVICE_TIMEOUT = Duration.hours(1);
/**
 * The waiter's total time (rounded down to a whole number of poll intervals, as the framework requires): ends before
 * ServiceTimeout, with room for the last isComplete and the framework's answer.
 */
export const WAITER_BUDGET = Duration.minutes(55);
/** The longest, and the default, wait for AVAILABLE that a DistributeImage may ask for (its `timeout` prop). */
export const MAX_DISTRIBUTION_WAIT = Duration.minutes(50);
/**
 * ServiceTimeout of patches: a patch is answered by one framework invocation (at most 15 minutes, the handler stops
 * before its own 14) or never; waiting longer would only delay the rollback.
 */
export const PATCH_SERVICE_TIMEOUT = Duration.minutes(20);

/** IAM path of the per-resource handler roles; the provider's address follows, so each provider assumes only its own. */
export const HANDLER_ROLE_PATH_PREFIX = '/cdk-imagebuilder-distribution/';

/**
 * The custom-resource provider of a stack, shared by every resource of this library in it: one handler asset, one
 * role, one log group, however many resources use it.
 *
 * Two service tokens, each made on first use: DistributeImage resources go through a Provider framework with a waiter
 * (isComplete polls the distribution); patches through one without. A patch is done when its onEvent returns, and a
 * waiter after it would only add a step that can fail after the configuration was written: the framework answers a
 * failed Create with a marker physical ID and then answers the rollback Delete itself, so a patch applied by a Create
 * whose waiter failed to start would stay behind. Without the waiter, a patch event is one framework invocation and
 * one handler invocation, and the handler's own outcome is what CloudFormation gets.
 *
 * The provider's own role holds nothing resource-specific. Each custom resource gets a handler role of its own
 * (`newHandlerRole`) with exactly the permissions it needs, and the handler assumes that role for the resource's
 * calls. So the permissions of a resource exist exactly as long as the resource, and the provider's role does not
 * grow with the number of resources: a shared role holding every resource's statements outgrows IAM's policy size
 * limits at about a hundred resources.
 */
export class ImageBuilderProvider extends Construct {
  /** Returns the stack's provider, creating it on first use. */
  public static of(scope: Construct): ImageBuilderProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(PROVIDER_ID);
    if (existing) return existing as ImageBuilderProvider;
    return new ImageBuilderProvider(stack, PROVIDER_ID);
  }

  /** The role the handler functions run with. */
  public readonly role: iam.Role;
  public readonly onEventHandler: lambda.Function;
  public readonly logGroup: logs.LogGroup;
  /** The IAM path of this provider's handler roles. */
  private readonly handlerRolePath: string;
  private readonly code: lambda.Code;
  private readonly frameworkOnEventRole: iam.Role;
  private distributeToken?: string;
  private patchToken?: string;

  private constructor(scope: Construct, id: string) {
    super(scope, id);

    if (!fs.existsSync(path.join(HANDLER_ASSET_DIR, 'index.js'))) {
      throw new Error(`The custom-resource handler bundle is missing at ${HANDLER_ASSET_DIR}. `
        + 'In a checkout of cdk-imagebuilder-distribution, run "npx projen bundle:handler" first; '
        + 'an installed package ships it.');
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // An own role instead of AWSLambdaBasicExecutionRole, so logging is scoped to this log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal(LAMBDA_SERVICE),
      description: 'Custom-resource handler of cdk-imagebuilder-distribution',
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));

    // Handler roles live under a path of their own, so this statement reaches only the roles of this provider; each
    // of them trusts this role by its ARN in its trust policy as well.
    this.handlerRolePath = `${HANDLER_ROLE_PATH_PREFIX}${this.node.addr}/`;
    const handlerRoles = Stack.of(this).formatArn({
      service: 'iam', region: '', resource: 'role', resourceName: `${this.handlerRolePath.slice(1)}*`,
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [handlerRoles] }));
    acknowledgeWildcardResource(this.role, handlerRoles, 'The handler assumes the role of the custom resource it '
      + 'serves; each resource has its own, created with it under this provider\'s IAM path (one statement for all of '
      + 'them keeps this policy from growing with every resource). Each role also names this role in its trust policy.');

    this.code = lambda.Code.fromAsset(HANDLER_ASSET_DIR);
    this.onEventHandler = this.handlerFunction('OnEvent', {
      // A patch makes several calls in a row, each retried with backoff, after an AssumeRole that may wait for IAM;
      // the handler stops retrying before this runs out (it reads the remaining time), so CloudFormation gets its
      // message rather than "Task timed out". Under the framework's own 15 minutes.
      timeout: Duration.minutes(14),
      handler: 'index.onEvent',
      description: 'cdk-imagebuilder-distribution: create, update and delete of distribution patches and DistributeImage',
    });

    // The Provider framework's own functions: without roles of ours, each gets one with the AWS managed policy
    // AWSLambdaBasicExecutionRole (logs on every log group). These roles may only write to our log group; the
    // framework adds lambda:InvokeFunction on the handlers (and, for onEvent, states:StartExecution on the waiter).
    // Two roles, as the framework intends: one role for all three would make the waiter depend on itself.
    this.frameworkOnEventRole = this.frameworkRole('FrameworkOnEventRole',
      'cdk-imagebuilder-distribution: custom-resource provider framework, onEvent');
  }

  /** The service token of DistributeImage resources: a Provider framework with a waiter (created on first use). */
  public get distributeServiceToken(): string {
    if (this.distributeToken === undefined) {
      const isCompleteHandler = this.handlerFunction('IsComplete', {
        handler: 'index.isComplete',
        description: 'cdk-imagebuilder-distribution: waits for DistributeImage to finish',
      });
      const frameworkCompleteAndTimeoutRole = this.frameworkRole('FrameworkIsCompleteRole',
        'cdk-imagebuilder-distribution: custom-resource provider framework, isComplete and onTimeout');
      this.acknowledgeInvoke(this.frameworkOnEventRole, isCompleteHandler);
      this.acknowledgeInvoke(frameworkCompleteAndTimeoutRole, this.onEventHandler);
      this.acknowledgeInvoke(frameworkCompleteAndTimeoutRole, isCompleteHandler);
      const queryInterval = this.pollInterval();
      const provider = new cr.Provider(this, 'Provider', {
        onEventHandler: this.onEventHandler,
        isCompleteHandler,
        queryInterval,
        // A whole number of intervals, as the framework requires, within the budget.
        totalTimeout: Duration.seconds(Math.floor(WAITER_BUDGET.toSeconds() / queryInterval.toSeconds()) * queryInterval.toSeconds()),
        logGroup: this.logGroup,
        frameworkOnEventRole: this.frameworkOnEventRole,
        frameworkCompleteAndTimeoutRole,
      });
      this.distributeToken = provider.serviceToken;

      // The waiter state machine is the framework's internal loop (isComplete, wait, retry); its role and tracing are
      // not configurable.
      const waiter = provider.node.findChild('waiter-state-machine');
      acknowledgeNag(waiter, 'AwsSolutions-SF1', 'The waiter state machine of the aws-cdk-lib Provider framework only '
        + 'loops over the isComplete Lambda function, which logs every poll to the provider log group. Step Functions '
        + 'logging would need log-delivery permissions (logs:CreateLogDelivery...) on "*", and its execution data holds '
        + 'the pre-signed CloudFormation response URL.');
      acknowledgeNag(waiter, 'AwsSolutions-SF2', 'The waiter state machine of the aws-cdk-lib Provider framework only '
        + 'loops over the isComplete Lambda function; the framework exposes no tracing option.');
      for (const fn of ['framework-isComplete', 'framework-onTimeout']) {
        acknowledgeWildcardResource(waiter, `${(provider.node.findChild(fn) as lambda.IFunction).functionArn}:*`,
          'The Provider framework\'s waiter invokes its own isComplete and onTimeout functions by qualified ARNs as well.');
      }
    }
    return this.distributeToken;
  }

  /** The service token of patches: a Provider framework without a waiter (created on first use; see the class). */
  public get patchServiceToken(): string {
    if (this.patchToken === undefined) {
      const provider = new cr.Provider(this, 'PatchProvider', {
        onEventHandler: this.onEventHandler,
        logGroup: this.logGroup,
        frameworkOnEventRole: this.frameworkOnEventRole,
      });
      this.patchToken = provider.serviceToken;
    }
    return this.patchToken;
  }

  private handlerFunction(id: string, props: Pick<lambda.FunctionProps, 'handler' | 'description' | 'timeout'>): lambda.Function {
    const fn = new lambda.Function(this, id, {
      code: this.code,
      // What the handler may act as and for, from its configuration rather than from the events (lambda/credentials.ts
      // confineRole): only this provider's handler roles, only for this stack.
      environment: {
        [HANDLER_ROLE_ARN_PREFIX_ENV]: Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: this.handlerRolePath.slice(1) }),
        [HANDLER_STACK_ID_ENV]: Aws.STACK_ID,
      },
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.minutes(5),
      role: this.role,
      logGroup: this.logGroup,
      ...props,
    });
    acknowledgeNag(fn, 'AwsSolutions-L1', 'The handler targets the Node.js 22 runtime on purpose: the bundle is built and '
      + 'tested for it (esbuild target node22); a runtime change is a deliberate, tested upgrade, not an automatic one.');
    return fn;
  }

  private frameworkRole(roleId: string, description: string): iam.Role {
    const role = new iam.Role(this, roleId, { assumedBy: new iam.ServicePrincipal(LAMBDA_SERVICE), description });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));
    this.acknowledgeInvoke(role, this.onEventHandler);
    return role;
  }

  private acknowledgeInvoke(role: iam.Role, fn: lambda.IFunction): void {
    acknowledgeWildcardResource(role, `${fn.functionArn}:*`, 'The Provider framework invokes the handler function '
      + 'by its ARN and by qualified ARNs (versions and aliases), hence the ":*" suffix; no other function.');
  }

  /** The interval from the stack's context, else the default; a bad value fails synthesis with the key named. */
  private pollInterval(): Duration {
    const raw = this.node.tryGetContext(POLL_INTERVAL_CONTEXT_KEY);
    if (raw === undefined) return DEFAULT_QUERY_INTERVAL;
    // A number from cdk.json, a string from `cdk synth -c key=60`.
    const seconds = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    const { min, max } = POLL_INTERVAL_BOUNDS;
    if (typeof seconds === 'number' && Number.isInteger(seconds) && seconds >= min && seconds <= max) {
      return Duration.seconds(seconds);
    }
    addValidation(this, (errors) => errors.add(`context "${POLL_INTERVAL_CONTEXT_KEY}"`, raw,
      `must be a whole number of seconds from ${min} to ${max}`));
    return DEFAULT_QUERY_INTERVAL;
  }

  /**
   * A role for one custom resource, assumed by the handler for that resource's API calls. Grant it exactly what the
   * resource needs, pass its ARN as the resource's `RoleArn` property, and make the resource depend on it (so the
   * role and its policy exist before the first call and are deleted only after the resource's Delete).
   *
   * The custom resource must be `scope`'s child `Resource`: the role's path ends with the resource's logical ID, and
   * the handler assumes a role only for the resource whose logical ID its path names (lambda/credentials.ts).
   */
  public newHandlerRole(scope: Construct, id: string, description: string): iam.Role {
    return new iam.Role(scope, id, {
      assumedBy: new iam.ArnPrincipal(this.role.roleArn),
      path: Lazy.string({ produce: () => `${this.handlerRolePath}${resourceLogicalId(scope)}/` }),
      description,
    });
  }
}

/** The logical ID (as rendered: overrides and renames applied) of the custom resource `scope` holds as `Resource`. */
function resourceLogicalId(scope: Construct): string {
  const child = scope.node.tryFindChild('Resource');
  const cfn = child instanceof CfnResource ? child : child?.node.defaultChild;
  if (!(cfn instanceof CfnResource)) throw new Error(`${scope.node.path} holds no custom resource 'Resource' for its handler role`);
  return Stack.of(scope).resolve(cfn.logicalId);
}
