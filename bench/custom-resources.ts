/**
 * Custom-resource benchmark: PLACEHOLDER, not implemented yet.
 *
 * To measure (issue 7): provider resources per stack with 1, 10 and 100 uses of each custom-resource construct
 * (S3 disk-image export via DistributionConfiguration s3Export, DistributionConfigurationPatch, DistributeImage); the
 * count must stay constant as uses grow; and template bytes per extra use ((bytes(100) - bytes(10)) / 90).
 *
 * It depends on the custom-resource constructs the coordinator is finishing; no figure is printed until it is written.
 * Shape expected by bench/run.ts: `runCustomResourceBench(): void` printing its own table.
 */
export function runCustomResourceBench(): void {
  process.stdout.write('\nCustom-resource benchmark: not implemented yet (placeholder in bench/custom-resources.ts); no figures.\n');
}
