import type { AuditRecord } from '../../../src/audit/store';
import { coalescedRun, findingInputs } from '../../../src/respond/coalesce';
import { findingOf } from './offline';

/** When this delivery began screening, and the other delivery's run a moment later. */
const ARRIVED = Date.parse('2026-11-24T10:00:01.000Z');
const RAN = '2026-11-24T10:00:02.000Z';

const miner = findingOf('f-1', {
  type: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
  lastSeenAt: '2026-11-24T09:59:00.000Z',
  remoteIps: [{ ip: '198.51.100.7', direction: 'OUTBOUND' }],
});

/** A record of the other delivery's run of `finding` (override any field). */
function ran(finding = miner, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    findingId: finding.id,
    findingArn: finding.arn,
    accountId: finding.accountId,
    region: finding.region,
    findingType: finding.type,
    runbook: 'miner',
    action: 'ec2.isolate',
    resource: 'eni-1',
    status: 'done',
    detail: 'moved eni-1 to cordon-quarantine',
    at: RAN,
    actor: 'respond',
    inputs: findingInputs(finding),
    remains: ['dns-resolver'],
    ...extra,
  };
}

describe('a delivery that raced another delivery of its finding', () => {
  it("reports the other delivery's run, recorded after it arrived from the same inputs: what was done is now already in place, with what it left open", () => {
    // Prepare: the finding re-published with a higher count (same inputs), and the other delivery's whole run
    const again = { ...miner, count: 2, updatedAt: '2026-11-24T10:00:00.500Z' };
    const history = [
      ran(miner, { at: '2026-11-24T09:00:00.000Z', detail: 'an older run' }),
      ran(),
      ran(miner, {
        action: 'ec2.snapshot',
        resource: 'vol-1',
        status: 'already',
        detail: 'snapshot snap-1 already taken',
        remains: undefined,
      }),
    ];

    // Act
    const reported = coalescedRun(again, 'miner', history, ARRIVED);

    // Assess
    expect(reported).toEqual({
      exemptReason: undefined,
      outcomes: [
        {
          action: 'ec2.isolate',
          resource: 'eni-1',
          status: 'already',
          detail: `moved eni-1 to cordon-quarantine (a delivery of this finding did this at ${RAN}, after this one arrived: not made again)`,
          remains: ['dns-resolver'],
        },
        {
          action: 'ec2.snapshot',
          resource: 'vol-1',
          status: 'already',
          detail: `snapshot snap-1 already taken (a delivery of this finding did this at ${RAN}, after this one arrived: not made again)`,
        },
      ],
    });
  });

  it.each([
    [
      'the run was recorded before this delivery arrived (it checks AWS itself)',
      miner,
      [ran(miner, { at: '2026-11-24T10:00:00.000Z' })],
      'miner',
    ],
    [
      'the finding now names another attacker address (new inputs)',
      { ...miner, remoteIps: [{ ip: '203.0.113.9', direction: 'OUTBOUND' as const }] },
      [ran()],
      'miner',
    ],
    [
      'an action of the run failed (this delivery tries again)',
      miner,
      [ran(), ran(miner, { status: 'failed', resource: 'eni-2' })],
      'miner',
    ],
    ['the run was only a decision (held by the circuit breaker)', miner, [ran(miner, { action: 'decision', status: 'skipped' })], 'miner'],
    ['another runbook ran', miner, [ran()], 'other-runbook'],
    ['the last record is a release', miner, [ran(), ran(miner, { at: '2026-11-24T10:00:03.000Z', actor: 'release' })], 'miner'],
    ['the activity was seen after the run', { ...miner, lastSeenAt: '2026-11-24T10:00:05.000Z' }, [ran()], 'miner'],
    [
      'an analyst asked for it (custom action)',
      { ...miner, origin: { kind: 'custom-action' as const, actionName: 'Contain', actionArn: undefined } },
      [ran()],
      'miner',
    ],
    ['a record written before runs carried their inputs', miner, [ran(miner, { inputs: undefined })], 'miner'],
    ['there is no history', miner, [], 'miner'],
  ])('runs the runbook when %s', (_why, finding, history, runbook) => {
    expect(coalescedRun(finding, runbook, history, ARRIVED)).toBeUndefined();
  });

  it('digests only what a runbook acts on: a higher count or a later time keep the inputs, a new domain changes them', () => {
    expect(findingInputs({ ...miner, count: 9, updatedAt: '2026-11-25T00:00:00.000Z', lastSeenAt: '2026-11-25T00:00:00.000Z' })).toBe(
      findingInputs(miner),
    );
    expect(findingInputs({ ...miner, domains: ['pool.example.net'] })).not.toBe(findingInputs(miner));
  });
});
