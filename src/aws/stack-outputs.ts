import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ConfigurationError, describeError } from '../errors';

/**
 * The outputs of a deployed stack, by key (CloudFormation DescribeStacks in
 * `region`, with the caller's credentials): how the CLI reaches a deployment
 * (its audit table, queues, function) without being told each name. A stack
 * that cannot be read is a configuration problem (exit 2): nothing has run yet.
 */
export async function stackOutputs(stackName: string, region: string | undefined): Promise<Readonly<Record<string, string>>> {
  if (!region) throw new ConfigurationError(`--stack ${stackName}: AWS_REGION is not set (the region the stack is deployed in)`);
  const client = new CloudFormationClient({ region });
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    if (!stack) throw new ConfigurationError(`--stack ${stackName}: no such stack in ${region}`);
    return Object.fromEntries((stack.Outputs ?? []).flatMap((o) => (o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue]] : [])));
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError(`--stack ${stackName}: cannot read the stack in ${region}: ${describeError(err)}`, { cause: err });
  } finally {
    client.destroy();
  }
}
