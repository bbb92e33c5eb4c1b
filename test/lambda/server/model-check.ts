/**
 * The API models as a LocalServer check (ServerCheck): every request is validated against its operation's input
 * shape in the service's model (./service-model.ts) before any fault or route sees it, and every successful answer
 * against the output shape. LocalServer.start() installs one by default for Image Builder (rest-json), SSM (json) and
 * STS (query); Ec2Images installs one for EC2. A request that breaks the model is answered 400 with the error type
 * AWS uses for it (requestErrorType); an answer that breaks it is a bug in the fake: the check throws, the server
 * answers 500 and records it, and the test fails (local-server.ts FAKE_BUGS).
 *
 * Error answers are checked too: an operation answers only the errors its model declares (`errors`) or a common error
 * of its protocol (COMMON_ERRORS: authentication, serialization, throttling and validation failures that AWS answers
 * before any operation runs, which the models declare for no operation), and a modeled error's body holds the
 * members of its shape (Organizations' `Message` and InvalidInputException's `Reason`, Image Builder's `message`).
 * Image Builder's model leaves out errors its operations answer (UNDECLARED_ERRORS_ANSWERED): any of its exception
 * shapes is accepted there.
 * EC2's model declares no errors (its codes are listed in the EC2 API reference only): its answers are not checked.
 */
import type { ReceivedRequest, Reply, ServerCheck } from '../local-server';
import { ServiceError } from './service-error';
import { describeViolations, ModelViolation, Operation, ServiceModel } from './service-model';

/** The services a LocalServer plays by default. */
export const LOCAL_SERVER_SERVICES = ['imagebuilder', 'ssm', 'sts'] as const;

export class ModelCheck implements ServerCheck {
  private readonly models: ServiceModel[];

  constructor(services: readonly string[] = LOCAL_SERVER_SERVICES) {
    this.models = services.map((s) => ServiceModel.load(s));
  }

  /** The model of `service` this check uses (e.g. to extend it with a newer API version's members). */
  model(service: string): ServiceModel {
    const m = this.models.find((x) => x.service === service);
    if (!m) throw new Error(`This check does not know ${service}`);
    return m;
  }

  readonly request = (req: ReceivedRequest): void => {
    const found = this.find(req);
    if (!found) return; // not an operation of these models: routing answers it (404 UnknownOperationException)
    const violations = found.model.checkInput(found.op, req);
    if (violations.length > 0) throw requestError(found.model, found.op, violations);
  };

  readonly error = (req: ReceivedRequest, err: ServiceError): Record<string, unknown> | undefined => {
    const found = this.find(req);
    if (!found || found.model.protocol === 'ec2') return undefined;
    const { model, op } = found;
    const declared = model.declaredErrors(op);
    const undeclaredAllowed = UNDECLARED_ERRORS_ANSWERED.includes(model.service) && model.isErrorShape(err.type);
    if (!declared.includes(err.type) && !commonErrors(model).includes(err.type) && !undeclaredAllowed) {
      throw new Error(`The fake's ${model.service} ${op.name} answered ${err.type}, which the operation never answers: its errors are `
        + `${declared.join(', ') || 'none'}, and the protocol's common ones ${commonErrors(model).join(', ')}`);
    }
    if (!model.isErrorShape(err.type) || model.protocol === 'query') return undefined;
    // The message member as the shape spells it (Organizations: Message; Image Builder, SSM: message).
    const shape = model.errorShape(err.type)!;
    const members = { ...(model.hasMember(shape, 'Message') ? { Message: err.message } : { message: err.message }), ...err.fields };
    const violations = model.checkError(shape, members);
    if (violations.length > 0) {
      throw new Error(`The fake's ${model.service} ${op.name} answered ${err.type} outside its shape: ${describeViolations(violations)}`);
    }
    return members;
  };

  readonly response = (req: ReceivedRequest, reply: Reply): void => {
    const status = reply.status ?? 200;
    if (status < 200 || status >= 300 || reply.offModel !== undefined) return;
    const found = this.find(req);
    if (!found) return;
    const violations = found.model.checkOutput(found.op, reply.body);
    if (violations.length > 0) {
      throw new Error(`The fake's ${found.model.service} ${found.op.name} answer breaks the model: ${describeViolations(violations)}`);
    }
  };

  private find(req: ReceivedRequest): { model: ServiceModel; op: Operation } | undefined {
    const protocol = req.headers['x-amz-target'] !== undefined ? 'json'
      : /^application\/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? '')) ? ['query', 'ec2'] : 'rest-json';
    for (const model of this.models) {
      if (Array.isArray(protocol) ? !protocol.includes(model.protocol) : model.protocol !== protocol) continue;
      const op = model.operationOf(req);
      if (op) return { model, op };
    }
    return undefined;
  }
}

