// The ARN shapes the constructs grant on, each built here once, in the stack's partition.
import { Fn, Stack, Token } from 'aws-cdk-lib';

/** `arn:<partition>:<service>:<region>:<account>:<resource><sep><name>`, each part as given ('' leaves it empty). */
export function arn(stack: Stack, service: string, region: string, account: string, resource: string, resourceName: string, sep = '/'): string {
  return `arn:${stack.partition}:${service}:${region}:${account}:${resource}${sep}${resourceName}`;
}

/** The AMIs of `region` (`*`: every Region), or one of them. AMI ARNs name no account. */
export function amiArn(stack: Stack, region: string, amiId = '*'): string {
  return arn(stack, 'ec2', region, '', 'image', amiId);
}

/** The snapshots of `region` (`*`: every Region). Snapshot ARNs name no account. */
export function snapshotsArn(stack: Stack, region: string): string {
  return arn(stack, 'ec2', region, '', 'snapshot', '*');
}

/** Every Image Builder image (build version) of the stack's account and Region. */
export function imageBuilderImagesArn(stack: Stack): string {
  return arn(stack, 'imagebuilder', stack.region, stack.account, 'image', '*');
}

/**
 * The ARN of an SSM parameter by name (`/a/b` or `a`) in `region`: `parameter/a/b`, never `parameter//a/b`, which
 * matches nothing. A token name is taken as a path with its leading slash, as aws-cdk-lib's parameters are.
 */
export function ssmParameterArn(stack: Stack, region: string, name: string): string {
  if (Token.isUnresolved(name)) {
    return Fn.join('', ['arn:', stack.partition, ':ssm:', region, ':', stack.account, ':parameter', name]);
  }
  return stack.formatArn({ service: 'ssm', region, resource: 'parameter', resourceName: name.replace(/^\//, '') });
}
