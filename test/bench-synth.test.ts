/**
 * The synth benchmark (bench/synth.ts) compares like with like: its variants build the same resources with the same
 * properties, at a small size so that this runs in the unit tests. Nothing here is timed.
 */
import { measure, Variant } from '../bench/synth';

const SIZE = { distributions: 2, regions: 3, infrastructures: 2 };

let previousValidation: string | undefined;
beforeAll(() => {
  previousValidation = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
});
afterAll(() => {
  if (previousValidation === undefined) delete process.env.CDK_VALIDATION;
  else process.env.CDK_VALIDATION = previousValidation;
});

const resources = (variant: Variant): Record<string, any> => measure(variant, SIZE).template.Resources;

/** JSON with sorted object keys, so that key order does not count. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map(k => `${JSON.stringify(k)}:${canonical((value as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Each resource as its type and properties, with references replaced by the referenced resource's type: logical IDs
 * differ between variants by design, everything else must not.
 */
function normalized(template: Record<string, any>, adjust: (type: string, props: any) => any = (_, p) => p): string[] {
  const typeOf = (id: string) => template[id]?.Type ?? id;
  const deref = (value: any): any => {
    if (Array.isArray(value)) return value.map(deref);
    if (value && typeof value === 'object') {
      if (Object.keys(value).length === 1 && typeof value.Ref === 'string') return { Ref: typeOf(value.Ref) };
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deref(v)]));
    }
    return value;
  };
  return Object.values(template)
    .map((r: any) => canonical({ Type: r.Type, Properties: adjust(r.Type, deref(r.Properties)) }))
    .sort();
}

test('nested renders exactly the template of this library: same logical IDs, same properties', () => {
  const ours = resources('ours');
  expect(Object.keys(ours)).toHaveLength(8);
  expect(resources('nested')).toEqual(ours);
});

test.each<Variant>(['l1', 'floor'])('%s builds the same resources with the same properties as this library', (variant) => {
  expect(normalized(resources(variant))).toEqual(normalized(resources('ours')));
});

test('alpha differs only as documented: no role description, managed policies in another order', () => {
  const adjust = (type: string, props: any) => type === 'AWS::IAM::Role'
    ? { ...props, Description: undefined, ManagedPolicyArns: [...props.ManagedPolicyArns].map(canonical).sort() }
    : props;
  const alpha = resources('alpha');
  const roles = Object.values(alpha).filter((r: any) => r.Type === 'AWS::IAM::Role') as any[];
  expect(roles.map(r => r.Properties.Description)).toEqual([undefined, undefined]);
  expect(normalized(alpha, adjust)).toEqual(normalized(resources('ours'), adjust));
});
