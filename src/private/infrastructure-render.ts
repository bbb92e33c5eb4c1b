import { Token } from 'aws-cdk-lib';
import { MIN_CONTAINER_HOP_LIMIT, type PlacementInput } from './infrastructure-validation';

/*
 * Pure functions that turn the typed props of InfrastructureConfiguration into CloudFormation properties. Nothing here
 * creates constructs, so each can be tested on plain values. The rules live in infrastructure-validation.ts.
 */

/**
 * The object key pattern the build instances may write their logs to: everything under the prefix, or the whole
 * bucket when there is no prefix. A trailing slash of the prefix is ignored so that `logs` and `logs/` both give
 * `logs/*` (never `logs//*`, and never `logs*`, which would also match `logs-of-another-team/...`).
 */
export function logObjectKeyPattern(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '') return '*';
  if (Token.isUnresolved(prefix)) return `${prefix}/*`;
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '*' : `${trimmed}/*`;
}

/** The CloudFormation `Placement` property, or undefined when nothing is set (Image Builder's defaults). */
export function renderPlacement(placement: PlacementInput | undefined): PlacementInput | undefined {
  if (!placement) return undefined;
  const rendered: PlacementInput = {
    availabilityZone: placement.availabilityZone,
    tenancy: placement.tenancy,
    hostId: placement.hostId,
    hostResourceGroupArn: placement.hostResourceGroupArn,
  };
  return Object.values(rendered).some(v => v !== undefined) ? rendered : undefined;
}

/** The default hop limit: one hop, the API's own default, except for container builds, which need two. */
export function defaultHopLimit(containerBuilds: boolean): number {
  return containerBuilds ? MIN_CONTAINER_HOP_LIMIT : 1;
}
