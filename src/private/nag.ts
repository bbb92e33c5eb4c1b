import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/*
 * Acknowledgements of cdk-nag (v3) findings that are inherent to what a construct of this library does. cdk-nag v3
 * reads them from aws-cdk-lib's acknowledged-rules metadata (what `Validations.of(scope).acknowledge()` writes) on the
 * resource or any of its ancestors, so the library needs no dependency on cdk-nag. Each call sits next to the code
 * that causes the finding. IAM5 findings are acknowledged one by one, for the exact wildcard (as cdk-nag names it),
 * never for the whole rule.
 */

/**
 * Acknowledges one cdk-nag finding id (`AwsSolutions-L1`, `AwsSolutions-IAM5[Resource::*]`...) on `scope` and below.
 *
 * Writes the same metadata entry as `Validations.of(scope).acknowledge()`, without what that call adds for
 * annotation warnings (none of these ids is one) and without its captured stack trace, which is costly in a stack
 * with hundreds of these constructs.
 */
export function acknowledgeNag(scope: IConstruct, id: string, reason: string): void {
  scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [`Annotation::${id}`]: reason }, { stackTrace: false });
}

/** Acknowledges the AwsSolutions-IAM5 finding for one wildcard resource (a string that may hold tokens). */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  acknowledgeNag(scope, `AwsSolutions-IAM5[Resource::${nagFlatten(Stack.of(scope).resolve(resource))}]`, reason);
}

/**
 * Acknowledges the AwsSolutions-IAM4 findings for AWS managed policies, by name (`service-role/...` included), in one
 * metadata entry (cdk-nag reads every id of an entry).
 */
export function acknowledgeManagedPolicies(scope: IConstruct, policyNames: string[], reason: string): void {
  const ids = Object.fromEntries(policyNames.map(name =>
    [`Annotation::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`, reason]));
  scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, ids, { stackTrace: false });
}

/**
 * A resolved CloudFormation value as cdk-nag prints it in a finding id: `Ref` as `<Id>`, `Fn::GetAtt` as `<Id.Attr>`,
 * `Fn::Join` concatenated, `${X}` of `Fn::Sub` as `<X>`.
 */
export function nagFlatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\${/g, '<').replace(/}/g, '>');
  const o = node as Record<string, any>;
  if (o['Fn::Join']) {
    const [delimiter, items] = o['Fn::Join'];
    return (items as unknown[]).map(nagFlatten).join(delimiter);
  }
  if (o['Fn::Sub']) return nagFlatten(o['Fn::Sub']);
  if (o['Fn::GetAtt']) {
    const [resource, attribute] = o['Fn::GetAtt'];
    return `<${nagFlatten(resource)}.${nagFlatten(attribute)}>`;
  }
  if (o['Fn::ImportValue']) return nagFlatten(o['Fn::ImportValue']);
  if (o.Ref) return `<${nagFlatten(o.Ref)}>`;
  return JSON.stringify(node);
}
