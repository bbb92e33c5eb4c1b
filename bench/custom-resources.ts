/**
 * Custom-resource benchmark (issue 7): the custom-resource provider must be shared, so the number of resources it
 * puts in a stack stays the same whether the stack uses the custom-resource constructs once, 10 or 100 times; and
 * what each extra use costs in template bytes.
 *
 * Three kinds of use, each in its own stack, built 1, 10 and 100 times:
 * - `DistributeImage` of an AMI (`DistributeImageSource.fromAmiId`) with an imported distribution configuration;
 * - `DistributionConfigurationPatch` of an imported distribution configuration with `addTargetAccounts`;
 * - `DistributionConfiguration` with an AMI distribution that has an `s3Export` (the export is applied by a patch
 *   custom resource). The export role and bucket are created once per stack and shared by every use, so the bytes
 *   per use are what the library adds per configuration (the configuration, its patch resource, the statements it
 *   adds to the provider's role), not a new role and bucket each time.
 * Each use names its own distribution configuration, so the provider's role gets statements for every one of them.
 *
 * Provider resources are every CloudFormation resource under the stack's `ImageBuilderDistributionProvider`
 * construct (Lambda functions, IAM roles and policies, the waiter state machine, the log group...); each of them is
 * checked to be in the synthesized template. Template bytes are those of the `*.template.json` file aws-cdk-lib
 * writes (indented), and of its minified JSON; bytes per extra use = (bytes(100) - bytes(1)) / 99.
 *
 * Needs the handler bundle: `npx ts-node --project test/tsconfig.json scripts/bundle-handler.ts` (the projen `bench`
 * task runs it first). aws-cdk-lib's synth-time template validation is switched off (CDK_VALIDATION=false): this
 * benchmark counts resources and bytes, nothing is timed. The jest test test/provider-sharing.test.ts asserts the
 * same property with every template validated.
 */
import * as fs from 'fs';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  DiskImageFormat,
  DistributeImage,
  DistributeImageSource,
  DistributionConfiguration,
  DistributionConfigurationPatch,
} from '../src';

/** The id under which the shared provider is created in the stack (src/private/provider.ts). */
export const PROVIDER_ID = 'ImageBuilderDistributionProvider';

export type CustomResourceUse = 'DistributeImage' | 'DistributionConfigurationPatch' | 'S3Export';
export const CUSTOM_RESOURCE_USES: CustomResourceUse[] = ['DistributeImage', 'DistributionConfigurationPatch', 'S3Export'];
export const USE_COUNTS = [1, 10, 100];

const ENV = { account: '111111111111', region: 'us-east-1' };
const configArn = (i: number) => `arn:aws:imagebuilder:us-east-1:111111111111:distribution-configuration/config-${i}`;

/** A stack that uses one custom-resource construct `uses` times. */
export function buildCustomResourceStack(kind: CustomResourceUse, uses: number): Stack {
  // 100 DistributeImage uses make about 515 resources (each has its execution role and handler role, with policies),
  // above CloudFormation's 500 per stack: lifted for synthesis, which is all this measures.
  const app = new App({ context: { '@aws-cdk/core:stackResourceLimit': 2000 } });
  const stack = new Stack(app, `CustomResources-${kind}-${uses}`, { env: ENV });
  Validations.of(stack).acknowledge({
    id: 'CloudFormation-Validate::F0007',
    reason: 'Synthesized only, to count the provider resources at 100 uses; a deployable stack stays under 500 resources',
  });
  let exportRole: iam.Role | undefined;
  let exportBucket: s3.Bucket | undefined;
  for (let i = 0; i < uses; i++) {
    switch (kind) {
      case 'DistributeImage':
        new DistributeImage(stack, `Distribute${i}`, {
          source: DistributeImageSource.fromAmiId('ami-0123456789abcdef0'),
          distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(stack, `Config${i}`, configArn(i)),
        });
        break;
      case 'DistributionConfigurationPatch':
        new DistributionConfigurationPatch(stack, `Patch${i}`, {
          distributionConfiguration: DistributionConfiguration.fromDistributionConfigurationArn(stack, `Config${i}`, configArn(i)),
        }).addTargetAccounts('eu-west-1', '222222222222');
        break;
      case 'S3Export':
        exportRole ??= new iam.Role(stack, 'ExportRole', { assumedBy: new iam.ServicePrincipal('vmie.amazonaws.com') });
        exportBucket ??= new s3.Bucket(stack, 'ExportBucket');
        new DistributionConfiguration(stack, `Config${i}`, {
          distributionConfigurationName: `config-${i}`,
          amiDistributions: [{
            amiName: `ami-${i}-{{ imagebuilder:buildDate }}`,
            s3Export: { role: exportRole, bucket: exportBucket, diskImageFormat: DiskImageFormat.VMDK, prefix: 'exports/' },
          }],
        });
        break;
    }
  }
  return stack;
}

