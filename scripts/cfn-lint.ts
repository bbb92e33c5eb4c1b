/**
 * Lints CloudFormation templates with cfn-lint (AWS's CloudFormation linter: the registry schemas with their patterns
 * and enumerations, plus rules on references, IAM policies, parameters and limits), a validator independent of the two
 * the jest setup runs on every synthesis.
 *
 *   ts-node scripts/cfn-lint.ts [--reset] [dir-or-template ...]
 *
 * Without arguments it lints every template the jest run collected (test/util/jest-setup.ts writes them to
 * test/.cfn-lint/ when CFN_LINT_TEMPLATES is set, as the test task does) and the integ snapshots' templates.
 * `--reset` only empties the collection directory (the test task runs it before jest).
 *
 * A finding fails the run unless ALLOWED below excuses it with a reason. First a known-bad template must produce the
 * findings this project relies on, so a cfn-lint that checks nothing cannot pass. cfn-lint is a Python tool from PyPI,
 * which CI cannot install: where it is not on PATH the step says so and passes, unless CFN_LINT_REQUIRED=1.
 */
import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { cpus, tmpdir } from 'os';
import { join, relative } from 'path';

const ROOT = join(__dirname, '..');
const COLLECTED = join(ROOT, 'test', '.cfn-lint');
const INTEG = join(ROOT, 'test', 'integ');

interface Finding {
  readonly Filename: string;
  readonly Level: string;
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: Array<string | number> };
}

interface Allowance {
  readonly rule: string;
  readonly reason: string;
  /** Narrows the allowance; without it, every finding of the rule is allowed. */
  readonly when?: (finding: Finding, origin: string, template: any) => boolean;
}

const ALLOWED: Allowance[] = [
  {
    rule: 'W3005',
    reason: 'a dependency on a construct (a role) becomes DependsOn on each of its resources: the role, also referenced '
      + 'by GetAtt, and its DefaultPolicy, the edge that matters. aws-cdk-lib\'s own Lambda functions do the same.',
  },
  {
    rule: 'W3010',
    reason: 'the dummy Availability Zones aws-cdk-lib returns for a VPC lookup without context (tests only)',
    when: f => /'dummy1[a-z]'/.test(f.Message),
  },
  {
    rule: 'W3045',
    reason: 'aws-cdk-lib gives a bucket that receives its own server access logs the LogDeliveryWrite ACL (tests and '
      + 'example buckets; the library creates no bucket)',
    when: (f, _origin, template) => {
      const resource = template.Resources?.[String(f.Location.Path[1])];
      return resource?.Type === 'AWS::S3::Bucket' && resource.Properties?.AccessControl === 'LogDeliveryWrite';
    },
  },
  {
    rule: 'W2001',
    reason: 'SSM parameter imports made on purpose to test the ssmParameterResolvedAtDeployment warning, the rendering '
      + 'of `parameter` and sources imported by ARN (aws-cdk-lib adds an SSM-typed CloudFormation parameter for each)',
    when: (f, origin, template) => template.Parameters?.[String(f.Location.Path[1])]?.Type?.startsWith('AWS::SSM::Parameter::Value<')
      && /at deployment is warned about|renders Region-level AMI settings|ssmParameterResolvedAtDeployment\b|a parameter imported by ARN is sent by its ARN/.test(origin),
  },
  {
    rule: 'E3010',
    reason: 'the provider-sharing test builds 100 DistributeImage uses in one stack to show the provider stays one; '
      + 'CloudFormation\'s 500-resource limit is the user\'s to respect',
    when: (_f, origin) => origin.startsWith('test/provider-sharing.test.ts'),
  },
];

/** Findings cfn-lint must report for SELF_CHECK, or it is not checking what this project relies on. */
const SELF_CHECK_EXPECTED = [
  { rule: 'E3002', what: 'a camelCase key inside AmiDistributionConfiguration (aws/aws-cdk#26912)', path: 'amiTags' },
  { rule: 'E3031', what: 'an SSM parameter name outside the registry pattern', path: 'ParameterName' },
  { rule: 'E3030', what: 'an HttpTokens value outside the enumeration', path: 'HttpTokens' },
];
const SELF_CHECK = {
  Resources: {
    Dist: {
      Type: 'AWS::ImageBuilder::DistributionConfiguration',
      Properties: {
        Name: 'self-check',
        Distributions: [{
          Region: 'us-east-1',
          AmiDistributionConfiguration: { Name: 'ami-{{ imagebuilder:buildDate }}', amiTags: { team: 'platform' } },
          SsmParameterConfigurations: [{ ParameterName: '/golden/bad name' }],
        }],
      },
    },
    Infra: {
      Type: 'AWS::ImageBuilder::InfrastructureConfiguration',
      Properties: { Name: 'self-check', InstanceProfileName: 'profile', InstanceMetadataOptions: { HttpTokens: 'sometimes' } },
    },
  },
};

