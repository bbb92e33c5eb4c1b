/**
 * A validator over botocore service models (../shared/reference/*.service-2.json), read at test time: the fakes check
 * every request they receive, and every answer they give, against the operation's input and output shapes, so that no
 * test passes with a request AWS would reject or an answer AWS would never give. Usage:
 *   const model = ServiceModel.load('imagebuilder');
 *   const op = model.operationOf(req);                     // by protocol: path, X-Amz-Target or Action
 *   model.checkInput(op, req);                             // ModelViolation[]: required, types, enums, lengths,
 *                                                          // sizes, ranges, patterns, unknown members
 *   model.checkOutput(op, reply.body);                     // the same over the answer (JSON, or the XML string)
 *
 * Protocols: rest-json (members in the querystring, headers, URI and JSON body), json (body), query (form parameters,
 * `Name.member.N` lists, `Name.entry.N.key` maps; XML answers inside `<OpResult>`), ec2 (form parameters named by
 * queryName/locationName, every list flattened `Name.N`; XML answers, lists of `<item>`).
 *
 * Patterns are Java regular expressions; JavaScript reads most of them with the `u` flag. Translated: `\uXXXXX`
 * (five or six hex digits, a code point beyond the BMP, which Java reads whole and JavaScript as `\uXXXX` then a digit)
 * becomes `\u{XXXXX}`; `\s` becomes Java's ASCII whitespace `[ \t\n\x0B\f\r]`, since JavaScript's also matches Unicode
 * spaces; `\-` and other escaped punctuation outside character classes (an error in JavaScript's u mode) lose the
 * backslash. A pattern must match the whole value, as the services' Java validation applies it (Pattern.matches, not
 * Smithy's find), so `[\w+=,.@-]*` refuses a space. Lengths count code points.
 *
 * A newer API version adds members: `extensions` (shape name -> member names) makes members of any JSON value
 * known where they are declared, and only there (server/imagebuilder.ts FUTURE_FIELDS).
 */
import { readdirSync, readFileSync } from 'fs';
import { join as joinPath, resolve as resolvePath } from 'path';

/** Where the models are: $SERVICE_MODELS_DIR, or the ../shared/reference next to the repository. */
export const MODELS_DIR = process.env.SERVICE_MODELS_DIR ?? resolvePath(__dirname, '../../../../shared/reference');

export type Protocol = 'rest-json' | 'json' | 'query' | 'ec2';

interface MemberRef {
  readonly shape: string;
  readonly location?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';
  readonly locationName?: string;
  readonly queryName?: string;
  readonly timestampFormat?: string;
  readonly flattened?: boolean;
  readonly idempotencyToken?: boolean;
}

export interface Shape {
  readonly type: string;
  readonly members?: Record<string, MemberRef>;
  readonly required?: string[];
  readonly member?: MemberRef;
  readonly key?: MemberRef;
  readonly value?: MemberRef;
  readonly enum?: string[];
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly flattened?: boolean;
  readonly timestampFormat?: string;
  /** An exception shape, with its wire code where the protocol has one (STS: awsQueryError codes). */
  readonly exception?: boolean;
  readonly error?: { readonly code?: string; readonly httpStatusCode?: number };
  readonly sensitive?: boolean;
  readonly document?: boolean;
}

export interface Operation {
  readonly name: string;
  readonly http: { readonly method: string; readonly requestUri: string };
  readonly input?: { readonly shape: string };
  readonly output?: { readonly shape: string; readonly resultWrapper?: string };
  readonly errors?: { readonly shape: string }[];
}

interface ModelFile {
  readonly metadata: { protocol: Protocol; targetPrefix?: string; apiVersion: string; endpointPrefix: string; timestampFormat?: string };
  readonly operations: Record<string, Operation>;
  readonly shapes: Record<string, Shape>;
}

/** What a request or answer must look like to be checked: LocalServer's ReceivedRequest fits. */
export interface WireRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or for form-encoded requests the form's parameters. */
  readonly body: any;
}

export interface ModelViolation {
  /** Where, as AWS names it in validation errors: members joined with '.', list items with their index. */
  readonly path: string;
  readonly kind: 'missing' | 'unknown' | 'type' | 'constraint';
  /** Which constraint a 'constraint' violation breaks. */
  readonly rule?: 'enum' | 'pattern' | 'min-length' | 'max-length' | 'min-value' | 'max-value' | 'range';
  readonly message: string;
}

