import { batches, entrySize, PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES } from '../../../src/notify/publisher';
import { notificationOf, outcomeOf } from '../../../src/notify/notification';
import type { FindingResult } from '../../../src/respond/result';

const base: FindingResult = {
  findingId: 'f1',
  findingArn: 'arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/f1',
  accountId: '111122223333',
  region: 'us-east-1',
  type: 'Backdoor:EC2/C&CActivity.B',
  severity: 8,
  runbook: 'ec2-instance-compromise',
  decision: 'act',
  reason: 'reliability 5 + severity 8 = 13 > 10',
  actions: [{ action: 'ec2.isolate', resource: 'i-1', status: 'done', detail: 'isolated' }],
  securityHub: { status: 'updated', detail: 'workflow RESOLVED' },
};

describe('notifications (src/notify)', () => {
  it('puts at most 10 entries and 256 KB in a PutEvents call, in order', () => {
    // Act
    const small = batches(Array.from({ length: 25 }, (_, i) => ({ i, bytes: 100 })));
    const large = batches([{ bytes: 200_000 }, { bytes: 100_000 }, { bytes: 50_000 }]);
    // Assess
    expect(small.map((b) => b.length)).toEqual([PUT_EVENTS_MAX_ENTRIES, PUT_EVENTS_MAX_ENTRIES, 5]);
    expect(small.flat().map((e) => e.i)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(large.map((b) => b.map((e) => e.bytes))).toEqual([[200_000], [100_000, 50_000]]);
    expect(large.every((b) => b.reduce((n, e) => n + e.bytes, 0) <= PUT_EVENTS_MAX_BYTES)).toBe(true);
    expect(entrySize({ Source: 'cordon', DetailType: 'x', Detail: '{}', Resources: ['r'] })).toBe(14 + 6 + 1 + 2 + 1);
  });

  it('notifies containments, holds and failures, not what policy skipped', () => {
    // Assess
    expect(outcomeOf(base)).toBe('contained');
    expect(outcomeOf({ ...base, remains: ['DNS to the VPC resolver is still open'] })).toBe('partially-contained');
    expect(outcomeOf({ ...base, actions: [{ ...base.actions[0]!, status: 'failed' }] })).toBe('failed');
    expect(outcomeOf({ ...base, decision: 'skip', actions: [], reason: 'circuit-open: 5 resources of account …' })).toBe('held');
    expect(outcomeOf({ ...base, decision: 'skip', actions: [], reason: 'runbook "x" is manual: run it from Security Hub' })).toBe('held');
    expect(outcomeOf({ ...base, decision: 'skip', actions: [], reason: 'reliability 5 + severity 2 = 7 <= 10' })).toBeUndefined();
    expect(outcomeOf({ ...base, actions: [{ ...base.actions[0]!, status: 'planned' }] })).toBe('planned');
    expect(notificationOf({ ...base, remains: ['DNS open'] })?.detail.summary).toBe(
      'cordon PARTIALLY CONTAINED Backdoor:EC2/C&CActivity.B in 111122223333/us-east-1 (i-1), runbook ec2-instance-compromise: ec2.isolate done. STILL OPEN: DNS open.',
    );
  });
});
