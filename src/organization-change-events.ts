import { Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { organizationChangePattern } from './private/organization-change-pattern';
import { ACCOUNT_ID_PATTERN } from './private/patterns';
import { addValidation, isUnresolved, validateNotEmpty, validateRegion } from './private/validation';

/**
 * An account and Region whose default event bus receives the organization's change events.
 */
export interface OrganizationChangeDestination {
  /** The distributing account. */
  readonly account: string;
  /** The Region of its stack (where `OrganizationDistributionTargets` refreshes on these events). */
  readonly region: string;
}

/**
 * Properties of an `OrganizationChangeEvents`.
 */
export interface OrganizationChangeEventsProps {
  /** The default event buses to forward the events to. */
  readonly destinations: OrganizationChangeDestination[];
}

/**
 * For the stack of the organization's management account in us-east-1 (where Organizations' events arrive): forwards
 * the events of accounts joining, moving and leaving to the default event bus of the distributing accounts, whose
 * `OrganizationDistributionTargets` with `refreshOnOrganizationChanges` then resolve their accounts again.
 */
export class OrganizationChangeEvents extends Construct {
  /** The rule that forwards the events. */
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: OrganizationChangeEventsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.rule = new events.Rule(this, 'Rule', {
      description: 'cdk-imagebuilder-distribution: forwards AWS Organizations account changes to the accounts that distribute images',
      eventPattern: organizationChangePattern(),
      targets: props.destinations.map((d) => new targets.EventBus(events.EventBus.fromEventBusArn(this, `Bus${d.account}${d.region}`,
        stack.formatArn({ service: 'events', account: d.account, region: d.region, resource: 'event-bus', resourceName: 'default' })))),
    });
    addValidation(this, (errors) => {
      validateNotEmpty(errors, 'destinations', props.destinations);
      props.destinations.forEach((d, i) => {
        if (!isUnresolved(d.account) && !ACCOUNT_ID_PATTERN.test(d.account)) errors.add(`destinations[${i}].account`, d.account, 'must be a 12-digit AWS account ID');
        validateRegion(errors, `destinations[${i}].region`, d.region);
      });
      if (!Token.isUnresolved(stack.region) && !['us-east-1', 'cn-northwest-1', 'us-gov-west-1'].includes(stack.region)) {
        errors.add('stack region', stack.region, 'must be Organizations\' home Region, where its events arrive: us-east-1 '
          + '(cn-northwest-1 in China, us-gov-west-1 in GovCloud)');
      }
    });
  }
}