/** The member a newer API version adds, typed as any JSON value. */
const DOCUMENT: Shape = { type: 'structure', document: true };

const cache = new Map<string, ModelFile>();
const patterns = new Map<string, RegExp>();

/** A Java pattern as a JavaScript RegExp (see the file's comment for what is translated). */
export function javaPattern(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) {
    // Whole-value match, as the services' Java validation applies it (Pattern.matches): STS refuses a RoleSessionName
    // with a space citing `[\w+=,.@-]*`, which any value would satisfy somewhere.
    re = new RegExp(`^(?:${translateJavaPattern(pattern)})$`, 'u');
    patterns.set(pattern, re);
  }
  return re;
}

const JAVA_WHITESPACE = ' \\t\\n\\x0B\\f\\r';
const SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);

/** Walks the pattern escape by escape, inside and outside character classes. */
export function translateJavaPattern(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c !== '\\') {
      if (c === '[' && !inClass) inClass = true;
      else if (c === ']' && inClass) inClass = false;
      out += c;
      continue;
    }
    const next = pattern[++i];
    const hex = /^u([0-9A-Fa-f]{4,6})/.exec(pattern.slice(i));
    if (hex && hex[1].length > 4) {
      out += `\\u{${hex[1]}}`; // Java reads \u10000 as one code point, JavaScript as \u1000 then '0'
      i += hex[0].length - 1;
    } else if (next === 's') {
      out += inClass ? JAVA_WHITESPACE : `[${JAVA_WHITESPACE}]`; // Java's \s is ASCII whitespace only
    } else if (/[0-9A-Za-z]/.test(next) || SYNTAX.has(next) || (inClass && next === '-')) {
      out += `\\${next}`;
    } else {
      out += next; // Java allows escaping any punctuation; JavaScript's u mode only syntax characters
    }
  }
  return out;
}

export class ServiceModel {
  /** The model of `service` (the file name's prefix: imagebuilder, ssm, sts, ec2, organizations). */
  static load(service: string): ServiceModel {
    let file = cache.get(service);
    if (!file) {
      const name = readdirSync(MODELS_DIR).find((f) => f.startsWith(`${service}-`) && f.endsWith('.service-2.json'));
      if (!name) throw new Error(`No ${service}-*.service-2.json in ${MODELS_DIR}`);
      file = JSON.parse(readFileSync(joinPath(MODELS_DIR, name), 'utf8')) as ModelFile;
      cache.set(service, file);
    }
    return new ServiceModel(service, file);
  }

  private readonly extensions = new Map<string, Set<string>>();

  private constructor(readonly service: string, private readonly file: ModelFile) {}

  get protocol(): Protocol {
    return this.file.metadata.protocol;
  }
  get targetPrefix(): string | undefined {
    return this.file.metadata.targetPrefix;
  }
  get apiVersion(): string {
    return this.file.metadata.apiVersion;
  }
  get operations(): Record<string, Operation> {
    return this.file.operations;
  }

  /** The shape named `name` (its constraints, for tests that name one). */
  shapeOf(name: string): Readonly<Shape> {
    return this.shape(name);
  }

  /** Members of any JSON value that a newer API version adds to `shape`. */
  extend(shape: string, ...members: string[]): this {
    if (!this.file.shapes[shape]?.members) throw new Error(`${this.service} has no structure ${shape}`);
    const known = this.extensions.get(shape) ?? new Set<string>();
    for (const m of members) known.add(m);
    this.extensions.set(shape, known);
    return this;
  }

  /** The operation a request calls, as this protocol routes it; undefined when the model has none such. */
  operationOf(req: WireRequest): Operation | undefined {
    switch (this.protocol) {
      case 'rest-json':
        return Object.values(this.operations).find((o) => o.http.method === req.method && uriMatches(o.http.requestUri, req.path));
      case 'json': {
        const target = String(req.headers['x-amz-target'] ?? '');
        const [prefix, name] = target.split('.');
        return prefix === this.targetPrefix ? this.operations[name] : undefined;
      }
      default:
        return this.operations[String(req.body?.Action ?? '')];
    }
  }

