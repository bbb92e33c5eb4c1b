import { Distribution$ } from '@aws-sdk/client-imagebuilder';
import * as fc from 'fast-check';
import { fullDistribution, S3_EXPORT } from './server/patch-fixtures';
import { ServiceModel } from './server/service-model';
import {
  applyPatch, canonical, deepEqual, Distribution, mergeValue, parsePatch, PatchError, requiredMembers, revertDistributions, revertValue, snapshot,
  touchedRegions,
} from '../../lambda/merge';

describe('canonical / deepEqual', () => {
  test('key order and undefined members do not matter; list order does', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2, d: undefined }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual(undefined, null)).toBe(false);
    expect(canonical([undefined])).toBe('[null]');
  });
});

describe('mergeValue', () => {
  test('objects key by key, lists unioned without duplicates, scalars set', () => {
    const base = { name: 'a', tags: { x: '1' }, ids: ['1', '2'], lts: [{ id: 'lt-1', v: true }] };
    const out = mergeValue(base, { name: 'b', tags: { y: '2' }, ids: ['2', '3', '3'], lts: [{ v: true, id: 'lt-1' }, { id: 'lt-2' }] });
    expect(out).toEqual({ name: 'b', tags: { x: '1', y: '2' }, ids: ['1', '2', '3'], lts: [{ id: 'lt-1', v: true }, { id: 'lt-2' }] });
    expect(base.ids).toEqual(['1', '2']); // inputs untouched
  });

  test('an undefined patch keeps the base; a type change replaces', () => {
    expect(mergeValue({ a: 1 }, undefined)).toEqual({ a: 1 });
    expect(mergeValue({ a: 1 }, { a: undefined })).toEqual({ a: 1 });
    expect(mergeValue(['x'], { a: 1 })).toEqual({ a: 1 });
  });
});

describe('applyPatch', () => {
  const current: Distribution[] = [fullDistribution('us-east-1'), fullDistribution('us-west-2')];

  test('replace swaps the region in place or appends it; merge merges', () => {
    const out = applyPatch(current, {
      distributions: [
        { region: 'us-west-2', replace: { amiDistributionConfiguration: { name: 'n' } } },
        { region: 'eu-west-1', replace: { amiDistributionConfiguration: { name: 'e' } } },
        { region: 'us-east-1', merge: { amiDistributionConfiguration: { targetAccountIds: ['999999999999'] } } },
      ],
    });
    expect(out.map((d) => d.region)).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
    expect(out[1]).toEqual({ region: 'us-west-2', amiDistributionConfiguration: { name: 'n' } });
    expect(out[0].amiDistributionConfiguration.targetAccountIds).toEqual(['111111111111', '999999999999']);
    expect(out[0].fastLaunchConfigurations).toEqual(current[0].fastLaunchConfigurations);
    expect(current[1].amiDistributionConfiguration.name).not.toBe('n');
  });

  test('merge into an absent region fails with a clear message', () => {
    expect(() => applyPatch(current, { distributions: [{ region: 'ap-south-1', merge: { a: 1 } }] }))
      .toThrow(new PatchError('Cannot merge into region ap-south-1: the distribution configuration has no distribution for it (use "replace" to add one)'));
  });

  test('touchedRegions lists each region once', () => {
    expect(touchedRegions({ distributions: [{ region: 'a', merge: {} }, { region: 'b', merge: {} }, { region: 'a', merge: {} }] })).toEqual(['a', 'b']);
  });
});

describe('parsePatch', () => {
  test.each([
    ['not json', /not valid JSON/],
    ['{}', /"distributions" list/],
    ['{"distributions":[{}]}', /distributions\[0\] needs a "region"/],
    ['{"distributions":[{"region":"r"}]}', /exactly one of "replace" or "merge"/],
    ['{"distributions":[{"region":"r","replace":{},"merge":{}}]}', /exactly one/],
    ['{"distributions":[{"region":"r","merge":[1]}]}', /merge value must be an object/],
    ['{"distributions":[{"region":"r","replace":5}]}', /replace value must be an object/],
    ['{"distributions":[{"region":"r","replace":{"region":"s"}}]}', /names another region inside: s/],
  ])('%s is rejected', (json, message) => {
    expect(() => parsePatch(json)).toThrow(message);
  });

  test('a valid patch comes back typed', () => {
    expect(parsePatch('{"distributions":[{"region":"r","replace":{"region":"r"}}]}').distributions[0].region).toBe('r');
    // Already parsed (a stored baseline's patch) is checked as it is.
    expect(parsePatch({ distributions: [] } as unknown as string)).toEqual({ distributions: [] });
  });
});

