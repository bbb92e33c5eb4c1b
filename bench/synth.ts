/**
 * Synth benchmark: the same logical stack built three ways, measured side by side in one process.
 *
 *   200 distribution configurations x 5 regions (AMI name, tags, target account, launch permission per region)
 * + 200 infrastructure configurations, each with the IAM role + instance profile the constructs create by default.
 *
 * - `l1`: raw aws-cdk-lib L1 (`CfnDistributionConfiguration` with PascalCase keys, `CfnInfrastructureConfiguration`,
 *   `iam.CfnRole`, `iam.CfnInstanceProfile`), written to produce the same resources and properties as ours.
 * - `alpha`: `@aws-cdk/aws-imagebuilder-alpha` (a devDependency used only here and in tests).
 * - `ours`: this library (`../src`).
 * - `nested`: the L1 stack at the construct paths of ours (each configuration's resources under a plain `Construct`:
 *   `Dist0/Resource`, `Infra0/Resource`, `Infra0/InstanceRole`, `Infra0/InstanceProfile`), so with ours' logical IDs and
 *   byte-identical template. Not a target: the part of the gap to L1 that is aws-cdk-lib's cost of nested construct
 *   paths (logical-ID hashing, deeper trees), which any L2 library pays; ours / nested is what this library adds.
 * - `floor`: the L1 stack, except that each role and instance profile is the L2 `iam.Role` + `iam.InstanceProfile`
 *   that ours (and alpha) create. Not a target: it shows how much of the gap to L1 is aws-cdk-lib's own L2 IAM cost,
 *   which no library that hands users an `iam.IRole` can avoid.
 *
 * Method: in-process. WARMUPS untimed builds per variant (module loading, ts-node compilation of ../src, JIT), then
 * ROUNDS rounds; each round runs the variants in a rotated order, and each measurement is `new App()` + constructs +
 * `app.synth()` (construct time is part of what a user waits for). Medians are reported, of wall time and of the
 * process's CPU time (user + system, which includes GC threads); CPU time is less disturbed by other jobs on a
 * loaded machine. aws-cdk-lib's default synth-time template validation
 * (CloudFormation Validate, ~5-15 s engine start per process) is switched off with CDK_VALIDATION=false for all variants,
 * so the figures measure the construct libraries, not the validator. Template bytes are the size of the template file
 * aws-cdk-lib writes to the cloud assembly (`*.template.json`, indented as the CDK CLI uploads it) and of its
 * minified JSON. The stack has 800 resources, above CloudFormation's 500-per-stack quota: aws-cdk-lib's quota check
 * is lifted with the `@aws-cdk/core:stackResourceLimit` context (synthesis only; it would not deploy as one stack).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as alpha from '@aws-cdk/aws-imagebuilder-alpha';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ib from 'aws-cdk-lib/aws-imagebuilder';
import { Construct } from 'constructs';

export const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];
export const TARGET_ACCOUNT = '111111111111';
export const LAUNCH_ACCOUNT = '222222222222';

export type Variant = 'l1' | 'alpha' | 'ours' | 'nested' | 'floor';

export interface BenchSize {
  readonly distributions: number;
  readonly regions: number;
  readonly infrastructures: number;
}

export const FULL_SIZE: BenchSize = { distributions: 200, regions: 5, infrastructures: 200 };

const amiName = (i: number) => `ami-${i}-{{ imagebuilder:buildDate }}`;
const tags = (i: number) => ({ Team: 'platform', Index: String(i) });

function buildL1(stack: Stack, size: BenchSize): void {
  const suffix = { '': '', 'InstanceRole': 'Role', 'InstanceProfile': 'Profile' };
  buildCfn(stack, size, (id) => ({ scope: stack, id: (child) => `${id}${suffix[child]}` }));
}

/** The L1 stack at ours' construct paths: `Infra0/Resource`, `Infra0/InstanceRole`... (see `nested` above). */
function buildNested(stack: Stack, size: BenchSize): void {
  buildCfn(stack, size, (id) => ({ scope: new Construct(stack, id), id: (child) => child || 'Resource' }));
}

/** Where the L1 resources of one configuration go: under `scope`, with the ids `id('')`, `id('InstanceRole')`... */
type Placement = (configurationId: string) => { scope: Construct; id: (child: '' | 'InstanceRole' | 'InstanceProfile') => string };

