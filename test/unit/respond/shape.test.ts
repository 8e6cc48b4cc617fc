import type { Runbook } from '../../../src/runbooks/runbook';
import { runbookRecords } from '../../../src/respond/audit-records';
import { runInputs } from '../../../src/respond/coalesce';
import type { Execution } from '../../../src/respond/execute';
import type { ResolvedFinding } from '../../../src/respond/resolve';
import { securityHubResult, shapeAll } from '../../../src/respond/shape';
import { AT, findingOf } from './offline';

const runbook: Runbook = {
  name: 'miner',
  description: 'test',
  file: 'miner.yaml',
  mode: 'auto',
  reliability: 5,
  findingTypes: ['CryptoCurrency:EC2/*'],
  resourceTypes: undefined,
  customAction: undefined,
  actions: [{ action: 'ec2.isolate', with: { untrack: true }, when: undefined }],
};
const acting = (id: string): ResolvedFinding => ({
  kind: 'finding',
  finding: findingOf(id, { type: 'CryptoCurrency:EC2/BitcoinTool.B!DNS', severity: 8 }),
  decision: { runbook, decision: 'act', reason: 'reliability 5 + severity 8 = 13 > 10' },
});
const isolated: Execution = {
  exemptReason: undefined,
  outcomes: [
    { action: 'ec2.isolate', resource: 'eni-1', status: 'done', detail: 'moved', prior: { groups: ['sg-1'] }, changed: { to: 'sg-q' } },
  ],
};

describe('result shaping', () => {
  it('says what happened to each finding a runbook acted on, and which Security Hub update it gets', () => {
    // Prepare
    const [done, exempt, held] = [acting('f-done'), acting('f-exempt'), acting('f-held')];
    const executions = new Map<ResolvedFinding, Execution>([
      [done, isolated],
      [exempt, { exemptReason: 'instance i-f-exempt is exempt (tag cordon:exempt=true)', outcomes: [] }],
      [held, { exemptReason: undefined, heldReason: 'circuit-open: limit 5', outcomes: [] }],
    ]);

    // Act
    const shaped = shapeAll([done, exempt, held], new Map(), executions);

    // Assess: the lines (without the state kept for release), the updates and the held flag
    expect(shaped.map((s) => [s.result.decision, s.result.reason, s.held])).toEqual([
      ['act', 'reliability 5 + severity 8 = 13 > 10', false],
      ['skip', 'instance i-f-exempt is exempt (tag cordon:exempt=true)', false],
      ['skip', 'circuit-open: limit 5', true],
    ]);
    expect(shaped[0]?.result.actions).toEqual([{ action: 'ec2.isolate', resource: 'eni-1', status: 'done', detail: 'moved' }]);
    expect(
      shaped.map((s) => (s.securityHub.kind === 'update' ? [s.securityHub.update.workflow, s.securityHub.update.fields] : [])),
    ).toEqual([
      ['RESOLVED', { cordon_result: 'contained', cordon_decision: 'act', cordon_runbook: 'miner' }],
      [undefined, { cordon_result: 'skipped', cordon_decision: 'skip', cordon_runbook: 'miner' }],
      ['NOTIFIED', { cordon_result: 'circuit-open', cordon_decision: 'skip' }],
    ]);
  });

  it('reports a finding Security Hub did not answer for as failed (the Lambda retries it)', () => {
    // Prepare
    const done = acting('f-done');
    const [shaped] = shapeAll([done], new Map(), new Map([[done, isolated]]));

    // Act
    const answered =
      shaped && securityHubResult(shaped, new Map([[done.finding.arn, { status: 'updated', detail: 'workflow RESOLVED' }]]), false);
    const unanswered = shaped && securityHubResult(shaped, new Map(), false);

    // Assess
    expect(answered).toEqual({ status: 'updated', detail: 'workflow RESOLVED' });
    expect(unanswered).toEqual({ status: 'failed', detail: 'no answer from Security Hub' });
  });
});

describe('audit records of a runbook decision', () => {
  it('records each outcome with the runbook step it came from and the state it replaced, or one decision record when nothing ran', () => {
    // Prepare
    const stamp = { at: AT, by: 'alice' };
    const r = acting('f-1');

    // Act
    const acted = runbookRecords(r, isolated, stamp, false);
    const skipped = runbookRecords(r, { exemptReason: 'exempt', outcomes: [] }, stamp, false);

    // Assess
    expect(acted).toEqual([
      {
        findingId: 'f-1',
        findingArn: r.finding.arn,
        accountId: '111122223333',
        region: 'us-east-1',
        findingType: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
        runbook: 'miner',
        at: AT,
        actor: 'respond',
        by: 'alice',
        subject: 'i-f-1',
        inputs: runInputs(r.finding, r.decision.runbook),
        action: 'ec2.isolate',
        resource: 'eni-1',
        status: 'done',
        detail: 'moved',
        request: { action: 'ec2.isolate', params: { untrack: true }, dryRun: false },
        prior: { groups: ['sg-1'] },
        changed: { to: 'sg-q' },
      },
    ]);
    expect(skipped.map((rec) => [rec.action, rec.resource, rec.status, rec.detail])).toEqual([['decision', 'i-f-1', 'skipped', 'exempt']]);
  });

  it('keeps what an outcome leaves open and closes, so that a delivery reporting the run says the same', () => {
    // Prepare
    const r = acting('f-2');
    const outcome = {
      action: 'ec2.isolate',
      resource: 'eni-2',
      status: 'done' as const,
      detail: 'moved',
      remains: ['dns-resolver' as const, 'gateway-tracked-flows' as const],
      closes: ['established-connections' as const],
    };

    // Act
    const [record] = runbookRecords(r, { exemptReason: undefined, outcomes: [outcome] }, { at: AT, by: undefined }, false);

    // Assess
    expect(record).toMatchObject({ remains: ['dns-resolver', 'gateway-tracked-flows'], closes: ['established-connections'] });
  });
});
