/**
 * The API models as a LocalServer check (ServerCheck): every request is validated against its operation's input
 * shape in the service's model (./service-model.ts) before any fault or route sees it, and every successful answer
 * against the output shape. LocalServer.start() installs one by default for Image Builder (rest-json), SSM (json) and
 * STS (query); Ec2Images installs one for EC2. A request that breaks the model is answered 400 with the error type
 * AWS uses for it (requestErrorType); an answer that breaks it is a bug in the fake: the check throws, the server
 * answers 500 and records it, and the test fails (local-server.ts FAKE_BUGS).
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
    if (violations.length > 0) {
      throw new ServiceError(400, requestErrorType(found.model, found.op, violations), describeViolations(violations));
    }
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