  /**
   * The error codes this operation declares (its `errors`), as they appear on the wire: a shape's `error.code` where
   * the model gives one (STS: shape MalformedPolicyDocumentException, code MalformedPolicyDocument), else its name.
   */
  declaredErrors(op: Operation): string[] {
    return (op.errors ?? []).map((e) => this.file.shapes[e.shape]?.error?.code ?? e.shape);
  }

  /** Whether structure `shape` has a member `member`. */
  hasMember(shape: string, member: string): boolean {
    return this.file.shapes[shape]?.members?.[member] !== undefined;
  }

  /** The exception shape whose wire code (or, without one, name) is `code`. */
  errorShape(code: string): string | undefined {
    return Object.entries(this.file.shapes).find(([name, s]) => s.exception === true && (s.error?.code ?? name) === code)?.[0];
  }

  /** Whether the model has an exception shape answered as `code`. */
  isErrorShape(code: string): boolean {
    return this.errorShape(code) !== undefined;
  }

  /** Violations of the error shape `type` by the members of an error answer's body (JSON protocols). */
  checkError(type: string, members: Record<string, unknown>): ModelViolation[] {
    const out: ModelViolation[] = [];
    this.validate(members, type, '', out, 'unixTimestamp');
    return out;
  }

  /** Violations of the operation's input shape by a request. */
  checkInput(op: Operation, req: WireRequest): ModelViolation[] {
    const out: ModelViolation[] = [];
    if (!op.input) return out;
    const shape = this.shape(op.input.shape);
    switch (this.protocol) {
      case 'rest-json':
      case 'json':
        this.checkRestJsonInput(op, shape, req, out);
        break;
      case 'query':
      case 'ec2': {
        const params: Record<string, string> = { ...req.body };
        for (const k of ['Action', 'Version']) {
          if (params[k] === undefined) out.push({ path: k, kind: 'missing', message: 'is required' });
          delete params[k];
        }
        if (req.body?.Version !== undefined && req.body.Version !== this.apiVersion) {
          out.push({ path: 'Version', kind: 'constraint', message: `${req.body.Version} is not ${this.apiVersion}` });
        }
        const consumed = new Set<string>();
        const value = this.fromForm(params, op.input.shape, '', consumed);
        for (const k of Object.keys(params)) if (!consumed.has(k)) out.push({ path: k, kind: 'unknown', message: 'is not a parameter of the operation' });
        this.validate(value ?? {}, op.input.shape, '', out, 'iso8601');
        break;
      }
    }
    return out;
  }

  /** Violations of the operation's output shape by a successful answer (a JSON value, or the XML text). */
  checkOutput(op: Operation, body: unknown): ModelViolation[] {
    const out: ModelViolation[] = [];
    if (this.protocol === 'rest-json' || this.protocol === 'json') {
      if (!op.output) return out;
      const shape = this.shape(op.output.shape);
      const payload = body ?? {};
      // Members bound to headers or the status code are not in the body.
      const bodyMembers = Object.entries(shape.members ?? {}).filter(([, m]) => m.location === undefined);
      const required = (shape.required ?? []).filter((r) => bodyMembers.some(([n]) => n === r));
      const bodyShape: Shape = { ...shape, members: Object.fromEntries(bodyMembers), required };
      this.validateWith(payload, bodyShape, op.output.shape, '', out, 'unixTimestamp');
      return out;
    }
    if (typeof body !== 'string') return [{ path: '', kind: 'type', message: `expected an XML document, got ${typeof body}` }];
    let root: XmlElement;
    try {
      root = parseXml(body);
    } catch (err) {
      return [{ path: '', kind: 'type', message: (err as Error).message }];
    }
    const expectedRoot = `${op.name}Response`;
    if (root.name !== expectedRoot) return [{ path: '', kind: 'constraint', message: `root element is <${root.name}>, expected <${expectedRoot}>` }];
    let container = root;
    const allowed = new Set<string>();
    if (this.protocol === 'query') {
      allowed.add('ResponseMetadata');
      if (op.output?.resultWrapper) {
        allowed.add(op.output.resultWrapper);
        const wrapper = root.children.filter((c) => c.name === op.output!.resultWrapper);
        if (wrapper.length !== 1) return [{ path: '', kind: 'missing', message: `expected one <${op.output.resultWrapper}>` }];
        for (const c of root.children) if (!allowed.has(c.name)) out.push({ path: c.name, kind: 'unknown', message: 'is not part of the answer' });
        container = wrapper[0];
      }
    } else {
      container = { ...root, children: root.children.filter((c) => c.name !== 'requestId') };
    }
    if (!op.output) {
      for (const c of container.children) if (!allowed.has(c.name)) out.push({ path: c.name, kind: 'unknown', message: 'the operation has no output' });
      return out;
    }
    const value = this.fromXml(container, op.output.shape, '', out);
    this.validate(value, op.output.shape, '', out, 'iso8601');
    return out;
  }