function templatesIn(target: string): string[] {
  if (!existsSync(target)) return [];
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target).flatMap((entry) => {
    const full = join(target, entry);
    if (statSync(full).isDirectory()) return entry.endsWith('.snapshot') ? templatesIn(full) : [];
    return entry.endsWith('.json') && (target === COLLECTED || entry.endsWith('.template.json')) ? [full] : [];
  });
}

function hasResources(file: string): boolean {
  return Object.keys(JSON.parse(readFileSync(file, 'utf-8')).Resources ?? {}).length > 0;
}

function originOf(file: string): string {
  const origin = `${file}.origin`;
  return existsSync(origin) ? readFileSync(origin, 'utf-8').trim() : relative(ROOT, file);
}

/** Runs cfn-lint on the files in `jobs` parallel processes and returns every finding. */
async function lint(files: string[], jobs: number): Promise<Finding[]> {
  const chunks: string[][] = Array.from({ length: Math.min(jobs, files.length) }, () => []);
  files.forEach((f, i) => chunks[i % chunks.length].push(f));
  const results = await Promise.all(chunks.map(chunk => new Promise<Finding[]>((resolve, reject) => {
    const child = spawn('cfn-lint', ['--format', 'json', '--', ...chunk], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      // cfn-lint exits non-zero whenever it reports a finding; only output that is not a JSON list is a failure.
      try {
        resolve(out.trim() === '' ? [] : JSON.parse(out));
      } catch {
        reject(new Error(`cfn-lint exited with ${code} without a JSON report:\n${out}\n${err}`));
      }
    });
  })));
  return results.flat();
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args[0] === '--reset') {
    rmSync(COLLECTED, { recursive: true, force: true });
    return 0;
  }
  const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf-8' });
  if (version.error || version.status !== 0) {
    const required = process.env.CFN_LINT_REQUIRED === '1';
    console.log(`cfn-lint: not on PATH, ${required ? 'but CFN_LINT_REQUIRED=1: failing' : 'skipped'} (it comes from PyPI: pip install cfn-lint)`);
    return required ? 1 : 0;
  }
  const started = Date.now();

  const scratch = mkdtempSync(join(tmpdir(), 'cfn-lint-self-check-'));
  const selfCheck = join(scratch, 'self-check.json');
  writeFileSync(selfCheck, JSON.stringify(SELF_CHECK, undefined, 1));
  const selfFindings = await lint([selfCheck], 1);
  rmSync(scratch, { recursive: true, force: true });
  const missing = SELF_CHECK_EXPECTED.filter(e => !selfFindings.some(f => f.Rule.Id === e.rule && f.Location.Path.includes(e.path)));
  if (missing.length > 0) {
    console.error(`cfn-lint (${version.stdout.trim()}) did not report ${missing.map(m => `${m.rule} for ${m.what}`).join('; ')}: `
      + 'it would not catch what this check is for.');
    return 1;
  }

  const targets = args.length > 0 ? args : [COLLECTED, INTEG];
  const files = targets.flatMap(templatesIn).filter(hasResources);
  if (files.length === 0) {
    console.error(`cfn-lint: no template with resources in ${targets.map(t => relative(ROOT, t)).join(', ')}; `
      + 'run the jest suite with CFN_LINT_TEMPLATES set (the test task does) first');
    return 1;
  }
  const findings = await lint(files, Math.max(1, cpus().length));

  const templates = new Map<string, any>();
  const allowedCount = new Map<string, number>();
  const failures: string[] = [];
  for (const finding of findings) {
    const origin = originOf(finding.Filename);
    if (!templates.has(finding.Filename)) templates.set(finding.Filename, JSON.parse(readFileSync(finding.Filename, 'utf-8')));
    const allowance = ALLOWED.find(a => a.rule === finding.Rule.Id && (a.when?.(finding, origin, templates.get(finding.Filename)) ?? true));
    if (allowance) {
      allowedCount.set(allowance.rule, (allowedCount.get(allowance.rule) ?? 0) + 1);
    } else {
      failures.push(`${finding.Level} ${finding.Rule.Id} at ${finding.Location.Path.join('.')}: ${finding.Message}\n    from ${origin} (${relative(ROOT, finding.Filename)})`);
    }
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`cfn-lint ${version.stdout.trim().replace(/^cfn-lint /, '')}: ${files.length} templates, ${findings.length} findings, `
    + `${failures.length} not allowed, ${seconds} s (self-check: ${SELF_CHECK_EXPECTED.map(e => e.rule).join(', ')} reported)`);
  for (const a of ALLOWED) {
    if (allowedCount.has(a.rule)) console.log(`  allowed ${a.rule} x${allowedCount.get(a.rule)}: ${a.reason}`);
  }
  if (failures.length > 0) {
    console.error(`\n${failures.join('\n')}`);
    return 1;
  }
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  console.error(e);
  process.exitCode = 1;
});
