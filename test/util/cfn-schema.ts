/**
 * Validates CloudFormation templates against the CloudFormation resource schemas shipped by the npm package
 * `@aws-cdk/aws-service-spec` (its `db.json.gz` is built from the CloudFormation registry schemas of every resource
 * type, the same model aws-cdk-lib's L1 classes are generated from).
 *
 * What is checked, for every resource in `Resources`:
 * - the resource type exists (`AWS::CDK::Metadata` is skipped; `Custom::*` and `AWS::CloudFormation::CustomResource`
 *   only need a `ServiceToken`);
 * - only CloudFormation's resource attributes appear beside `Type` (`Properties`, `DependsOn`, `Condition`...);
 * - every property name is known to the schema, required properties are present, primitive types match
 *   (string, number, integer, boolean, timestamp), lists are lists, maps are maps, enumerations hold allowed values,
 *   nested property types are checked recursively;
 * - CloudFormation intrinsics (`Ref`, `Fn::*`, `Condition`) are accepted wherever a value goes; `Fn::If` branches are
 *   checked against the expected type; `Ref`, `Fn::GetAtt`, `Fn::Sub` and `DependsOn` must name a resource,
 *   parameter or pseudo parameter of the template, and `Fn::GetAtt` must name an attribute the schema declares.
 *
 * The property types are the *current* registry types. In particular aws-cdk-lib types
 * `AWS::ImageBuilder::DistributionConfiguration.Distribution.AmiDistributionConfiguration` (and
 * `ContainerDistributionConfiguration`) as `any` and copies them verbatim (the service spec records `json` under
 * `previousTypes`), while the registry schema defines their inner shape (`AmiTags`, `TargetAccountIds`,
 * `LaunchPermissionConfiguration`...): a camelCase key there is caught here although aws-cdk-lib accepts it.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import { gunzipSync } from 'zlib';

/** A property type as the service spec encodes it. */
export interface SpecType {
  readonly type: string;
  readonly element?: SpecType;
  readonly types?: SpecType[];
  readonly reference?: { readonly $ref: string };
  readonly allowedValues?: string[];
}

/** One property of a resource or of a property type. */
export interface SpecProperty {
  readonly type: SpecType;
  readonly required?: boolean;
}

/** The compact index this module validates against. */
export interface SchemaIndex {
  /** Version of @aws-cdk/aws-service-spec the index was built from. */
  readonly version: string;
  /** CloudFormation type name -> its properties and attribute names. */
  readonly resources: Record<string, { readonly props: Record<string, SpecProperty>; readonly attrs: string[] }>;
  /** Property type id -> its name and properties. */
  readonly types: Record<string, { readonly name: string; readonly props: Record<string, SpecProperty> }>;
}

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region',
  'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix',
]);

/** Attributes CloudFormation allows beside `Type` on a resource. */
const RESOURCE_KEYS = new Set([
  'Type', 'Properties', 'DependsOn', 'Condition', 'Metadata', 'DeletionPolicy', 'UpdateReplacePolicy',
  'UpdatePolicy', 'CreationPolicy',
]);

const INTRINSICS = new Set([
  'Ref', 'Condition', 'Fn::GetAtt', 'Fn::Join', 'Fn::Sub', 'Fn::Select', 'Fn::If', 'Fn::ImportValue', 'Fn::Split',
  'Fn::GetAZs', 'Fn::FindInMap', 'Fn::Base64', 'Fn::Cidr', 'Fn::Length', 'Fn::ToJsonString', 'Fn::Transform',
  'Fn::Equals', 'Fn::And', 'Fn::Or', 'Fn::Not', 'Fn::ForEach', 'Fn::GetStackOutput',
]);

const SPEC_PACKAGE_DIR = path.dirname(require.resolve('@aws-cdk/aws-service-spec/package.json'));

let cachedIndex: SchemaIndex | undefined;

/** Where the compact index is cached between processes (keyed by the service-spec version). */
export function schemaCachePath(version: string): string {
  const root = path.resolve(__dirname, '..', '..', 'node_modules', '.cache', 'cfn-schema');
  return path.join(root, `aws-service-spec-${version}.json`);
}

