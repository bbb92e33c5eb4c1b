import { Stack, Token } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { isUnresolved } from './validation';

/*
 * Resolves the one subnet an infrastructure configuration launches build and test instances in. Problems are not
 * thrown: they are returned in the choice and reported at synth with every other problem (infrastructure-validation.ts).
 */

/** Identifies a subnet in an error message: its ID when known, else its construct path. */
export interface SubnetDescription {
  readonly subnetId: string;
  readonly path: string;
  /** Undefined for subnets imported without their zone. */
  readonly availabilityZone?: string;
}

/** The outcome of resolving a VPC's subnet selection. */
export interface SubnetChoice {
  /** Whether the user gave a subnet selection (else the VPC's default selection was taken). */
  readonly explicit: boolean;
  readonly subnets: SubnetDescription[];
  readonly selected?: SubnetDescription;
  /** Why the VPC could not resolve the selection. */
  readonly error?: string;
  /** The selection involves zones that are tokens and could not be matched at synth: no subnet is known. */
  readonly undecided?: boolean;
}

/** The warning of a choice that is `undecided`. */
export const UNDECIDED_SUBNET_WARNING = 'subnetSelection: its availabilityZones (or zone filters) or the zones of the VPC\'s '
  + 'subnets are deploy-time values that cannot be compared at synth, so no subnet was selected and SubnetId is left out '
  + '(Image Builder then uses the default VPC, which does not match security groups of this VPC); select the subnet with '
  + '`subnets: [subnet]` instead';

export function describeSubnet(subnet: SubnetDescription): string {
  return Token.isUnresolved(subnet.subnetId) ? subnet.path : subnet.subnetId;
}

/**
 * Resolves the one subnet to launch in. Without an explicit selection, takes the VPC's default selection and
 * prefers a subnet in the placement zone. `stack` resolves zones that are tokens (see `selectSubnetByTokenZones`).
 */
export function selectSubnet(
  stack: Stack, vpc: ec2.IVpc, selection: ec2.SubnetSelection | undefined, zone: string | undefined,
): SubnetChoice {
  let subnets: SubnetDescription[];
  try {
    subnets = vpc.selectSubnets(selection).subnets.map(subnetDescription);
    if (subnets.length === 0 && selection !== undefined
      && (selection.availabilityZones !== undefined || selection.subnetFilters?.some(f => zonesOfFilter(f) !== undefined))) {
      return selectSubnetByTokenZones(stack, vpc, selection);
    }
  } catch (e) {
    return { explicit: selection !== undefined, subnets: [], error: (e as Error).message };
  }
  if (selection !== undefined) {
    return { explicit: true, subnets, selected: subnets.length === 1 ? subnets[0] : undefined };
  }
  const inZone = zone !== undefined && !Token.isUnresolved(zone) ? subnets.find(s => s.availabilityZone === zone) : undefined;
  return { explicit: false, subnets, selected: inZone ?? subnets[0] };
}

/**
 * `vpc.selectSubnets` compares zones as strings, so a zone that is a token (such as `Fn.select(0, Fn.getAzs())`, or
 * the zones of a VPC in an environment-agnostic stack) matches no subnet even when it is the subnet's zone at deploy
 * time. When the selection found nothing and a zone on either side is a token, the zones are compared by what they
 * resolve to instead (`{ "Fn::Select": [0, { "Fn::GetAZs": "" }] }` on both sides is the same zone). If that does
 * not find a subnet either, the subnet cannot be known at synth: the choice is `undecided`, the exactly-one-subnet
 * check is skipped, no subnet is chosen, and the construct warns. Zones given as `SubnetFilter.availabilityZones(...)`
 * are compared the same way; taking those filters out and applying them afterwards selects the same subnets, because
 * every filter of aws-cdk-lib either tests each subnet on its own or keeps the first subnet of each zone.
 */
function selectSubnetByTokenZones(stack: Stack, vpc: ec2.IVpc, selection: ec2.SubnetSelection): SubnetChoice {
  const filters = selection.subnetFilters ?? [];
  const filterZones = filters.map(zonesOfFilter);
  // Every constraint must hold: the selection's zones and each zone filter's.
  const constraints = [selection.availabilityZones, ...filterZones].filter((zones): zones is string[] => zones !== undefined);
  const candidates = vpc.selectSubnets({
    ...selection,
    availabilityZones: undefined,
    subnetFilters: filters.filter((_, i) => filterZones[i] === undefined),
  }).subnets.map(subnetDescription);
  const tokens = constraints.some(zones => zones.some(isUnresolved))
    || candidates.some(s => s.availabilityZone === undefined || isUnresolved(s.availabilityZone));
  if (!tokens) {
    return { explicit: true, subnets: [] };
  }
  const matched = candidates.filter(s => s.availabilityZone !== undefined
    && constraints.every(zones => zones.some(z => sameZone(stack, z, s.availabilityZone!))));
  if (matched.length > 0) {
    return { explicit: true, subnets: matched, selected: matched.length === 1 ? matched[0] : undefined };
  }
  return { explicit: true, subnets: [], undecided: true };
}

/**
 * The zones of an aws-cdk-lib `SubnetFilter.availabilityZones(...)` filter, which keeps them in a field its typings call
 * private; undefined for any other filter.
 */
function zonesOfFilter(filter: ec2.SubnetFilter): string[] | undefined {
  const zones: unknown = (filter as unknown as { availabilityZones?: unknown }).availabilityZones;
  return Array.isArray(zones) && zones.every(z => typeof z === 'string') ? zones : undefined;
}

/** Whether two zones are the same: equal strings, or tokens that resolve to the same expression. */
function sameZone(stack: Stack, a: string, b: string): boolean {
  if (a === b) return true;
  if (!isUnresolved(a) && !isUnresolved(b)) return false;
  try {
    return JSON.stringify(stack.resolve(a)) === JSON.stringify(stack.resolve(b));
  } catch {
    return false;
  }
}

function subnetDescription(subnet: ec2.ISubnet): SubnetDescription {
  let availabilityZone: string | undefined;
  try {
    availabilityZone = subnet.availabilityZone;
  } catch {
    // Subnets imported by ID alone have no known zone.
    availabilityZone = undefined;
  }
  return { subnetId: subnet.subnetId, path: subnet.node.path, availabilityZone };
}
