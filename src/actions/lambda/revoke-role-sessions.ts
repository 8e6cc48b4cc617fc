import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { defineRoleRevocation, roleNameOf } from '../iam/workload-role';
import { functionId } from './function';

/**
 * Revokes the sessions of the function's execution role issued before now
 * (the credentials its environments hold, and any copy taken from them), the
 * role read from the function's configuration. Release removes the
 * revocation. GuardDuty's guide: "Remediating a potentially compromised
 * Lambda function" and "Remediating potentially compromised AWS credentials".
 */
export const revokeExecutionRole = defineRoleRevocation({
  name: 'lambda.revoke-role-sessions',
  summary: "Deny the function's execution role sessions issued before now (role-wide)",
  target: 'lambda-function',
  reads: ['lambda:GetFunctionConfiguration'],
  async roleOf(ctx) {
    const name = ctx.finding.lambda?.functionName as string;
    const arn = (await ctx.member(LambdaClient).send(new GetFunctionConfigurationCommand({ FunctionName: functionId(ctx) }))).Role;
    const roleName = roleNameOf(arn, ctx.finding.accountId);
    if (!roleName)
      return { skip: `${name}'s execution role ${arn ?? '(none)'} is not a role of account ${ctx.finding.accountId}`, resource: name };
    return { roleName, owner: `Lambda function ${name}` };
  },
});