/**
 * The errors any operation of a protocol may answer though its model declares them for none: those of AWS's "Common
 * Errors" (authentication, signature, throttling, validation) and of the protocol's own framing (an unknown target, a
 * body that does not parse).
 */
const COMMON_ERRORS: Record<ServiceModel['protocol'], readonly string[]> = {
  'json': ['AccessDeniedException', 'ExpiredTokenException', 'IncompleteSignature', 'InternalFailure', 'InvalidSignatureException',
    'MissingAuthenticationTokenException', 'SerializationException', 'ServiceUnavailable', 'ThrottlingException',
    'UnknownOperationException', 'UnrecognizedClientException', 'ValidationException'],
  'rest-json': ['AccessDeniedException', 'ExpiredTokenException', 'IncompleteSignature', 'InternalFailure', 'InvalidSignatureException',
    'MissingAuthenticationTokenException', 'SerializationException', 'ServiceUnavailable', 'ThrottlingException',
    'UnknownOperationException', 'UnrecognizedClientException', 'ValidationException'],
  'query': ['AccessDenied', 'ExpiredToken', 'IncompleteSignature', 'InternalFailure', 'InvalidAction', 'InvalidClientTokenId',
    'InvalidParameterValue', 'MissingParameter', 'RequestExpired', 'ServiceUnavailable', 'SignatureDoesNotMatch', 'Throttling',
    'ValidationError'],
  'ec2': [],
};

/**
 * Services that declare their own error for what the common ones say: Organizations refuses invalid input with
 * InvalidInputException (and a Reason) and throttles with TooManyRequestsException, never ValidationException or
 * ThrottlingException.
 */
const NOT_COMMON: Record<string, readonly string[]> = {
  organizations: ['ValidationException', 'ThrottlingException'],
};

/**
 * Services whose models leave out errors their operations do answer: Image Builder declares ResourceNotFoundException
 * for none of GetImage, GetDistributionConfiguration and UpdateDistributionConfiguration, which answer it for an ARN
 * that does not exist. Their operations may answer any exception shape of the model (still in its shape).
 */
const UNDECLARED_ERRORS_ANSWERED: readonly string[] = ['imagebuilder'];

export function commonErrors(model: ServiceModel): string[] {
  return COMMON_ERRORS[model.protocol].filter((e) => !(NOT_COMMON[model.service] ?? []).includes(e));
}

/** Organizations' InvalidInputException Reason for each kind of violation (the model's InvalidInputExceptionReason). */
const ORGANIZATIONS_REASONS: Record<NonNullable<ModelViolation['rule']>, string> = {
  'enum': 'INVALID_ENUM',
  'pattern': 'INVALID_PATTERN',
  'min-length': 'MIN_LENGTH_EXCEEDED',
  'max-length': 'MAX_LENGTH_EXCEEDED',
  'min-value': 'MIN_VALUE_EXCEEDED',
  'max-value': 'MAX_VALUE_EXCEEDED',
  'range': 'MAX_VALUE_EXCEEDED',
};

/**
 * The error AWS answers a request that breaks the model with. Organizations: InvalidInputException with the Reason of
 * the first violation (INPUT_REQUIRED for a missing member), SerializationException for a member of the wrong type or
 * one the operation does not take (the JSON does not deserialize into the input).
 */
export function requestError(model: ServiceModel, op: Operation, violations: readonly ModelViolation[]): ServiceError {
  const message = describeViolations(violations);
  if (model.service === 'organizations') {
    const [first] = violations;
    if (first.kind === 'type' || first.kind === 'unknown') return new ServiceError(400, 'SerializationException', message);
    const reason = first.kind === 'missing' ? 'INPUT_REQUIRED' : ORGANIZATIONS_REASONS[first.rule ?? 'pattern'];
    return new ServiceError(400, 'InvalidInputException', message, { Reason: reason });
  }
  return new ServiceError(400, requestErrorType(model, op, violations), message);
}

/**
 * The error type AWS answers a request that breaks the model with: for rest-json services the first of
 * InvalidRequestException, ClientException and ValidationException the operation declares; SSM (json) answers
 * ValidationException and STS (query) ValidationError, neither declared per operation (common errors of the
 * protocol); EC2 MissingParameter, UnknownParameter or InvalidParameterValue by the first violation.
 */
export function requestErrorType(model: ServiceModel, op: Operation, violations: readonly ModelViolation[]): string {
  switch (model.protocol) {
    case 'rest-json': {
      const declared = model.declaredErrors(op);
      return ['InvalidRequestException', 'ClientException', 'ValidationException'].find((e) => declared.includes(e)) ?? 'ValidationException';
    }
    case 'json':
      return 'ValidationException';
    case 'query':
      return 'ValidationError';
    case 'ec2':
      return violations[0].kind === 'missing' ? 'MissingParameter' : violations[0].kind === 'unknown' ? 'UnknownParameter' : 'InvalidParameterValue';
  }
}