  // ---- input decoding -----------------------------------------------------------------------------------------

  private checkRestJsonInput(op: Operation, shape: Shape, req: WireRequest, out: ModelViolation[]): void {
    const input: Record<string, unknown> = {};
    const bodyMembers: Record<string, MemberRef> = {};
    const queryNames = new Set<string>();
    const labels = this.protocol === 'rest-json' ? uriLabels(op.http.requestUri, req.path) : {};
    for (const [name, m] of Object.entries(shape.members ?? {})) {
      const wire = m.locationName ?? name;
      if (m.location === 'querystring') {
        queryNames.add(wire);
        const v = req.query[wire];
        // A list is the repeated parameter; LocalServer keeps one value of each (the calls we fake repeat none).
        const list = this.shape(m.shape).type === 'list' ? this.shape(m.shape).member!.shape : undefined;
        if (v !== undefined) input[name] = list ? [this.fromText(v, list, 'iso8601')] : this.fromText(v, m.shape, 'iso8601');
      } else if (m.location === 'header') {
        const v = req.headers[wire.toLowerCase()];
        if (v !== undefined) input[name] = this.fromText(String(v), m.shape, 'iso8601');
      } else if (m.location === 'uri') {
        if (labels[wire] !== undefined) input[name] = this.fromText(labels[wire], m.shape, 'iso8601');
      } else if (m.location === undefined) {
        bodyMembers[wire] = m;
      }
    }
    for (const k of Object.keys(req.query)) if (!queryNames.has(k)) out.push({ path: k, kind: 'unknown', message: 'is not a querystring parameter of the operation' });
    const body = req.body;
    if (Object.keys(bodyMembers).length === 0) {
      if (body !== undefined && !(isObject(body) && Object.keys(body).length === 0)) {
        out.push({ path: '', kind: 'unknown', message: 'the operation takes no body' });
      }
    } else if (body !== undefined && !isObject(body)) {
      out.push({ path: '', kind: 'type', message: 'the body must be a JSON object' });
    } else {
      for (const [k, v] of Object.entries(body ?? {})) {
        if (bodyMembers[k]) input[Object.keys(shape.members!).find((n) => (shape.members![n].locationName ?? n) === k)!] = v;
        else input[k] = v; // reported as unknown by validate
      }
    }
    this.validate(input, op.input!.shape, '', out, 'unixTimestamp');
  }

  /** A form's parameters under `prefix` as the value of `shapeName`; the parameters read go to `consumed`. */
  private fromForm(params: Record<string, string>, shapeName: string, prefix: string, consumed: Set<string>): unknown {
    const shape = this.shape(shapeName);
    const under = (p: string) => Object.keys(params).some((k) => k === p || k.startsWith(`${p}.`));
    const join = (a: string, b: string) => (a ? `${a}.${b}` : b);
    switch (shape.type) {
      case 'structure': {
        const out: Record<string, unknown> = {};
        for (const [name, m] of Object.entries(shape.members ?? {})) {
          const key = join(prefix, this.protocol === 'ec2' ? (m.queryName ?? (m.locationName ? capitalize(m.locationName) : name)) : (m.locationName ?? name));
          if (under(key)) out[name] = this.fromForm(params, m.shape, key, consumed);
        }
        return out;
      }
      case 'list': {
        if (params[prefix] === '' && !Object.keys(params).some((k) => k.startsWith(`${prefix}.`))) {
          consumed.add(prefix);
          return [];
        }
        const flat = this.protocol === 'ec2' || shape.flattened;
        const base = flat ? prefix : `${prefix}.${shape.member!.locationName ?? 'member'}`;
        const items: unknown[] = [];
        for (let i = 1; under(`${base}.${i}`); i++) items.push(this.fromForm(params, shape.member!.shape, `${base}.${i}`, consumed));
        return items;
      }
      case 'map': {
        const base = shape.flattened ? prefix : `${prefix}.entry`;
        const out: Record<string, unknown> = {};
        for (let i = 1; under(`${base}.${i}`); i++) {
          const k = this.fromForm(params, shape.key!.shape, `${base}.${i}.${shape.key!.locationName ?? 'key'}`, consumed);
          out[String(k)] = this.fromForm(params, shape.value!.shape, `${base}.${i}.${shape.value!.locationName ?? 'value'}`, consumed);
        }
        return out;
      }
      default:
        if (params[prefix] === undefined) return undefined;
        consumed.add(prefix);
        return this.fromText(params[prefix], shapeName, 'iso8601');
    }
  }

