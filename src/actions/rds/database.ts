import { DescribeDBInstancesCommand, RDSClient, type DBInstance } from '@aws-sdk/client-rds';
import { CordonError } from '../../errors';
import type { ActionContext } from '../types';

/** The database a finding names no longer exists (or the member role cannot see it). */
export class DatabaseNotFoundError extends CordonError {
  public constructor(instanceId: string, options?: { cause?: unknown }) {
    super(`RDS database instance ${instanceId} not found`, options);
    this.name = 'DatabaseNotFoundError';
  }
}

/** A database instance as RDS describes it now (its subnets, security groups, Aurora cluster): the finding's, by default. */
export async function describeDatabase(
  ctx: Pick<ActionContext, 'member'> & Partial<Pick<ActionContext, 'finding'>>,
  id = ctx.finding?.database?.instanceId,
): Promise<DBInstance> {
  if (!id) throw new CordonError('finding names no RDS database');
  try {
    const found = (await ctx.member(RDSClient).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
    if (!found) throw new DatabaseNotFoundError(id);
    return found;
  } catch (err) {
    if ((err as Error).name === 'DBInstanceNotFoundFault' || (err as Error).name === 'DBInstanceNotFound')
      throw new DatabaseNotFoundError(id, { cause: err });
    throw err;
  }
}
