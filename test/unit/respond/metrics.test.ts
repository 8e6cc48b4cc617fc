import { resultMetrics, type ResultReport } from '../../../src/respond/metrics';
import type { FindingResult } from '../../../src/respond/result';

const result = (over: Partial<FindingResult>): FindingResult => ({
  findingId: 'f',
  findingArn: 'arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/f',
  accountId: '111122223333',
  region: 'us-east-1',
  type: 'CryptoCurrency:EC2/BitcoinTool.B',
  severity: 8,
  runbook: 'ec2-instance-compromise',
  decision: 'act',
  reason: 'r',
  actions: [{ action: 'ec2.isolate', resource: 'i-1', status: 'done', detail: 'isolated' }],
  securityHub: { status: 'updated', detail: 'ok' },
  ...over,
});
const actedAt = new Date('2026-12-01T10:02:30.000Z');
const report = (r: FindingResult, findingUpdatedAt: string | null = '2026-12-01T10:00:00.000Z'): ResultReport => ({
  result: r,
  findingUpdatedAt: findingUpdatedAt ?? undefined,
  actedAt,
});

describe('resultMetrics', () => {
  it('counts contained, held and failed findings per runbook, and the seconds from the finding update to the last action', () => {
    // Act
    const points = resultMetrics([
      report(result({})),
      report(result({ remains: ['DNS to the VPC resolver'] }), null),
      report(result({ decision: 'skip', reason: 'circuit-open: 3 containments in 111122223333', actions: [] })),
      report(
        result({ runbook: 'iam-credential-exposure', actions: [{ action: 'iam.deny', resource: 'u', status: 'failed', detail: 'x' }] }),
      ),
      report(result({ decision: 'skip', reason: 'reliability 5 + severity 2 = 7, not above the threshold 10', actions: [] })),
      report(result({ actions: [{ action: 'ec2.isolate', resource: 'i-1', status: 'planned', detail: 'dry run' }] })),
    ]);

    // Assess: a skip by policy and a dry run count nothing; a finding without updatedAt has no time to containment
    expect(points).toEqual([
      { name: 'FindingsContained', unit: 'Count', value: 1, runbook: 'ec2-instance-compromise' },
      { name: 'TimeToContainment', unit: 'Seconds', value: 150, runbook: 'ec2-instance-compromise' },
      { name: 'FindingsContained', unit: 'Count', value: 1, runbook: 'ec2-instance-compromise' },
      { name: 'FindingsHeld', unit: 'Count', value: 1, runbook: 'ec2-instance-compromise' },
      { name: 'FindingsFailed', unit: 'Count', value: 1, runbook: 'iam-credential-exposure' },
    ]);
  });
});
