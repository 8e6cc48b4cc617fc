import type { AuditRecord } from '../../src/audit/store';

/**
 * One audit record of an EC2 finding in account 111122223333, us-east-1 (an
 * isolation done at 2026-11-24T10:00Z), with `fields` over it.
 */
export function auditRecord(findingId: string, fields: Partial<AuditRecord> = {}): AuditRecord {
  return {
    findingId,
    findingArn: `arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/${findingId}`,
    accountId: '111122223333',
    region: 'us-east-1',
    findingType: 'Backdoor:EC2/C&CActivity.B',
    runbook: 'ec2-instance-compromise',
    action: 'ec2.isolate',
    resource: 'eni-1',
    status: 'done',
    detail: 'moved',
    at: '2026-11-24T10:00:00.000Z',
    actor: 'respond',
    ...fields,
  };
}

/** Real-shaped audit records of two incidents (an isolation later released, and a revoked key), at `now` minus minutes. */
export function sampleAuditRecords(now: Date, accounts: readonly [string, string]): AuditRecord[] {
  const at = (minutesAgo: number): string => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  const [a1, a2] = accounts;
  const ec2 = {
    findingId: 'f-ec2-1',
    findingArn: `arn:aws:guardduty:us-east-1:${a1}:detector/d1/finding/f-ec2-1`,
    accountId: a1,
    region: 'us-east-1',
    findingType: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
    runbook: 'ec2-instance-compromise',
    by: 'cordon-responder',
  };
  const iam = {
    findingId: 'f-iam-1',
    findingArn: `arn:aws:guardduty:eu-west-1:${a2}:detector/d2/finding/f-iam-1`,
    accountId: a2,
    region: 'eu-west-1',
    findingType: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    runbook: 'iam-credential-misuse',
    by: 'cordon-responder',
  };
  return [
    {
      ...ec2,
      action: 'ec2.snapshot',
      resource: 'vol-0a1',
      status: 'done',
      detail: 'snapshot snap-01 started',
      at: at(180),
      actor: 'respond',
    },
    {
      ...ec2,
      action: 'ec2.isolate',
      resource: 'eni-0b2',
      status: 'done',
      detail: 'moved to the quarantine group',
      prior: { groups: ['sg-0web', 'sg-0ssh'] },
      changed: { groups: ['sg-0quarantine'] },
      at: at(179),
      actor: 'respond',
    },
    {
      ...iam,
      action: 'iam.deactivate-key',
      resource: 'AKIAEXAMPLE1',
      status: 'done',
      detail: 'key deactivated',
      prior: { status: 'Active' },
      at: at(60),
      actor: 'respond',
    },
    {
      ...ec2,
      action: 'ec2.isolate',
      resource: 'eni-0b2',
      status: 'done',
      detail: 'original groups restored',
      at: at(30),
      actor: 'release',
      by: 'arn:aws:sts::111111111111:assumed-role/secops/alice',
    },
  ];
}