  /** A scalar from its text form; text that is not of the type stays a string, which validate reports. */
  private fromText(text: string, shapeName: string, timestamps: string): unknown {
    const shape = this.shape(shapeName);
    switch (shape.type) {
      case 'integer':
      case 'long':
        return /^-?\d+$/.test(text) ? Number(text) : text;
      case 'float':
      case 'double':
        return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
      case 'boolean':
        return text === 'true' ? true : text === 'false' ? false : text;
      case 'timestamp':
        if (timestamps === 'unixTimestamp' && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
        return text;
      default:
        return text;
    }
  }

  /** An XML element as the value of `shapeName`. */
  private fromXml(el: XmlElement, shapeName: string, path: string, out: ModelViolation[]): unknown {
    const shape = this.shape(shapeName);
    switch (shape.type) {
      case 'structure': {
        const value: Record<string, unknown> = {};
        const byName = new Map(Object.entries(shape.members ?? {}).map(([n, m]) => [m.locationName ?? n, n] as const));
        for (const c of el.children) {
          const member = byName.get(c.name);
          if (member === undefined) {
            out.push({ path: join(path, c.name), kind: 'unknown', message: `is not a member of ${shapeName}` });
            continue;
          }
          const m = shape.members![member];
          const target = this.shape(m.shape);
          if ((target.type === 'list' || target.type === 'map') && (target.flattened || m.flattened)) {
            throw new Error(`flattened ${target.type} ${m.shape} in an answer is not supported`);
          }
          if (value[member] !== undefined) out.push({ path: join(path, member), kind: 'constraint', message: 'appears twice' });
          value[member] = this.fromXml(c, m.shape, join(path, member), out);
        }
        return value;
      }
      case 'list': {
        const itemName = shape.member!.locationName ?? 'member';
        return el.children.map((c, i) => {
          if (c.name !== itemName) out.push({ path: join(path, String(i + 1)), kind: 'unknown', message: `<${c.name}> in a list of <${itemName}>` });
          return this.fromXml(c, shape.member!.shape, join(path, String(i + 1)), out);
        });
      }
      case 'map': {
        const value: Record<string, unknown> = {};
        for (const entry of el.children) {
          const k = entry.children.find((c) => c.name === (shape.key!.locationName ?? 'key'));
          const v = entry.children.find((c) => c.name === (shape.value!.locationName ?? 'value'));
          if (entry.name !== 'entry' || !k || !v) {
            out.push({ path, kind: 'type', message: 'a map entry needs <entry><key/><value/></entry>' });
            continue;
          }
          value[k.text] = this.fromXml(v, shape.value!.shape, join(path, k.text), out);
        }
        return value;
      }
      default:
        if (el.children.length > 0) out.push({ path, kind: 'type', message: `expected text, got <${el.children[0].name}>` });
        return this.fromText(el.text, shapeName, 'iso8601');
    }
  }

  // ---- validation ---------------------------------------------------------------------------------------------

  private shape(name: string): Shape {
    const s = this.file.shapes[name];
    if (!s) throw new Error(`${this.service} has no shape ${name}`);
    return s;
  }

  private validate(value: unknown, shapeName: string, path: string, out: ModelViolation[], timestamps: string): void {
    this.validateWith(value, this.shape(shapeName), shapeName, path, out, timestamps);
  }

  private validateWith(value: unknown, shape: Shape, shapeName: string, path: string, out: ModelViolation[], timestamps: string): void {
    const fail = (kind: ModelViolation['kind'], message: string, rule?: ModelViolation['rule']) => out.push({ path, kind, message, ...(rule ? { rule } : {}) });
    if (shape.document) return;
    switch (shape.type) {
      case 'structure': {
        if (!isObject(value)) return void fail('type', `expected an object (${shapeName}), got ${describe(value)}`);
        const members = shape.members ?? {};
        const extra = this.extensions.get(shapeName);
        for (const r of shape.required ?? []) {
          if (value[r] === undefined || value[r] === null) out.push({ path: join(path, r), kind: 'missing', message: 'Member must not be null' });
        }
        for (const [k, v] of Object.entries(value)) {
          if (v === null || v === undefined) continue; // AWS JSON: a null member is an absent one
          if (members[k]) this.validate(v, members[k].shape, join(path, k), out, members[k].timestampFormat ?? timestamps);
          else if (extra?.has(k)) this.validateWith(v, DOCUMENT, 'Document', join(path, k), out, timestamps);
          else out.push({ path: join(path, k), kind: 'unknown', message: `is not a member of ${shapeName}` });
        }
        return;
      }
      case 'list': {
        if (!Array.isArray(value)) return void fail('type', `expected a list (${shapeName}), got ${describe(value)}`);
        size(value.length, shape, fail);
        value.forEach((v, i) => {
          if (v === null || v === undefined) out.push({ path: join(path, String(i + 1)), kind: 'type', message: 'a list item must not be null' });
          else this.validate(v, shape.member!.shape, join(path, String(i + 1)), out, timestamps);
        });
        return;
      }
      case 'map': {
        if (!isObject(value)) return void fail('type', `expected a map (${shapeName}), got ${describe(value)}`);
        size(Object.keys(value).length, shape, fail);
        for (const [k, v] of Object.entries(value)) {
          this.validate(k, shape.key!.shape, join(path, `key(${k})`), out, timestamps);
          if (v === null || v === undefined) out.push({ path: join(path, k), kind: 'type', message: 'a map value must not be null' });
          else this.validate(v, shape.value!.shape, join(path, k), out, timestamps);
        }
        return;
      }
      case 'string': {
        if (typeof value !== 'string') return void fail('type', `expected a string (${shapeName}), got ${describe(value)}`);
        const shown = shape.sensitive ? '***' : JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
        const length = [...value].length;
        if (shape.min !== undefined && length < shape.min) fail('constraint', `Value ${shown} must have length greater than or equal to ${shape.min}`, 'min-length');
        if (shape.max !== undefined && length > shape.max) fail('constraint', `Value ${shown} must have length less than or equal to ${shape.max}`, 'max-length');
        if (shape.enum && !shape.enum.includes(value)) fail('constraint', `Value ${shown} must satisfy enum value set: [${shape.enum.join(', ')}]`, 'enum');
        if (shape.pattern !== undefined && !javaPattern(shape.pattern).test(value)) {
          fail('constraint', `Value ${shown} must satisfy regular expression pattern: ${shape.pattern}`, 'pattern');
        }
        return;
      }
      case 'integer':
      case 'long':
        if (typeof value !== 'number' || !Number.isInteger(value)) return void fail('type', `expected an integer (${shapeName}), got ${describe(value)}`);
        if (shape.type === 'integer' && (value < -(2 ** 31) || value >= 2 ** 31)) fail('constraint', `Value ${value} is not a 32-bit integer`, 'range');
        if (shape.min !== undefined && value < shape.min) fail('constraint', `Value ${value} must be greater than or equal to ${shape.min}`, 'min-value');
        if (shape.max !== undefined && value > shape.max) fail('constraint', `Value ${value} must be less than or equal to ${shape.max}`, 'max-value');
        return;
      case 'float':
      case 'double':
        if (typeof value !== 'number') return void fail('type', `expected a number (${shapeName}), got ${describe(value)}`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') return void fail('type', `expected a boolean (${shapeName}), got ${describe(value)}`);
        return;
      case 'timestamp': {
        const format = shape.timestampFormat ?? timestamps;
        if (format === 'unixTimestamp') {
          if (typeof value !== 'number') fail('type', `expected epoch seconds (${shapeName}), got ${describe(value)}`);
        } else if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
          fail('type', `expected an ISO 8601 date-time (${shapeName}), got ${describe(value)}`);
        }
        return;
      }
      case 'blob':
        if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) fail('type', `expected base64 (${shapeName}), got ${describe(value)}`);
        return;
      default:
        throw new Error(`${this.service}: shape type ${shape.type} of ${shapeName} is not supported`);
    }
  }
}

