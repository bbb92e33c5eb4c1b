/**
 * Doc tests: every ```ts block in README.md and docs/*.md is compiled against the packed npm package and run, as a
 * user would paste it into a new app, and the apps it creates are synthesized. A block that does not compile, throws,
 * leaves a warning, needs a context lookup (AWS credentials) or makes a template a validator rejects fails the test.
 *
 * The package is what `npm pack` makes of the compiled library (lib/, .jsii, assets/handler: the files of the tarball
 * that projen's package:js publishes), unpacked into a new app outside the repository next to links to this
 * repository's aws-cdk-lib and constructs. One TypeScript program compiles every block; one Node.js process runs them
 * all, each App writing to its own directory (CDK_OUTDIR makes aws-cdk-lib synthesize it before the process exits,
 * as under `cdk synth`; the runner triggers that after each block).
 *
 * Markers, as an HTML comment on the line before the fence (see CONTRIBUTING.md):
 * - `<!-- doctest: skip -->`: not checked (a deliberately partial block);
 * - `<!-- doctest: compile-only -->`: compiled, not run.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cxapi from 'aws-cdk-lib/cx-api';
import * as ts from 'typescript';
import {
  DiskImageFormat,
  DistributeImage,
  DistributeImageSource,
  DistributionConfiguration,
  DistributionConfigurationPatch,
} from '../src';
import { ensureCompiled } from './util/compiled';
import { validateAssembly } from './util/jest-setup';

const root = path.join(__dirname, '..');
const PACKAGE = 'cdk-imagebuilder-distribution';

interface Snippet {
  /** `README.md:42`: the line of the opening fence. */
  readonly where: string;
  readonly code: string;
  readonly run: boolean;
}

/** Every ```ts / ```typescript block of README.md and docs/*.md, in order, with its marker. */
export function extractSnippets(): Snippet[] {
  const docs = fs.existsSync(path.join(root, 'docs'))
    ? fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => path.join('docs', f)) : [];
  const snippets: Snippet[] = [];
  for (const doc of ['README.md', ...docs]) {
    const lines = fs.readFileSync(path.join(root, doc), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
      const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
      if (end < 0) throw new Error(`${doc}:${i + 1}: the code block is not closed`);
      let before = i - 1;
      while (before >= 0 && lines[before].trim() === '') before--;
      const marker = /^<!--\s*doctest:\s*([\w-]+)\s*-->$/.exec(lines[before]?.trim() ?? '')?.[1];
      if (marker !== undefined && marker !== 'skip' && marker !== 'compile-only') {
        throw new Error(`${doc}:${before + 1}: unknown doctest marker "${marker}" (skip or compile-only)`);
      }
      if (marker !== 'skip') {
        snippets.push({ where: `${doc}:${i + 1}`, code: lines.slice(i + 1, end).join('\n'), run: marker !== 'compile-only' });
      }
      i = end;
    }
  }
  return snippets;
}

/** Packs the library as npm would publish it and unpacks it into `app/node_modules`. */
function installPackedPackage(app: string): void {
  // The tarball holds the jsii output: compiled first when src/ changed since (the build has just compiled).
  ensureCompiled();
  if (!fs.existsSync(path.join(root, 'assets', 'handler', 'index.js'))) {
    throw new Error('assets/handler/index.js is missing: run npx projen bundle:handler');
  }
  const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', app], { cwd: root, encoding: 'utf8', stdio: 'pipe' })
    .trim().split('\n').pop()!;
  const modules = path.join(app, 'node_modules');
  fs.mkdirSync(modules, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(app, tarball), '-C', modules], { stdio: 'pipe' });
  fs.renameSync(path.join(modules, 'package'), path.join(modules, PACKAGE));
  // The peer dependencies at the locked versions: links to this repository's copies (one aws-cdk-lib in the process).
  for (const peer of ['aws-cdk-lib', 'constructs']) {
    fs.symlinkSync(path.join(root, 'node_modules', peer), path.join(modules, peer), 'dir');
  }
}

/**
 * The compiler options of the app that `cdk init app --language typescript` creates (the CDK CLI's own template), with
 * emitting switched on so the blocks can run, and the type roots of this repository (the app has no node_modules/@types).
 */