describe('revertValue', () => {
  test('unchanged since our write: back to before (also absent)', () => {
    expect(revertValue({ a: 1 }, { a: 2 }, { a: 2 })).toEqual({ a: 1 });
    expect(revertValue(undefined, { a: 2 }, { a: 2 })).toBeUndefined();
  });

  test('scalars someone else changed keep their value', () => {
    expect(revertValue('before', 'ours', 'theirs')).toBe('theirs');
    expect(revertValue({ n: 'before', k: 1 }, { n: 'ours', k: 1 }, { n: 'theirs', k: 2 })).toEqual({ n: 'theirs', k: 2 });
  });

  test('lists: drop what we added, restore what we removed, keep theirs', () => {
    expect(revertValue(['a', 'b'], ['a', 'c'], ['a', 'c', 'd'])).toEqual(['a', 'd', 'b']);
    expect(revertValue(undefined, ['c'], ['c', 'd'])).toEqual(['d']);
    expect(revertValue(undefined, ['c'], [])).toBeUndefined();
    expect(revertValue([], ['c'], ['c', 'd'])).toEqual(['d']);
  });

  test('objects we introduced and others extended keep only their part', () => {
    expect(revertValue(undefined, { userIds: ['1'] }, { userIds: ['1', '2'] })).toEqual({ userIds: ['2'] });
    expect(revertValue(undefined, { a: 1 }, { b: 2, a: 1 })).toEqual({ b: 2 });
  });

  test('something another writer removed stays removed', () => {
    expect(revertValue({ a: 1 }, { a: 2 }, undefined)).toBeUndefined();
    expect(revertValue({ x: { a: 1 } }, { x: { a: 2 } }, {})).toEqual({});
  });
});

const imagebuilder = ServiceModel.load('imagebuilder');

/** What the Image Builder model says of an UpdateDistributionConfiguration with these distributions. */
function modelViolations(dists: Distribution[]) {
  return imagebuilder.checkInput(imagebuilder.operations.UpdateDistributionConfiguration, {
    method: 'PUT',
    path: '/UpdateDistributionConfiguration',
    query: {},
    headers: {},
    body: { distributionConfigurationArn: 'arn:aws:imagebuilder:us-east-1:123456789012:distribution-configuration/d', clientToken: 't', distributions: dists },
  });
}

describe('the undo sends only what the API model accepts', () => {
  const check = modelViolations;

  test('a list or map others emptied inside a distribution is left out; at the top of a value it stays as it was', () => {
    const before = { 'us-east-1': { region: 'us-east-1', amiDistributionConfiguration: { name: 'app-{{ imagebuilder:buildDate }}', targetAccountIds: ['111111111111'], amiTags: { team: 'a' } } } };
    const ours = { 'us-east-1': { region: 'us-east-1', amiDistributionConfiguration: { name: 'app-{{ imagebuilder:buildDate }}', targetAccountIds: ['111111111111', '333333333333'], amiTags: { team: 'a', app: 'x' } } } };
    const now = [{ region: 'us-east-1', amiDistributionConfiguration: { name: 'app-{{ imagebuilder:buildDate }}', targetAccountIds: ['333333333333'], amiTags: { app: 'x' } } }];
    const reverted = revertDistributions(before, ours, now);
    expect(reverted).toEqual([{ region: 'us-east-1', amiDistributionConfiguration: { name: 'app-{{ imagebuilder:buildDate }}' } }]);
    expect(check(reverted)).toEqual([]);
    expect(revertValue(['a'], ['a', 'b'], ['b'])).toEqual([]);
  });

  test('an export we added and someone else edited stays theirs, whole; one they extended keeps their member only where that is coherent', () => {
    const before = { 'us-east-1': { region: 'us-east-1' } };
    const ours = { 'us-east-1': { region: 'us-east-1', s3ExportConfiguration: S3_EXPORT } };
    const edited = { ...S3_EXPORT, s3Prefix: 'theirs/' };
    const reverted = revertDistributions(before, ours, [{ region: 'us-east-1', s3ExportConfiguration: edited }]);
    expect(reverted).toEqual([{ region: 'us-east-1', s3ExportConfiguration: edited }]);
    expect(check(reverted)).toEqual([]);
    // Without the schema (a structure not known to the SDK), the per-key merge of before.
    expect(revertValue(undefined, S3_EXPORT, edited)).toEqual({ s3Prefix: 'theirs/' });
    expect(revertValue(undefined, { e: S3_EXPORT }, { e: edited }, Distribution$)).toEqual({ e: { s3Prefix: 'theirs/' } });
    expect(revertValue(undefined, { s3ExportConfiguration: S3_EXPORT }, { s3ExportConfiguration: edited }, Distribution$))
      .toEqual({ s3ExportConfiguration: edited });
  });

  test('the SDK schema\'s required members are the model\'s, for every structure a distribution reaches', () => {
    const seen = new Set<string>();
    const visit = (schema: unknown) => {
      const s: any = typeof schema === 'function' ? (schema as () => unknown)() : schema;
      if (!Array.isArray(s) || seen.has(s[2])) return;
      seen.add(s[2]);
      if (s[0] === 3) {
        expect([s[2], requiredMembers(s).sort()]).toEqual([s[2], [...(imagebuilder.shapeOf(s[2]).required ?? [])].sort()]);
        (s[5] as unknown[]).forEach(visit);
      } else if (s[0] === 1) {
        visit(s[4]);
      } else if (s[0] === 2) {
        visit(s[5]);
      }
    };
    visit(Distribution$);
    expect([...seen]).toEqual(expect.arrayContaining(['Distribution', 'S3ExportConfiguration', 'FastLaunchConfiguration', 'LaunchTemplateConfiguration', 'AmiDistributionConfiguration']));
  });
});