function buildCfn(stack: Stack, size: BenchSize, place: Placement): void {
  const managed = ['EC2InstanceProfileForImageBuilder', 'AmazonSSMManagedInstanceCore'].map((p) =>
    stack.formatArn({ service: 'iam', region: '', account: 'aws', resource: 'policy', resourceName: p }));
  for (let i = 0; i < size.infrastructures; i++) {
    const { scope, id } = place(`Infra${i}`);
    const role = new iam.CfnRole(scope, id('InstanceRole'), {
      assumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } }],
        Version: '2012-10-17',
      },
      description: 'EC2 Image Builder build and test instances',
      managedPolicyArns: managed,
    });
    const profile = new iam.CfnInstanceProfile(scope, id('InstanceProfile'), { roles: [role.ref] });
    new ib.CfnInfrastructureConfiguration(scope, id(''), {
      name: `infra-${i}`,
      instanceProfileName: profile.ref,
      instanceMetadataOptions: { httpPutResponseHopLimit: 1, httpTokens: 'required' },
      terminateInstanceOnFailure: true,
    });
  }
  for (let i = 0; i < size.distributions; i++) {
    const { scope, id } = place(`Dist${i}`);
    new ib.CfnDistributionConfiguration(scope, id(''), {
      name: `dist-${i}`,
      distributions: REGIONS.slice(0, size.regions).map((region) => ({
        region,
        amiDistributionConfiguration: {
          Name: amiName(i),
          AmiTags: tags(i),
          TargetAccountIds: [TARGET_ACCOUNT],
          LaunchPermissionConfiguration: { UserIds: [LAUNCH_ACCOUNT] },
        },
      })),
    });
  }
}

/** L1, except for the L2 role + instance profile that ours creates by default (same props, same managed policies). */
function buildFloor(stack: Stack, size: BenchSize): void {
  for (let i = 0; i < size.infrastructures; i++) {
    const role = new iam.Role(stack, `Infra${i}Role`, {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'EC2 Image Builder build and test instances',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('EC2InstanceProfileForImageBuilder'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'),
      ],
    });
    const profile = new iam.InstanceProfile(stack, `Infra${i}Profile`, { role });
    new ib.CfnInfrastructureConfiguration(stack, `Infra${i}`, {
      name: `infra-${i}`,
      instanceProfileName: profile.instanceProfileName,
      instanceMetadataOptions: { httpPutResponseHopLimit: 1, httpTokens: 'required' },
      terminateInstanceOnFailure: true,
    });
  }
  buildL1(stack, { ...size, infrastructures: 0 });
}

function buildAlpha(stack: Stack, size: BenchSize): void {
  for (let i = 0; i < size.infrastructures; i++) {
    new alpha.InfrastructureConfiguration(stack, `Infra${i}`, {
      infrastructureConfigurationName: `infra-${i}`,
      terminateInstanceOnFailure: true,
      httpPutResponseHopLimit: 1,
    });
  }
  for (let i = 0; i < size.distributions; i++) {
    new alpha.DistributionConfiguration(stack, `Dist${i}`, {
      distributionConfigurationName: `dist-${i}`,
      amiDistributions: REGIONS.slice(0, size.regions).map((region) => ({
        region,
        amiName: amiName(i),
        amiTags: tags(i),
        amiTargetAccountIds: [TARGET_ACCOUNT],
        amiLaunchPermission: { accountIds: [LAUNCH_ACCOUNT] },
      })),
    });
  }
}

function buildOurs(stack: Stack, size: BenchSize): void {
  // Required lazily so that the L1 and alpha figures still print while ../src does not compile.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ours = require('../src');
  for (let i = 0; i < size.infrastructures; i++) {
    new ours.InfrastructureConfiguration(stack, `Infra${i}`, {
      infrastructureConfigurationName: `infra-${i}`,
      terminateInstanceOnFailure: true,
      httpTokens: ec2.HttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
    });
  }
  for (let i = 0; i < size.distributions; i++) {
    new ours.DistributionConfiguration(stack, `Dist${i}`, {
      distributionConfigurationName: `dist-${i}`,
      amiDistributions: REGIONS.slice(0, size.regions).map((region) => ({
        region,
        amiName: amiName(i),
        amiTags: tags(i),
        targetAccountIds: [TARGET_ACCOUNT],
        launchPermission: { accountIds: [LAUNCH_ACCOUNT] },
      })),
    });
  }
}

const BUILDERS: Record<Variant, (stack: Stack, size: BenchSize) => void> = {
  l1: buildL1, alpha: buildAlpha, ours: buildOurs, nested: buildNested, floor: buildFloor,
};

