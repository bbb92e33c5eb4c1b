import { CfnParameter, Token } from 'aws-cdk-lib';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type { IConstruct } from 'constructs';
import type { AmiDistribution } from '../distribution-configuration';
import { RULES, warnRule } from './rules';

const SSM_PARAMETER_TYPE = 'AWS::SSM::Parameter::Value<';

/**
 * The CloudFormation parameter that aws-cdk-lib's `StringParameter.fromStringParameterName/Arn/Attributes` add beside
 * the import (id `<id>.Parameter`, unless `version` or `forceDynamicReference` is given). CloudFormation resolves it on
 * every deployment in the stack's account and Region, and fails while that SSM parameter does not exist.
 */
function deployTimeParameterOf(parameter: ssm.IStringParameter): CfnParameter | undefined {
  const sibling = parameter.node.scope?.node.tryFindChild(`${parameter.node.id}.Parameter`);
  return sibling instanceof CfnParameter && sibling.type.startsWith(SSM_PARAMETER_TYPE) ? sibling : undefined;
}

/**
 * Warns about SSM output parameters given as such imports: an output parameter is typically created by Image Builder
 * (or lives in another account), so the deployment-time resolution fails although the configuration only needs the name.
 */
export function warnDeployTimeSsmParameters(scope: IConstruct, path: string, distribution: AmiDistribution): void {
  distribution.ssmParameters?.forEach((config, i) => {
    const cfnParameter = config.parameter && deployTimeParameterOf(config.parameter);
    if (!cfnParameter) return;
    const name = config.parameter!.parameterName;
    // The CloudFormation parameter's default is what the user imported: a name, or an ARN (fromStringParameterArn,
    // whose parameterName keeps only the last segment of a hierarchical name).
    const imported = typeof cfnParameter.default === 'string' && !Token.isUnresolved(cfnParameter.default)
      ? nameOf(cfnParameter.default) : name;
    const shown = Token.isUnresolved(imported) ? 'its name' : JSON.stringify(imported);
    const renders = imported !== name && !Token.isUnresolved(name)
      ? ` (the import's parameterName, which would be written, is ${JSON.stringify(name)})` : '';
    warnRule(scope, RULES.ssmParameterResolvedAtDeployment,
      `${path}.ssmParameters[${i}].parameter: the import of ${Token.isUnresolved(imported) ? 'this parameter' : shown} added `
      + `the CloudFormation parameter ${cfnParameter.node.path}, which CloudFormation resolves on every deployment in this `
      + 'stack\'s account and Region: the deployment fails while the SSM parameter does not exist there. Image Builder '
      + `only needs the name: give parameterName: ${shown} instead of parameter${renders}.`);
  });
}

/** `arn:aws:ssm:us-east-1:111111111111:parameter/golden/latest` -> `/golden/latest`; a name stays as it is. */
function nameOf(nameOrArn: string): string {
  const match = /^arn:[^:]+:ssm:[^:]*:[^:]*:parameter(\/.*)$/.exec(nameOrArn);
  return match ? match[1] : nameOrArn;
}
