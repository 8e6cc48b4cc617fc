import type { AuditRecord } from '../../../src/audit/store';
import { aboutFinding } from '../../../src/respond/audit-records';
import { coalescedRun, runInputs } from '../../../src/respond/coalesce';
import { findingOf } from './offline';

/** When this delivery began screening, and the other delivery's run a moment later. */
const ARRIVED = Date.parse('2026-11-24T10:00:01.000Z');
const RAN = '2026-11-24T10:00:02.000Z';

/** The runbook both deliveries run. */
const MINER = { name: 'miner', actions: [{ action: 'ec2.isolate', with: {}, when: undefined }] };

const miner = findingOf('f-1', {
  type: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
  lastSeenAt: '2026-11-24T09:59:00.000Z',
  remoteIps: [{ ip: '198.51.100.7', direction: 'OUTBOUND' }],
});

/** A record of the other delivery's run of `finding` (override any field). */
function ran(finding = miner, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    ...aboutFinding(finding),
    runbook: 'miner',
    action: 'ec2.isolate',
    resource: 'eni-1',
    status: 'done',
    detail: 'moved eni-1 to cordon-quarantine',
    at: RAN,
    actor: 'respond',
    inputs: runInputs(finding, MINER),
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
    const reported = coalescedRun(again, MINER, history, ARRIVED);

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
      'the run was recorded more than five minutes before this delivery arrived',
      miner,
      [ran(miner, { at: '2026-11-24T09:55:00.999Z' })],
      MINER,
    ],
    [
      'the finding now names another attacker address (new inputs)',
      { ...miner, remoteIps: [{ ip: '203.0.113.9', direction: 'OUTBOUND' as const }] },
      [ran()],
      MINER,
    ],
    ['an action of the run failed (this delivery tries again)', miner, [ran(), ran(miner, { status: 'failed', resource: 'eni-2' })], MINER],
    ['the run was only a decision (held by the circuit breaker)', miner, [ran(miner, { action: 'decision', status: 'skipped' })], MINER],
    ['another runbook ran', miner, [ran()], { ...MINER, name: 'other-runbook' }],
    [
      'the runbook changed since (another step)',
      miner,
      [ran()],
      { ...MINER, actions: [...MINER.actions, { action: 'ec2.snapshot', with: {}, when: undefined }] },
    ],
    ['the last record is a release', miner, [ran(), ran(miner, { at: '2026-11-24T10:00:03.000Z', actor: 'release' })], MINER],
    ['the activity was seen after the run', { ...miner, lastSeenAt: '2026-11-24T10:00:05.000Z' }, [ran()], MINER],
    [
      'an analyst asked for it (custom action)',
      { ...miner, origin: { kind: 'custom-action' as const, actionName: 'Contain', actionArn: undefined } },
      [ran()],
      MINER,
    ],
    ['a record written before runs carried their inputs', miner, [ran(miner, { inputs: undefined })], MINER],
    ['there is no history', miner, [], MINER],
  ])('runs the runbook when %s', (_why, finding, history, runbook) => {
    expect(coalescedRun(finding, runbook, history, ARRIVED)).toBeUndefined();
  });

  it('digests only what a runbook acts on: a higher count or a later time keep the inputs, a new domain changes them', () => {
    const later = { ...miner, count: 9, updatedAt: '2026-11-25T00:00:00.000Z', lastSeenAt: '2026-11-25T00:00:00.000Z' };
    expect(runInputs(later, MINER)).toBe(runInputs(miner, MINER));
    expect(runInputs({ ...miner, domains: ['pool.example.net'] }, MINER)).not.toBe(runInputs(miner, MINER));
  });

  it('reports a run recorded less than five minutes before this delivery arrived, saying how long before', () => {
    const reported = coalescedRun(miner, MINER, [ran(miner, { at: '2026-11-24T10:00:00.000Z' })], ARRIVED + 269_500);
    expect(reported?.outcomes.map((o) => o.detail)).toEqual([
      'moved eni-1 to cordon-quarantine (a delivery of this finding did this at 2026-11-24T10:00:00.000Z, 271 s before this one arrived: not made again)',
    ]);
  });
});