/** Builds the compact index straight from `@aws-cdk/aws-service-spec/db.json.gz` (about 0.5 s). */
export function buildSchemaIndex(): SchemaIndex {
  const version: string = JSON.parse(readFileSync(path.join(SPEC_PACKAGE_DIR, 'package.json'), 'utf-8')).version;
  const db = JSON.parse(gunzipSync(readFileSync(path.join(SPEC_PACKAGE_DIR, 'db.json.gz'))).toString('utf-8'));
  const strip = (props: Record<string, any> | undefined): Record<string, SpecProperty> => {
    const out: Record<string, SpecProperty> = {};
    for (const [name, p] of Object.entries(props ?? {})) {
      out[name] = p.required ? { type: p.type, required: true } : { type: p.type };
    }
    return out;
  };
  const resources: Record<string, { props: Record<string, SpecProperty>; attrs: string[] }> = {};
  for (const r of db.schema.resource.entities) {
    resources[r.cloudFormationType] = { props: strip(r.properties), attrs: Object.keys(r.attributes ?? {}) };
  }
  const types: Record<string, { name: string; props: Record<string, SpecProperty> }> = {};
  for (const t of db.schema.typeDefinition.entities) {
    types[t.$id] = { name: t.name, props: strip(t.properties) };
  }
  return { version, resources, types };
}

/**
 * The schema index, loaded once per process (per jest test file, since jest gives each file its own module registry).
 * The first process to need it writes a compact copy (no documentation) under node_modules/.cache, which later
 * processes parse instead of the 2.6 MB gzip database.
 */
export function loadSchemaIndex(): SchemaIndex {
  if (cachedIndex) return cachedIndex;
  const version: string = JSON.parse(readFileSync(path.join(SPEC_PACKAGE_DIR, 'package.json'), 'utf-8')).version;
  const cacheFile = schemaCachePath(version);
  if (existsSync(cacheFile)) {
    try {
      // Node's own require (not jest's per-test-file registry) parses the JSON once per process, i.e. once per jest
      // worker; jest hands the real `module` builtin through. Nothing mutates the index.
      cachedIndex = createRequire(__filename)(cacheFile) as SchemaIndex;
      if (cachedIndex.version === version && cachedIndex.resources['AWS::ImageBuilder::DistributionConfiguration']) {
        return cachedIndex;
      }
    } catch {
      // fall through and rebuild
    }
  }
  cachedIndex = buildSchemaIndex();
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(cachedIndex));
    renameSync(tmp, cacheFile); // atomic: parallel jest workers never read a half-written file
  } catch {
    // a read-only node_modules only costs speed
  }
  return cachedIndex;
}

/** Options of validateTemplate. */
export interface ValidateOptions {
  /** Index to validate against (defaults to the shipped service spec). */
  readonly index?: SchemaIndex;
  /** Check that Ref / GetAtt / Sub / DependsOn targets exist (default true). */
  readonly checkReferences?: boolean;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Whether the value is a CloudFormation intrinsic function call (an object with one `Ref`/`Fn::*`/`Condition` key). */
export function isIntrinsic(x: unknown): x is Record<string, unknown> {
  if (!isPlainObject(x)) return false;
  const keys = Object.keys(x);
  return keys.length === 1 && (INTRINSICS.has(keys[0]) || keys[0].startsWith('Fn::'));
}

function isNoValue(x: unknown): boolean {
  return isPlainObject(x) && Object.keys(x).length === 1 && x.Ref === 'AWS::NoValue';
}

function describe(x: unknown): string {
  if (Array.isArray(x)) return 'a list';
  if (x === null) return 'null';
  if (isPlainObject(x)) return `an object {${Object.keys(x).slice(0, 5).join(', ')}}`;
  return `${typeof x} ${JSON.stringify(x)}`;
}

function typeName(t: SpecType, index: SchemaIndex): string {
  switch (t.type) {
    case 'ref': return index.types[t.reference!.$ref]?.name ?? 'object';
    case 'array': return `list of ${typeName(t.element!, index)}`;
    case 'map': return `map of ${typeName(t.element!, index)}`;
    case 'union': return (t.types ?? []).map((u) => typeName(u, index)).join(' | ');
    default: return t.type;
  }
}

/** Checks a value against a spec type; pushes `path: reason` strings into errors. */
function checkValue(value: unknown, t: SpecType, at: string, index: SchemaIndex, errors: string[]): void {
  if (isIntrinsic(value)) {
    // Fn::If: both branches must fit the expected type (AWS::NoValue removes the value).
    const ifArgs = value['Fn::If'];
    if (Array.isArray(ifArgs) && ifArgs.length === 3) {
      for (const [i, branch] of [[1, ifArgs[1]], [2, ifArgs[2]]] as const) {
        if (!isNoValue(branch)) checkValue(branch, t, `${at}{Fn::If[${i}]}`, index, errors);
      }
    } else if ('Fn::If' in value) {
      errors.push(`${at}: Fn::If needs [condition, valueIfTrue, valueIfFalse]`);
    }
    return;
  }
  switch (t.type) {
    case 'string':
    case 'date-time':
      if (typeof value !== 'string') {
        errors.push(`${at}: expected ${t.type === 'string' ? 'a string' : 'a timestamp string'}, got ${describe(value)}`);
      } else if (t.allowedValues && !t.allowedValues.includes(value)) {
        errors.push(`${at}: ${JSON.stringify(value)} is not one of ${t.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`);
      }
      return;
    case 'number':
      if (!(typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !isNaN(Number(value))))) {
        errors.push(`${at}: expected a number, got ${describe(value)}`);
      }
      return;
    case 'integer':
      if (!((typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value)))) {
        errors.push(`${at}: expected an integer, got ${describe(value)}`);
      }
      return;
    case 'boolean':
      if (!(typeof value === 'boolean' || value === 'true' || value === 'false')) {
        errors.push(`${at}: expected a boolean, got ${describe(value)}`);
      }
      return;
    case 'json':
      return;
    case 'tag':
      checkObject(value, { Key: { type: { type: 'string' }, required: true }, Value: { type: { type: 'string' }, required: true } }, 'Tag', at, index, errors);
      return;
    case 'array':
      if (!Array.isArray(value)) {
        errors.push(`${at}: expected a list (${typeName(t, index)}), got ${describe(value)}`);
        return;
      }
      value.forEach((v, i) => checkValue(v, t.element!, `${at}[${i}]`, index, errors));
      return;
    case 'map':
      if (!isPlainObject(value)) {
        errors.push(`${at}: expected a map (${typeName(t, index)}), got ${describe(value)}`);
        return;
      }
      for (const [k, v] of Object.entries(value)) checkValue(v, t.element!, `${at}.${k}`, index, errors);
      return;
    case 'ref': {
      const def = index.types[t.reference!.$ref];
      if (!def) return; // unknown id: nothing to check against
      checkObject(value, def.props, def.name, at, index, errors);
      return;
    }
    case 'union': {
      const alternatives = t.types ?? [];
      let best: string[] | undefined;
      for (const alt of alternatives) {
        const sub: string[] = [];
        checkValue(value, alt, at, index, sub);
        if (sub.length === 0) return;
        if (!best || sub.length < best.length) best = sub;
      }
      if (alternatives.length > 0) {
        errors.push(`${at}: matches none of ${typeName(t, index)}${best ? ` (closest: ${best[0]})` : ''}`);
      }
      return;
    }
    default:
      return; // a type this validator does not know: accept rather than invent a rule
  }
}