/** One measurement: build + synth in a fresh App, returning milliseconds, template bytes and resource counts. */
export function measure(variant: Variant, size: BenchSize = FULL_SIZE) {
  const cpuStarted = process.cpuUsage();
  const started = process.hrtime.bigint();
  // 800 resources exceed CloudFormation's 500-per-stack quota, which aws-cdk-lib enforces at synth; the benchmark only
  // synthesizes, so the check is lifted (a deployable app would spread these over two or more stacks).
  const app = new App({ context: { '@aws-cdk/core:stackResourceLimit': 1000 } });
  const stack = new Stack(app, `Bench-${variant}`);
  BUILDERS[variant](stack, size);
  const assembly = app.synth();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const artifact = assembly.getStackByName(stack.stackName);
  const fileBytes = fs.statSync(artifact.templateFullPath).size;
  const template = artifact.template;
  const minBytes = Buffer.byteLength(JSON.stringify(template));
  const counts: Record<string, number> = {};
  for (const r of Object.values<any>(template.Resources ?? {})) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  fs.rmSync(assembly.directory, { recursive: true, force: true });
  return { ms, cpuMs, fileBytes, minBytes, counts, template };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** First and third quartile (linear interpolation). */
const quartiles = (xs: number[]): [number, number] => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => {
    const i = (s.length - 1) * q;
    return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
  };
  return [at(0.25), at(0.75)];
};

