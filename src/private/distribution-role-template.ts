import { CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME } from './handler-contract';

/** The managed policy Image Builder's guide attaches to the cross-account distribution role (mixed-case `Ec2`). */
export const DISTRIBUTION_POLICY = 'Ec2ImageBuilderCrossAccountDistributionAccess';

/** The template of each stack instance: the role as Image Builder's cross-account distribution guide describes it. */
export function distributionRoleTemplate(distributingAccountIds: string[], encryptedAmis: boolean): Record<string, unknown> {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'cdk-imagebuilder-distribution: the role Image Builder assumes to copy AMIs into this account',
    Resources: {
      DistributionRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: CROSS_ACCOUNT_DISTRIBUTION_ROLE_NAME,
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{
              Effect: 'Allow',
              Principal: { AWS: distributingAccountIds.map((a) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::${a}:root` })) },
              Action: 'sts:AssumeRole',
            }],
          },
          ManagedPolicyArns: [{ 'Fn::Sub': `arn:\${AWS::Partition}:iam::aws:policy/${DISTRIBUTION_POLICY}` }],
          ...(encryptedAmis ? {
            Policies: [{
              PolicyName: 'CopyEncryptedAmis',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [{
                  Sid: 'AllowRoleToPerformKMSOperationsOnBehalfOfTheDestinationAccount',
                  Effect: 'Allow',
                  Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
                  Resource: '*',
                }],
              },
            }],
          } : {}),
        },
      },
    },
  };
}