function cdkInitCompilerOptions(outDir: string): ts.CompilerOptions {
  const template = path.join(root, 'node_modules', 'aws-cdk', 'lib', 'init-templates', 'app', 'typescript', 'tsconfig.json');
  const { options, errors } = ts.convertCompilerOptionsFromJson(JSON.parse(fs.readFileSync(template, 'utf8')).compilerOptions, root);
  if (errors.length > 0) throw new Error(errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n')).join('\n'));
  return {
    ...options,
    noEmit: false,
    declaration: false,
    outDir,
    typeRoots: [path.join(root, 'node_modules', '@types')],
    types: ['node'],
  };
}

/** Runs each compiled block in one process and synthesizes the Apps it created, each into `out/<n>`. */
const RUNNER = `
const fs = require('fs');
const path = require('path');
const results = [];
for (const [i, file] of JSON.parse(process.argv[2])) {
  const outdir = path.join(__dirname, 'out', String(i));
  process.env.CDK_OUTDIR = outdir;
  const known = new Set(process.rawListeners('beforeExit'));
  try {
    require(file);
    // Each App created with CDK_OUTDIR set registered its synthesis to run before exit: run it now.
    for (const synth of process.rawListeners('beforeExit').filter((l) => !known.has(l))) synth();
    results.push({ i, outdir: fs.existsSync(outdir) ? outdir : undefined });
  } catch (e) {
    results.push({ i, error: String(e && e.stack || e).split('\\n').slice(0, 6).join('\\n') });
  }
}
fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(results));
`;

const snippets = extractSnippets();

test('README: the two set-up commands for working on the project, each alone in a block, near the top', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const top = readme.split('\n## ').slice(0, 2).join('\n## ');
  const blocks = [...top.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
  expect(blocks).toEqual(['npm install && npx projen synth:example', 'npm install && npx projen build']);
  // CI runs the README's test command exactly.
  expect(fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8')).toContain('\nnpm install && npx projen build\n');
});

test('CONTRIBUTING\'s Layout names every file of src/ and lambda/ (or its folder), so that each concept can be found', () => {
  const layout = fs.readFileSync(path.join(root, 'CONTRIBUTING.md'), 'utf8').split('\n## Layout\n')[1] ?? '';
  const files = (dir: string): string[] => fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (layout.includes(`\`${dir}/${e.name}/\``) ? [] : files(`${dir}/${e.name}`)) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : []);
  expect([...files('src'), ...files('lambda')].filter((f) => !layout.includes(`\`${f}\``))).toEqual([]);
});

test('README: the user guide (from Contents to the end) stays short enough to read in ten minutes', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Contents\n');
  expect(start).toBeGreaterThan(0);
  // Detail goes to docs/*.md; the contributor material to CONTRIBUTING.md.
  expect(readme.slice(start + 1).split('\n').length).toBeLessThan(350);
});

test('README.md and docs/*.md have TypeScript examples', () => {
  expect(snippets.filter((s) => s.where.startsWith('README.md')).length).toBeGreaterThanOrEqual(4);
});