function checkObject(value: unknown, props: Record<string, SpecProperty>, name: string, at: string, index: SchemaIndex, errors: string[]): void {
  if (!isPlainObject(value)) {
    errors.push(`${at}: expected an object (${name}), got ${describe(value)}`);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const p = props[k];
    if (!p) {
      const known = Object.keys(props);
      const sameLetters = known.find((n) => n.toLowerCase() === k.toLowerCase());
      errors.push(`${at}.${k}: unknown property of ${name}${sameLetters ? ` (did you mean ${sameLetters}? property names are case-sensitive)` : ''}; expected one of: ${known.join(', ') || '(none)'}`);
      continue;
    }
    if (isNoValue(v)) continue;
    checkValue(v, p.type, `${at}.${k}`, index, errors);
  }
  for (const [k, p] of Object.entries(props)) {
    if (p.required && !(k in value)) errors.push(`${at}.${k}: required property of ${name} is missing`);
  }
}

/** Collects reference errors (Ref / GetAtt / Sub) anywhere under `node`. */
function checkReferences(node: unknown, at: string, template: any, index: SchemaIndex, errors: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((n, i) => checkReferences(n, `${at}[${i}]`, template, index, errors));
    return;
  }
  if (!isPlainObject(node)) return;
  const resources = template.Resources ?? {};
  const parameters = template.Parameters ?? {};
  const refOk = (name: string) => name in resources || name in parameters || PSEUDO_PARAMETERS.has(name);
  const getAttOk = (res: string, attr: string): string | undefined => {
    const r = resources[res];
    if (!r) return `Fn::GetAtt names resource ${JSON.stringify(res)}, which is not in the template`;
    const spec = index.resources[r.Type];
    if (!spec || r.Type === 'AWS::CloudFormation::Stack' || r.Type === 'AWS::CloudFormation::CustomResource') return undefined;
    if (spec.attrs.includes(attr)) return undefined;
    return `Fn::GetAtt ${res}.${attr}: ${r.Type} has no attribute ${JSON.stringify(attr)} (has: ${spec.attrs.join(', ') || 'none'})`;
  };
  if (Object.keys(node).length === 1) {
    if (typeof node.Ref === 'string' && !refOk(node.Ref)) {
      errors.push(`${at}: Ref to ${JSON.stringify(node.Ref)}, which is neither a resource, a parameter nor a pseudo parameter`);
    }
    const ga = node['Fn::GetAtt'];
    if (ga !== undefined) {
      let res: unknown; let attr: unknown;
      if (Array.isArray(ga)) [res, attr] = ga;
      else if (typeof ga === 'string') [res, attr] = [ga.split('.')[0], ga.split('.').slice(1).join('.')];
      if (typeof res === 'string' && typeof attr === 'string') {
        const e = getAttOk(res, attr);
        if (e) errors.push(`${at}: ${e}`);
      } else if (!(typeof res === 'string' && isIntrinsic(attr))) {
        errors.push(`${at}: Fn::GetAtt needs [logicalId, attributeName], got ${describe(ga)}`);
      }
    }
    const sub = node['Fn::Sub'];
    if (sub !== undefined) {
      const [str, vars] = Array.isArray(sub) ? [sub[0], sub[1] ?? {}] : [sub, {}];
      if (typeof str === 'string') {
        for (const m of str.matchAll(/\$\{([^}!][^}]*)\}/g)) {
          const name = m[1].trim();
          if (isPlainObject(vars) && name in vars) continue;
          if (name.includes('.') && !name.startsWith('AWS::')) {
            const [res, ...rest] = name.split('.');
            const e = getAttOk(res, rest.join('.'));
            if (e) errors.push(`${at}: Fn::Sub \${${name}}: ${e}`);
          } else if (!refOk(name)) {
            errors.push(`${at}: Fn::Sub \${${name}} names neither a resource, a parameter, a pseudo parameter nor a variable`);
          }
        }
      }
    }
  }
  for (const [k, v] of Object.entries(node)) checkReferences(v, `${at}.${k}`, template, index, errors);
}