describe('revertDistributions', () => {
  test('a region we added goes away unless others changed it; a removed one stays removed', () => {
    const before = { 'eu-west-1': null, 'us-east-1': fullDistribution('us-east-1') };
    const ours = { 'eu-west-1': { region: 'eu-west-1', ami: { name: 'x' } }, 'us-east-1': { ...fullDistribution('us-east-1'), s3: 1 } };
    expect(revertDistributions(before, ours, [ours['us-east-1'], ours['eu-west-1']])).toEqual([fullDistribution('us-east-1')]);
    expect(revertDistributions(before, ours, [ours['eu-west-1']])).toEqual([]);
    expect(revertDistributions(before, ours, [{ region: 'eu-west-1', ami: { name: 'x', tags: { t: '1' } } }]))
      .toEqual([{ region: 'eu-west-1', ami: { tags: { t: '1' } } }]);
  });

  test('a region that was there but that someone removed along with ours is not brought back', () => {
    expect(revertDistributions({ r: { region: 'r', a: 1 } }, { r: { region: 'r', a: 2 } }, [])).toEqual([]);
  });

  test('a region we added and someone removed stays absent; one that is absent as we left it comes back', () => {
    expect(revertDistributions({ r: null }, { r: { region: 'r', a: 1 } }, [])).toEqual([]);
    expect(revertDistributions({ r: { region: 'r', a: 1 } }, { r: null }, [])).toEqual([{ region: 'r', a: 1 }]);
  });

  test('an object we introduced that others emptied of our part goes away', () => {
    expect(revertValue(undefined, { a: [1] }, { a: [] })).toBeUndefined();
  });
});

// Properties over generated configurations and patches.
const region = fc.constantFrom('us-east-1', 'us-west-2', 'eu-west-1', 'ap-south-1');
const account = fc.constantFrom('111111111111', '222222222222', '333333333333', '444444444444');
const ami = fc.record({
  name: fc.constantFrom('a', 'b', 'c'),
  targetAccountIds: fc.uniqueArray(account, { maxLength: 3 }),
  amiTags: fc.dictionary(fc.constantFrom('k1', 'k2', 'k3'), fc.constantFrom('v1', 'v2')),
  launchPermission: fc.record({ userIds: fc.uniqueArray(account, { maxLength: 2 }) }, { requiredKeys: [] }),
}, { requiredKeys: [] });
const s3 = fc.record({ roleName: fc.constant('vmimport'), diskImageFormat: fc.constantFrom('VMDK', 'RAW'), s3Bucket: fc.constantFrom('b1', 'b2') });
const body = fc.record({ amiDistributionConfiguration: ami, s3ExportConfiguration: s3 }, { requiredKeys: [] });
const distributions = fc.uniqueArray(fc.tuple(region, body), { selector: ([r]) => r, minLength: 1, maxLength: 4 })
  .map((l) => l.map(([r, b]) => ({ region: r, ...b }) as Distribution));
const patchFor = (config: Distribution[]) => fc.uniqueArray(
  fc.oneof(
    fc.tuple(region, body).map(([r, b]) => ({ region: r, replace: b })),
    fc.tuple(fc.constantFrom(...config.map((d) => d.region)), body).map(([r, b]) => ({ region: r, merge: b })),
  ), { selector: (p) => p.region, minLength: 1, maxLength: 3 },
).map((d) => ({ distributions: d }));