/** Violations as AWS words validation errors: "2 validation errors detected: Value ... at 'a.b' failed ...; ...". */
export function describeViolations(violations: readonly ModelViolation[]): string {
  const n = violations.length;
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${violations.map((v) => `'${v.path || '(input)'}' ${v.message}`).join('; ')}`;
}

function size(length: number, shape: Shape, fail: (kind: ModelViolation['kind'], message: string, rule?: ModelViolation['rule']) => void): void {
  if (shape.min !== undefined && length < shape.min) fail('constraint', `Member must have length greater than or equal to ${shape.min} (has ${length})`, 'min-length');
  if (shape.max !== undefined && length > shape.max) fail('constraint', `Member must have length less than or equal to ${shape.max} (has ${length})`, 'max-length');
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (a: string, b: string) => (a ? `${a}.${b}` : b);
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : `${typeof v} ${JSON.stringify(v)?.slice(0, 60)}`);

/** `/Tags/{resourceArn}` against a path: the labels' values, or undefined when it does not match. */
function uriLabels(template: string, path: string): Record<string, string> {
  return matchUri(template, path) ?? {};
}

function uriMatches(template: string, path: string): boolean {
  return matchUri(template, path) !== undefined;
}

function matchUri(template: string, path: string): Record<string, string> | undefined {
  const [tpath] = template.split('?');
  const names: string[] = [];
  const re = new RegExp(`^${tpath.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)(\+?)\\?\}/g, (_m, name: string, greedy: string) => {
    names.push(name);
    return greedy ? '(.+)' : '([^/]+)';
  })}$`);
  const m = re.exec(path);
  if (!m) return undefined;
  return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
}

// ---- a small XML reader (the fakes' answers: elements, text, entities, CDATA) --------------------------------------

export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  text: string;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' };

/** The document's root element; throws on malformed XML. */
export function parseXml(xml: string): XmlElement {
  const doc: XmlElement = { name: '#document', children: [], text: '' };
  const stack = [doc];
  const token = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<(\/?)([A-Za-z_][\w.:-]*)(?:\s+[^>]*?)?(\/?)>|([^<]+)|(<)/g;
  for (let m; (m = token.exec(xml));) {
    const top = stack[stack.length - 1];
    if (m[6]) throw new Error(`Malformed XML at ${m.index}`);
    if (m[5] !== undefined) {
      top.text += m[5].replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, e: string) =>
        e[0] === '#' ? String.fromCodePoint(e[1].toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : XML_ENTITIES[e] ?? all);
    } else if (m[1] !== undefined) {
      top.text += m[1];
    } else if (m[3]) {
      if (m[2]) {
        const name = m[3].replace(/^\w+:/, '');
        if (stack.length < 2 || top.name !== name) throw new Error(`Malformed XML: </${name}> closes <${top.name}>`);
        stack.pop();
      } else {
        const el: XmlElement = { name: m[3].replace(/^\w+:/, ''), children: [], text: '' };
        top.children.push(el);
        if (!m[4]) stack.push(el);
      }
    }
  }
  if (stack.length > 1) throw new Error(`Malformed XML: <${stack[stack.length - 1].name}> is not closed`);
  const roots = doc.children;
  if (roots.length !== 1) throw new Error(`XML with ${roots.length} root elements`);
  for (const el of walk(roots[0])) if (el.children.length > 0) el.text = el.text.trim() === '' ? '' : el.text;
  return roots[0];
}

function* walk(el: XmlElement): Generator<XmlElement> {
  yield el;
  for (const c of el.children) yield* walk(c);
}