/**
 * Validates a CloudFormation template (the JSON object) against the CloudFormation resource schemas.
 * Returns one message per violation: `Resources.<LogicalId> (<Type>).Properties.<path>: <reason>`.
 */
export function validateTemplate(template: any, options: ValidateOptions = {}): string[] {
  const index = options.index ?? loadSchemaIndex();
  const errors: string[] = [];
  if (!isPlainObject(template)) return ['template: not an object'];
  const resources = template.Resources;
  if (resources === undefined) return errors;
  if (!isPlainObject(resources)) return ['Resources: not an object'];

  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isPlainObject(resource)) {
      errors.push(`Resources.${logicalId}: not an object`);
      continue;
    }
    const type = resource.Type;
    const at = `Resources.${logicalId} (${String(type)})`;
    if (typeof type !== 'string') {
      errors.push(`${at}: Type is missing or not a string`);
      continue;
    }
    for (const k of Object.keys(resource)) {
      if (!RESOURCE_KEYS.has(k)) errors.push(`${at}.${k}: not a CloudFormation resource attribute (allowed: ${[...RESOURCE_KEYS].join(', ')})`);
    }
    if (resource.DependsOn !== undefined) {
      const deps = Array.isArray(resource.DependsOn) ? resource.DependsOn : [resource.DependsOn];
      for (const d of deps) {
        if (typeof d !== 'string' || !(d in resources)) errors.push(`${at}.DependsOn: ${JSON.stringify(d)} is not a resource of the template`);
      }
    }
    const props = resource.Properties ?? {};
    if (!isPlainObject(props)) {
      errors.push(`${at}.Properties: expected an object, got ${describe(props)}`);
      continue;
    }
    if (type === 'AWS::CDK::Metadata') continue;
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
      if (props.ServiceToken === undefined) errors.push(`${at}.Properties.ServiceToken: required property of a custom resource is missing`);
      else checkValue(props.ServiceToken, { type: 'string' }, `${at}.Properties.ServiceToken`, index, errors);
      continue;
    }
    const spec = index.resources[type];
    if (!spec) {
      errors.push(`${at}: unknown resource type ${JSON.stringify(type)} (not in @aws-cdk/aws-service-spec ${index.version})`);
      continue;
    }
    checkObject(props, spec.props, type, `${at}.Properties`, index, errors);
  }

  if (options.checkReferences ?? true) {
    checkReferences(resources, 'Resources', template, index, errors);
    if (template.Outputs !== undefined) checkReferences(template.Outputs, 'Outputs', template, index, errors);
  }
  return errors;
}

/** Throws an Error listing every violation, naming the template (stack) it came from. */
export function assertValidTemplate(template: any, name: string, options: ValidateOptions = {}): void {
  const errors = validateTemplate(template, options);
  if (errors.length > 0) {
    throw new Error(`CloudFormation schema validation failed for ${name} (${errors.length} violation(s)):\n  - ${errors.join('\n  - ')}`);
  }
}

/** Nested-stack templates (`*.nested.template.json`) under an assembly directory, recursively. */
export function nestedTemplateFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (entry.endsWith('.nested.template.json')) out.push(full);
    else if (entry.startsWith('assembly-') && statSync(full).isDirectory()) out.push(...nestedTemplateFiles(full));
  }
  return out;
}