test('every TypeScript example compiles against the packed package, runs and synthesizes without warnings', () => {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'doctest-'));
  try {
    installPackedPackage(app);
    const files = snippets.map((s, i) => {
      const file = path.join(app, `snippet${i}.ts`);
      // `export {}` makes each block a module of its own, as a file of a user's app is.
      fs.writeFileSync(file, `${s.code}\nexport {};\n`);
      return file;
    });
    const program = ts.createProgram(files, cdkInitCompilerOptions(app));
    const emitted = program.emit();
    const where = (file: string | undefined, pos: number | undefined) => {
      if (!file) return '';
      const i = files.indexOf(file);
      const at = program.getSourceFile(file)!.getLineAndCharacterOfPosition(pos ?? 0).line;
      if (i < 0) return `${file}:${at + 1}`;
      const [doc, line] = snippets[i].where.split(':');
      return `${doc}:${Number(line) + 1 + at}`;
    };
    const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics]
      .map((d) => `${where(d.file?.fileName, d.start)} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(diagnostics).toEqual([]);

    // The compiled library resolves from the app, never from this checkout.
    const resolved = require.resolve(PACKAGE, { paths: [app] });
    expect(resolved.startsWith(path.join(app, 'node_modules', PACKAGE))).toBe(true);

    const toRun = snippets.map((_, i) => [i, path.join(app, `snippet${i}.js`)] as const).filter(([i]) => snippets[i].run);
    fs.writeFileSync(path.join(app, 'runner.js'), RUNNER);
    const env = { ...process.env };
    delete env.CDK_OUTDIR;
    execFileSync(process.execPath, [path.join(app, 'runner.js'), JSON.stringify(toRun)], { cwd: app, env, stdio: 'pipe' });
    const results: { i: number; outdir?: string; error?: string }[] = JSON.parse(fs.readFileSync(path.join(app, 'results.json'), 'utf8'));

    const problems: string[] = [];
    for (const { i, outdir, error } of results) {
      const at = snippets[i].where;
      if (error) {
        problems.push(`${at}: ${error}`);
        continue;
      }
      if (!outdir) continue; // the block creates no App (a construct class, say): compiling it is the check
      const assembly = new cxapi.CloudAssembly(outdir);
      for (const missing of assembly.manifest.missing ?? []) {
        problems.push(`${at}: needs a context lookup, which needs AWS credentials: ${missing.key}`);
      }
      for (const stack of assembly.stacksRecursively) {
        for (const m of stack.messages.filter((x) => x.level !== 'info')) {
          problems.push(`${at}: ${m.level} at ${m.id}: ${String(m.entry.data)}`);
        }
      }
      try {
        validateAssembly(assembly);
      } catch (e) {
        problems.push(`${at}: ${(e as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
    expect(results.map((r) => r.i)).toEqual(toRun.map(([i]) => i));
  } finally {
    fs.rmSync(app, { recursive: true, force: true });
  }
}, 600_000);

describe('README: the resources each custom-resource feature adds, as the table states them', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  /** `[first use, each further use]` from the table row of `feature`. */
  function stated(feature: string): [number, number] {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${feature}\``));
    const m = row && /^\|[^|]+\|\s*(\d+)\b[^|]*\|\s*(\d+)\s*\|$/.exec(row);
    if (!m) throw new Error(`README has no resource-count row for ${feature}`);
    return [Number(m[1]), Number(m[2])];
  }
  /** Resources (AWS::CDK::Metadata aside) of a stack with `uses` uses of a feature. */
  function count(uses: number, use: (stack: Stack, i: number) => void): number {
    const app = new App();
    const stack = new Stack(app, 'Counted', { env: { account: '111111111111', region: 'us-east-1' } });
    for (let i = 0; i < uses; i++) use(stack, i);
    return Object.values<any>(app.synth().getStackByName('Counted').template.Resources)
      .filter((r) => r.Type !== 'AWS::CDK::Metadata').length;
  }
  const imported = (stack: Stack, i: number) => DistributionConfiguration.fromDistributionConfigurationName(stack, `Shared${i}`, `shared-${i}`);
  const features: Record<string, (stack: Stack, i: number) => void> = {
    DistributionConfigurationPatch: (stack, i) => new DistributionConfigurationPatch(stack, `Patch${i}`, {
      distributionConfiguration: imported(stack, i),
    }).addTargetAccounts('us-east-1', '222222222222'),
    DistributeImage: (stack, i) => new DistributeImage(stack, `Release${i}`, {
      source: DistributeImageSource.fromAmiId('ami-0123456789abcdef0'),
      distributionConfiguration: imported(stack, i),
    }),
    DistributionConfiguration: (stack, i) => new DistributionConfiguration(stack, `Golden${i}`, {
      amiDistributions: [{
        amiName: 'golden-{{ imagebuilder:buildDate }}',
        s3Export: {
          role: (stack.node.tryFindChild('VmImport') as iam.IRole) ?? iam.Role.fromRoleName(stack, 'VmImport', 'vmimport'),
          bucket: (stack.node.tryFindChild('Exports') as s3.IBucket) ?? s3.Bucket.fromBucketName(stack, 'Exports', 'my-vm-exports'),
          diskImageFormat: DiskImageFormat.VHD,
        },
      }],
    }),
  };
  test.each(Object.keys(features))('%s', (feature) => {
    const one = count(1, features[feature]);
    expect([one, count(2, features[feature]) - one]).toEqual(stated(feature));
  });
});