/** Runs the synth benchmark and prints the table; returns the medians for callers (bench/run.ts). */
export function runSynthBench(
  rounds = Number(process.env.BENCH_ROUNDS ?? 21),
  size: BenchSize = FULL_SIZE,
  warmups = Number(process.env.BENCH_WARMUPS ?? 2),
) {
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const loadBefore = load();
  try {
    const variants: Variant[] = ['l1', 'alpha', 'ours', 'nested', 'floor'];
    const available: Variant[] = [];
    const info: Partial<Record<Variant, ReturnType<typeof measure>>> = {};
    for (const v of variants) {
      try {
        info[v] = measure(v, size); // warm-up, untimed: loads modules and compiles ../src with ts-node
        available.push(v);
      } catch (e) {
        process.stdout.write(`[synth] ${v}: cannot build (${(e as Error).message.split('\n')[0]}); left out\n`);
      }
    }
    for (let k = 1; k < warmups; k++) for (const v of available) measure(v, size); // more warm-ups: JIT, heap growth
    const times: Record<string, number[]> = {};
    const cpu: Record<string, number[]> = {};
    for (let r = 0; r < rounds; r++) {
      const order = available.map((_, k) => available[(k + r) % available.length]);
      for (const v of order) {
        (global as any).gc?.();
        const m = measure(v, size);
        (times[v] ??= []).push(m.ms);
        (cpu[v] ??= []).push(m.cpuMs);
      }
    }
    const rows = available.map((v) => ({
      variant: v,
      medianMs: median(times[v]),
      minMs: Math.min(...times[v]),
      maxMs: Math.max(...times[v]),
      medianCpuMs: median(cpu[v]),
      fileBytes: info[v]!.fileBytes,
      minBytes: info[v]!.minBytes,
      resources: Object.values(info[v]!.counts).reduce((a, b) => a + b, 0),
      counts: info[v]!.counts,
    }));
    const w = (s: string | number, n: number) => String(s).padStart(n);
    process.stdout.write(`\nSynth benchmark: ${size.distributions} distribution configurations x ${size.regions} regions + ${size.infrastructures} infrastructure configurations`
      + ` (each with role + instance profile); ${warmups} warm-up(s), ${rounds} rounds, rotated order, in-process, CDK_VALIDATION=false\n`);
    process.stdout.write(`load average (1/5/15 min): ${loadBefore} before, ${load()} after, on ${os.cpus().length} cpu(s)\n`);
    process.stdout.write(`${'variant'.padEnd(8)}${w('median ms', 11)}${w('min ms', 9)}${w('max ms', 9)}${w('cpu ms', 9)}${w('template bytes', 16)}${w('minified bytes', 16)}${w('resources', 11)}\n`);
    for (const r of rows) {
      process.stdout.write(`${r.variant.padEnd(8)}${w(r.medianMs.toFixed(0), 11)}${w(r.minMs.toFixed(0), 9)}${w(r.maxMs.toFixed(0), 9)}`
        + `${w(r.medianCpuMs.toFixed(0), 9)}${w(r.fileBytes, 16)}${w(r.minBytes, 16)}${w(r.resources, 11)}\n`);
    }
    for (const r of rows) process.stdout.write(`  ${r.variant} resource types: ${JSON.stringify(r.counts)}\n`);
    const by = Object.fromEntries(rows.map((r) => [r.variant, r]));
    const ratios: Record<string, number> = {};
    const cpuRatio = (a: string, b: string) => `${(by[a].medianCpuMs / by[b].medianCpuMs).toFixed(2)}x`;
    if (by.ours && by.l1) {
      ratios.timeOursOverL1 = by.ours.medianMs / by.l1.medianMs;
      ratios.cpuOursOverL1 = by.ours.medianCpuMs / by.l1.medianCpuMs;
      ratios.bytesOursOverL1 = by.ours.fileBytes / by.l1.fileBytes;
      process.stdout.write(`ours / L1    : synth time ${ratios.timeOursOverL1.toFixed(2)}x (target <= 1.30x: ${ratios.timeOursOverL1 <= 1.3 ? 'met' : 'MISSED'}),`
        + ` cpu ${cpuRatio('ours', 'l1')}, template bytes ${ratios.bytesOursOverL1.toFixed(3)}x\n`);
      // The spread of the same ratio within the run: each round measures both variants, so their ratio per round
      // shows how far one run's verdict can be trusted.
      const perRound = times.ours.map((t, r) => t / times.l1[r]);
      const [q1, q3] = quartiles(perRound);
      process.stdout.write(`               per-round ratio: median ${median(perRound).toFixed(2)}x, quartiles ${q1.toFixed(2)}x-${q3.toFixed(2)}x`
        + ` over ${perRound.length} rounds\n`);
    }
    if (by.ours && by.alpha) {
      ratios.timeOursOverAlpha = by.ours.medianMs / by.alpha.medianMs;
      ratios.cpuOursOverAlpha = by.ours.medianCpuMs / by.alpha.medianCpuMs;
      ratios.bytesOursOverAlpha = by.ours.fileBytes / by.alpha.fileBytes;
      process.stdout.write(`ours / alpha : synth time ${ratios.timeOursOverAlpha.toFixed(2)}x (target <= 1.00x: ${ratios.timeOursOverAlpha <= 1 ? 'met' : 'MISSED'}),`
        + ` cpu ${cpuRatio('ours', 'alpha')}, template bytes ${ratios.bytesOursOverAlpha.toFixed(3)}x\n`);
    }
    if (by.alpha && by.l1) {
      process.stdout.write(`alpha / L1   : synth time ${(by.alpha.medianMs / by.l1.medianMs).toFixed(2)}x, cpu ${cpuRatio('alpha', 'l1')},`
        + ` template bytes ${(by.alpha.fileBytes / by.l1.fileBytes).toFixed(3)}x\n`);
    }
    if (by.nested && by.l1 && by.ours) {
      ratios.timeNestedOverL1 = by.nested.medianMs / by.l1.medianMs;
      ratios.timeOursOverNested = by.ours.medianMs / by.nested.medianMs;
      process.stdout.write(`nested / L1  : synth time ${ratios.timeNestedOverL1.toFixed(2)}x, cpu ${cpuRatio('nested', 'l1')}`
        + ' (the same L1 resources at the construct paths of ours: aws-cdk-lib\'s cost of nesting)\n');
      process.stdout.write(`ours / nested: synth time ${ratios.timeOursOverNested.toFixed(2)}x, cpu ${cpuRatio('ours', 'nested')}`
        + ' (what this library adds to an identical template and tree shape)\n');
    }
    if (by.floor && by.l1) {
      ratios.timeFloorOverL1 = by.floor.medianMs / by.l1.medianMs;
      process.stdout.write(`floor / L1   : synth time ${ratios.timeFloorOverL1.toFixed(2)}x, cpu ${cpuRatio('floor', 'l1')}`
        + ' (aws-cdk-lib\'s L2 iam.Role + iam.InstanceProfile instead of CfnRole + CfnInstanceProfile, nothing else)\n');
    }
    if (by.ours && by.floor) {
      ratios.timeOursOverFloor = by.ours.medianMs / by.floor.medianMs;
      process.stdout.write(`ours / floor : synth time ${ratios.timeOursOverFloor.toFixed(2)}x, cpu ${cpuRatio('ours', 'floor')}\n`);
    }
    return { rows, ratios };
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
}

if (require.main === module) {
  // BENCH_PART=distributions or infrastructure measures one half of the stack (to see where the time goes).
  const part = process.env.BENCH_PART;
  runSynthBench(undefined, part === 'distributions' ? { ...FULL_SIZE, infrastructures: 0 }
    : part === 'infrastructure' ? { ...FULL_SIZE, distributions: 0 } : FULL_SIZE);
}
