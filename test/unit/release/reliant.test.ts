import type { AuditRecord } from '../../../src/audit/store';
import { reliantFindings } from '../../../src/release/release';

const rec = (findingId: string, status: AuditRecord['status'], at: string, actor: AuditRecord['actor'] = 'respond'): AuditRecord => ({
  findingId,
  findingArn: `arn-${findingId}`,
  accountId: '111122223333',
  region: 'us-east-1',
  findingType: 't',
  runbook: 'r',
  action: 'network.block-ip',
  resource: 'acl-1:198.51.100.7/32',
  status,
  detail: '',
  at,
  actor,
});

describe('reliantFindings: which other findings a release of one change would leave uncontained', () => {
  it('counts a finding that found the change in place after it was made', () => {
    const change = rec('f1', 'done', '2026-11-24T10:00:00.000Z');
    const records = [change, rec('f2', 'already', '2026-11-24T10:05:00.000Z')];

    expect(reliantFindings(records, 'f1', change)).toEqual(['f2']);
  });

  it('does not count a finding whose reliance predates the change: the undo puts back what it relied on', () => {
    // f1 revoked at 10:00 (and found it in place at 10:02); f2 moved the cut-off at 10:30
    const change = rec('f2', 'done', '2026-11-24T10:30:00.000Z');
    const records = [rec('f1', 'done', '2026-11-24T10:00:00.000Z'), rec('f1', 'already', '2026-11-24T10:02:00.000Z'), change];

    expect(reliantFindings(records, 'f2', change)).toEqual([]);
    // Without the change to compare with, every containment in place counts (as before).
    expect(reliantFindings(records, 'f2')).toEqual(['f1']);
  });

  it('counts a finding whose containment was released (forced) before the change re-made it', () => {
    // f2 relied on f1's rules; f1 was released with --force; f3 added them again
    const change = rec('f3', 'done', '2026-11-24T11:00:00.000Z');
    const records = [
      rec('f1', 'done', '2026-11-24T10:00:00.000Z'),
      rec('f2', 'already', '2026-11-24T10:05:00.000Z'),
      rec('f1', 'done', '2026-11-24T10:30:00.000Z', 'release'),
      change,
    ];

    expect(reliantFindings(records, 'f3', change)).toEqual(['f2']);
  });

  it('does not count findings released since, nor failed, planned or skipped records', () => {
    const change = rec('f1', 'done', '2026-11-24T10:00:00.000Z');
    const records = [
      change,
      rec('f2', 'already', '2026-11-24T10:05:00.000Z'),
      rec('f2', 'already', '2026-11-24T10:10:00.000Z', 'release'),
      rec('f3', 'failed', '2026-11-24T10:06:00.000Z'),
      rec('f4', 'planned', '2026-11-24T10:07:00.000Z'),
      rec('f5', 'skipped', '2026-11-24T10:08:00.000Z'),
      rec('f6', 'already', '2026-11-24T10:09:00.000Z'),
      rec('f6', 'failed', '2026-11-24T10:20:00.000Z', 'release'),
    ];

    expect(reliantFindings(records, 'f1', change)).toEqual(['f6']);
  });

  it('goes by the order of the records when two share a time (one batch)', () => {
    const change = rec('f1', 'done', '2026-11-24T10:00:00.000Z');

    expect(reliantFindings([change, rec('f2', 'already', '2026-11-24T10:00:00.000Z')], 'f1', change)).toEqual(['f2']);
  });
});