describe('properties', () => {
  test('revert(apply(x)) is x when nobody else wrote in between', () => {
    fc.assert(fc.property(distributions.chain((c) => fc.tuple(fc.constant(c), patchFor(c))), ([config, patch]) => {
      const regions = touchedRegions(patch);
      const before = snapshot(config, regions);
      const applied = applyPatch(config, patch);
      const reverted = revertDistributions(before, snapshot(applied, regions), applied);
      const byRegion = (l: Distribution[]) => Object.fromEntries(l.map((d) => [d.region, d]));
      expect(byRegion(reverted)).toEqual(byRegion(config));
    }), { numRuns: 300 });
  });

  test('applying a patch twice changes nothing the second time', () => {
    fc.assert(fc.property(distributions.chain((c) => fc.tuple(fc.constant(c), patchFor(c))), ([config, patch]) => {
      const once = applyPatch(config, patch);
      expect(deepEqual(applyPatch(once, patch), once)).toBe(true);
    }), { numRuns: 300 });
  });

  test('a change another writer makes to an untouched region survives the revert', () => {
    fc.assert(fc.property(distributions.chain((c) => fc.tuple(fc.constant(c), patchFor(c), body)), ([config, patch, theirs]) => {
      const regions = touchedRegions(patch);
      const applied = applyPatch(config, patch);
      const untouched = applied.find((d) => !regions.includes(d.region));
      fc.pre(untouched !== undefined);
      const now = applied.map((d) => (d === untouched ? { region: d.region, ...theirs } : d));
      const reverted = revertDistributions(snapshot(config, regions), snapshot(applied, regions), now);
      expect(reverted.find((d) => d.region === untouched!.region)).toEqual({ region: untouched!.region, ...theirs });
    }), { numRuns: 200 });
  });
});

describe('properties over configurations the API model accepts', () => {
  const violations = modelViolations;
  const validAmi = fc.record({
    name: fc.constantFrom('app-a', 'app-b'),
    targetAccountIds: fc.uniqueArray(account, { minLength: 1, maxLength: 3 }),
    amiTags: fc.dictionary(fc.constantFrom('k1', 'k2', 'k3'), fc.constantFrom('v1', 'v2'), { minKeys: 1 }),
    launchPermission: fc.record({ userIds: fc.uniqueArray(account, { minLength: 1, maxLength: 2 }), userGroups: fc.constant(['all']) }, { requiredKeys: [] }),
  }, { requiredKeys: [] });
  const validS3 = fc.record({
    roleName: fc.constant('vmimport'), diskImageFormat: fc.constantFrom('VMDK', 'RAW'), s3Bucket: fc.constantFrom('b1', 'b2'), s3Prefix: fc.constantFrom('p1/', 'p2/'),
  }, { requiredKeys: ['roleName', 'diskImageFormat', 's3Bucket'] });
  const validBody = fc.record({ amiDistributionConfiguration: validAmi, s3ExportConfiguration: validS3 }, { requiredKeys: [] });
  const validConfig = fc.uniqueArray(fc.tuple(region, validBody), { selector: ([r]) => r, minLength: 1, maxLength: 3 })
    .map((l) => l.map(([r, b]) => ({ region: r, ...b }) as Distribution));
  const validPatch = (config: Distribution[]) => fc.uniqueArray(
    fc.oneof(
      fc.tuple(region, validBody).map(([r, b]) => ({ region: r, replace: b })),
      fc.tuple(fc.constantFrom(...config.map((d) => d.region)), validBody).map(([r, b]) => ({ region: r, merge: b })),
    ), { selector: (p) => p.region, minLength: 1, maxLength: 2 },
  ).map((d) => ({ distributions: d }));

  /** Another writer's edit: per member, at two levels, keep ours, take a fresh valid value's, or remove it. */
  function mix(now: any, fresh: any, picks: number[], depth = 0): any {
    const out: Record<string, any> = {};
    const keys = [...new Set([...Object.keys(now ?? {}), ...Object.keys(fresh ?? {})])].sort();
    keys.forEach((k, i) => {
      const pick = picks[(i + depth * 7) % picks.length];
      const v = pick === 0 ? now?.[k] : pick === 1 ? fresh?.[k] : pick === 2 ? undefined
        : isObject(now?.[k]) && isObject(fresh?.[k]) && depth === 0 ? mix(now[k], fresh[k], picks.slice(1).concat(picks[0]), depth + 1) : now?.[k];
      if (v !== undefined) out[k] = v;
    });
    return out;
  }
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

  test('the undo of a patch that others changed since is always a request the model accepts', () => {
    fc.assert(fc.property(
      validConfig.chain((c) => fc.tuple(
        fc.constant(c), validPatch(c), fc.array(validBody, { minLength: 3, maxLength: 3 }), fc.array(fc.nat(3), { minLength: 5, maxLength: 5 }))),
      ([config, patch, fresh, picks]) => {
        const regions = touchedRegions(patch);
        const applied = applyPatch(config, patch);
        fc.pre(violations(config).length === 0 && violations(applied).length === 0);
        const now = applied.map((d, i) => ({ ...mix(d, fresh[i % fresh.length], picks), region: d.region }) as Distribution);
        fc.pre(violations(now).length === 0);
        const reverted = revertDistributions(snapshot(config, regions), snapshot(applied, regions), now);
        expect(violations(reverted)).toEqual([]);
      }), { numRuns: 500 });
  });
});
