import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import type { ActionContext } from '../../src/actions/types';
import { NO_SUBJECT, type Finding } from '../../src/findings/finding';

/**
 * What ec2.snapshot reads of its context, for a finding about `instance`: the
 * member account's EC2 client, the instance as EC2 describes it, no audit
 * history, lookups made as asked, and `evidenceRequested` reported to the test.
 */
export function snapshotContext(
  ec2: EC2Client,
  instance: Instance,
  findingId: string,
  evidenceRequested: () => void = () => undefined,
): ActionContext {
  const finding = {
    id: findingId,
    type: 'Backdoor:EC2/C&CActivity.B',
    accountId: '111122223333',
    region: 'us-east-1',
    ...NO_SUBJECT,
    instance: { instanceId: instance.InstanceId, networkInterfaces: [], tags: {} },
  } as unknown as Finding;
  return {
    finding,
    dryRun: false,
    member: <C>() => ec2 as unknown as C,
    instance: async () => instance,
    history: async () => [],
    lookup: <T>(_key: string, read: () => Promise<T>) => read(),
    evidenceRequested,
  } as unknown as ActionContext;
}
