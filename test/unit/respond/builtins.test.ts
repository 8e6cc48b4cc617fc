import { ArchiveFindingsCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { mockClient } from 'aws-sdk-client-mock';
import type { ClientFactory } from '../../../src/aws/clients';
import type { Finding } from '../../../src/findings/finding';
import { GuardDutyArchiver } from '../../../src/guardduty/archiver';
import { respond } from '../../../src/respond/responder';
import { AT, asInput, findingOf, offlineResponder } from './offline';

/** A finding an analyst sent to the "False positive" custom action. */
function falsePositive(id: string, extra: Partial<Finding> = {}, analystNote?: string): Finding {
  return findingOf(id, {
    origin: {
      kind: 'custom-action',
      actionName: 'False positive',
      actionArn: 'arn:aws:securityhub:us-east-1:999999999999:action/custom/CordonFalsePositive',
      analystNote,
    },
    ...extra,
  });
}

describe('the "False positive" built-in', () => {
  it('archives each finding once, audits it with the analyst note and suppresses it in Security Hub', async () => {
    // Prepare
    const { deps, archived, written, audit } = offlineResponder();
    const noted = falsePositive('f-noted', {}, 'Known scanner run by the platform team');
    const plain = falsePositive('f-plain');

    // Act
    const results = await respond(asInput(noted, plain), deps);

    // Assess: the result lines, the archive calls, the audit records and the Security Hub updates are today's
    expect(archived).toEqual(['f-noted', 'f-plain']);
    expect(results.map((r) => ({ runbook: r.runbook, decision: r.decision, reason: r.reason, actions: r.actions }))).toEqual(
      [noted, plain].map((f) => ({
        runbook: 'builtin:falsePositive',
        decision: 'act',
        reason: 'analyst chose custom action "False positive"',
        actions: [{ action: 'guardduty.archive', resource: f.id, status: 'done', detail: 'archived in the administrator detector' }],
      })),
    );
    expect(results.map((r) => r.securityHub)).toEqual([
      { status: 'updated', detail: 'ok' },
      { status: 'updated', detail: 'ok' },
    ]);
    expect(await audit.forFinding('f-noted')).toEqual([
      {
        findingId: 'f-noted',
        findingArn: noted.arn,
        accountId: '111122223333',
        region: 'us-east-1',
        findingType: 'Recon:EC2/Portscan',
        runbook: null,
        action: 'guardduty.archive',
        resource: 'f-noted',
        status: 'done',
        detail: 'False positive: archived in the administrator detector (analyst note: Known scanner run by the platform team)',
        at: AT,
        actor: 'respond',
        by: 'alice',
      },
    ]);
    expect((await audit.forFinding('f-plain')).map((r) => r.detail)).toEqual(['False positive: archived in the administrator detector']);
    expect(written).toEqual([
      {
        findingArn: noted.arn,
        region: 'us-east-1',
        partition: 'aws',
        findingUpdatedAt: '2026-11-24T10:00:00.000Z',
        workflow: 'SUPPRESSED',
        note:
          'An analyst marked this finding a false positive (custom action "False positive"). cordon archived it in GuardDuty.' +
          " Analyst's note: Known scanner run by the platform team",
        fields: { cordon_result: 'false-positive' },
      },
      {
        findingArn: plain.arn,
        region: 'us-east-1',
        partition: 'aws',
        findingUpdatedAt: '2026-11-24T10:00:00.000Z',
        workflow: 'SUPPRESSED',
        note: 'An analyst marked this finding a false positive (custom action "False positive"). cordon archived it in GuardDuty.',
        fields: { cordon_result: 'false-positive' },
      },
    ]);
  });

  it('says "already" for a finding GuardDuty has archived, without archiving it again', async () => {
    // Prepare
    const { deps, archived, written, audit } = offlineResponder();
    const f = falsePositive('f-archived', { archived: true });

    // Act
    const [result] = await respond(asInput(f), deps);

    // Assess
    expect(archived).toEqual([]);
    expect(result?.actions).toEqual([
      { action: 'guardduty.archive', resource: 'f-archived', status: 'already', detail: 'already archived in GuardDuty' },
    ]);
    expect((await audit.forFinding('f-archived')).map((r) => [r.status, r.detail])).toEqual([
      ['already', 'False positive: already archived in GuardDuty'],
    ]);
    expect(written.map((u) => [u.workflow, u.fields])).toEqual([['SUPPRESSED', { cordon_result: 'false-positive' }]]);
  });

  it('in a dry run plans the archive and writes nothing: no archive call, no audit record, no Security Hub update', async () => {
    // Prepare
    const { deps, archived, written, audit } = offlineResponder({ dryRun: true });
    const f = falsePositive('f-dry');

    // Act
    const [result] = await respond(asInput(f), deps);

    // Assess
    expect(archived).toEqual([]);
    expect(result?.actions).toEqual([
      { action: 'guardduty.archive', resource: 'f-dry', status: 'planned', detail: 'would archive in the administrator detector' },
    ]);
    expect(result?.securityHub).toEqual({ status: 'skipped', detail: 'dry run: Security Hub not written' });
    expect(await audit.forFinding('f-dry')).toEqual([]);
    expect(written).toEqual([]);
  });

  it('when GuardDuty refuses the archive, says so on the finding (failed, NOTIFIED) and in the audit trail', async () => {
    // Prepare
    const denied = Object.assign(new Error('not authorized to archive'), { name: 'AccessDeniedException' });
    const { deps, archived, written, audit } = offlineResponder({ archiveError: denied });
    const f = falsePositive('f-denied', {}, 'benign');

    // Act
    const [result] = await respond(asInput(f), deps);

    // Assess: the failure names the finding (not its instance) and GuardDuty's reason
    expect(archived).toEqual(['f-denied']);
    expect(result?.actions).toEqual([
      { action: 'guardduty.archive', resource: 'f-denied', status: 'failed', detail: 'AccessDeniedException: not authorized to archive' },
    ]);
    expect((await audit.forFinding('f-denied')).map((r) => [r.status, r.detail])).toEqual([
      ['failed', 'False positive: AccessDeniedException: not authorized to archive (analyst note: benign)'],
    ]);
    expect(written).toEqual([
      {
        findingArn: f.arn,
        region: 'us-east-1',
        partition: 'aws',
        findingUpdatedAt: '2026-11-24T10:00:00.000Z',
        workflow: 'NOTIFIED',
        note:
          'An analyst marked this finding a false positive (custom action "False positive"). cordon could NOT archive it in GuardDuty:' +
          " AccessDeniedException: not authorized to archive. Analyst's note: benign",
        fields: { cordon_result: 'failed' },
      },
    ]);
  });

  it('archives the findings of one batch together: one ArchiveFindings call per 50 ids in a region', async () => {
    // Prepare: the real archiver, GuardDuty mocked
    const gd = new GuardDutyClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(gd);
    mock.on(ListDetectorsCommand).resolves({ DetectorIds: ['d-admin'] });
    mock.on(ArchiveFindingsCommand).resolves({});
    const { deps } = offlineResponder();
    const archiver = new GuardDutyArchiver({ home: () => gd } as unknown as ClientFactory);
    const findings = Array.from({ length: 51 }, (_, i) => falsePositive(`f-${i}`));

    // Act
    const results = await respond(asInput(...findings), { ...deps, archiver });

    // Assess
    expect(results.every((r) => r.actions[0]?.status === 'done')).toBe(true);
    expect(mock.commandCalls(ArchiveFindingsCommand).map((c) => c.args[0].input.FindingIds?.length)).toEqual([50, 1]);
    expect(mock.commandCalls(ListDetectorsCommand)).toHaveLength(1);
    gd.destroy();
  });
});