/** CloudFormation resources under the stack's provider construct, by type (empty when there is no provider). */
export function providerResourceCounts(stack: Stack): Record<string, number> {
  const provider = stack.node.tryFindChild(PROVIDER_ID);
  const counts: Record<string, number> = {};
  for (const c of provider?.node.findAll() ?? []) {
    if (CfnResource.isCfnResource(c)) counts[c.cfnResourceType] = (counts[c.cfnResourceType] ?? 0) + 1;
  }
  return counts;
}

export const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export interface CustomResourceMeasure {
  readonly kind: CustomResourceUse;
  readonly uses: number;
  /** Provider resources by type. */
  readonly provider: Record<string, number>;
  /** All resources of the template. */
  readonly stackResources: number;
  readonly fileBytes: number;
  readonly minBytes: number;
}

/** Synthesizes one stack and measures it. Throws if a provider resource is missing from the template. */
export function measureCustomResourceStack(kind: CustomResourceUse, uses: number): CustomResourceMeasure {
  const stack = buildCustomResourceStack(kind, uses);
  const assembly = (stack.node.root as App).synth();
  try {
    const artifact = assembly.getStackByName(stack.stackName);
    const template = artifact.template;
    const provider = providerResourceCounts(stack);
    const providerNode = stack.node.findChild(PROVIDER_ID);
    for (const c of providerNode.node.findAll()) {
      if (CfnResource.isCfnResource(c) && !(stack.resolve(c.logicalId) in template.Resources)) {
        throw new Error(`${c.node.path} is not in the template of ${stack.stackName}`);
      }
    }
    return {
      kind,
      uses,
      provider,
      stackResources: Object.keys(template.Resources ?? {}).length,
      fileBytes: fs.statSync(artifact.templateFullPath).size,
      minBytes: Buffer.byteLength(JSON.stringify(template)),
    };
  } finally {
    fs.rmSync(assembly.directory, { recursive: true, force: true });
  }
}

/** Runs the custom-resource benchmark and prints its table; returns the measurements. */
export function runCustomResourceBench(): CustomResourceMeasure[] {
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const results: CustomResourceMeasure[] = [];
    const w = (s: string | number, n: number) => String(s).padStart(n);
    process.stdout.write('\nCustom-resource benchmark: provider resources per stack and template bytes per extra use '
      + `(${USE_COUNTS.join(' / ')} uses of each construct, one stack each)\n`);
    process.stdout.write(`${'construct'.padEnd(32)}${w('uses', 5)}${w('provider res.', 15)}${w('stack res.', 12)}${w('template bytes', 16)}${w('minified', 10)}\n`);
    for (const kind of CUSTOM_RESOURCE_USES) {
      const rows = USE_COUNTS.map((n) => measureCustomResourceStack(kind, n));
      results.push(...rows);
      for (const r of rows) {
        process.stdout.write(`${kind.padEnd(32)}${w(r.uses, 5)}${w(total(r.provider), 15)}${w(r.stackResources, 12)}${w(r.fileBytes, 16)}${w(r.minBytes, 10)}\n`);
      }
      const first = rows[0];
      const last = rows[rows.length - 1];
      const constant = rows.every((r) => JSON.stringify(r.provider) === JSON.stringify(first.provider));
      const span = last.uses - first.uses;
      process.stdout.write(`  provider resources constant: ${constant ? 'yes' : 'NO'} ${JSON.stringify(first.provider)}`
        + `${constant ? '' : ` vs ${JSON.stringify(last.provider)}`}\n`);
      process.stdout.write(`  per extra use: ${((last.fileBytes - first.fileBytes) / span).toFixed(0)} template bytes`
        + ` (${((last.minBytes - first.minBytes) / span).toFixed(0)} minified),`
        + ` ${((last.stackResources - first.stackResources) / span).toFixed(2)} resources\n`);
    }
    return results;
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
}

if (require.main === module) {
  runCustomResourceBench();
}
