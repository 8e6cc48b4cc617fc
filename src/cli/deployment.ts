import { stackOutputs } from '../aws/stack-outputs';
import { ConfigurationError } from '../errors';

/** The responder stack's output naming its audit table (stacks/responder-stack.ts). */
export const AUDIT_TABLE_OUTPUT = 'AuditTableName';

/** A deployment as the CLI reaches it: the environment its settings are read from, and the stack's outputs when `--stack` was given. */
export interface Deployment {
  readonly env: NodeJS.ProcessEnv;
  readonly outputs: Readonly<Record<string, string>> | undefined;
}

/**
 * With `--stack NAME`, the deployed audit table (the stack's `AuditTableName`
 * output) as CORDON_AUDIT_TABLE, over what the environment says; without it,
 * the environment as it is (CORDON_AUDIT_TABLE, else the local audit file).
 */
export async function deploymentOf(env: NodeJS.ProcessEnv, stack: string | undefined): Promise<Deployment> {
  if (stack === undefined) return { env, outputs: undefined };
  const outputs = await stackOutputs(stack, env.AWS_REGION ?? env.AWS_DEFAULT_REGION);
  const table = outputs[AUDIT_TABLE_OUTPUT];
  if (!table)
    throw new ConfigurationError(`--stack ${stack}: the stack has no ${AUDIT_TABLE_OUTPUT} output (is it cordon's responder stack?)`);
  return { env: { ...env, CORDON_AUDIT_TABLE: table }, outputs };
}
