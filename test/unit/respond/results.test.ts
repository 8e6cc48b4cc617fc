import type { FindingRef, ParsedItem } from '../../../src/findings/parse';
import { respond } from '../../../src/respond/responder';
import { asInput, findingOf, offlineResponder } from './offline';

const ref = (findingId: string, origin: FindingRef['origin']): ParsedItem => ({
  kind: 'ref',
  where: 'test',
  ref: {
    arn: `arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/${findingId}`,
    findingId,
    accountId: '111122223333',
    region: 'us-east-1',
    partition: 'aws',
    origin,
    count: 1,
  },
});

/** One of each kind of line that acts on nothing: another product's finding, an ignored import, an unreadable finding, no runbook. */
const mixed: ParsedItem[] = [
  {
    kind: 'foreign',
    where: 'test',
    foreign: {
      id: 'arn:aws:inspector2:us-east-1:111122223333:finding/x',
      accountId: '111122223333',
      region: 'us-east-1',
      productArn: 'arn:aws:securityhub:us-east-1::product/aws/inspector',
      origin: { kind: 'guardduty' },
    },
  },
  ref('f-notified', {
    kind: 'imported',
    workflowStatus: 'NOTIFIED',
    noteUpdatedBy: undefined,
    noteUpdatedAt: undefined,
    findingUpdatedAt: undefined,
  }),
  ref('f-unread', {
    kind: 'imported',
    workflowStatus: 'NEW',
    noteUpdatedBy: undefined,
    noteUpdatedAt: undefined,
    findingUpdatedAt: undefined,
  }),
  ...asInput(findingOf('f-nobook')),
];

describe('result lines of findings cordon does not act on', () => {
  it('prints each line with the CLI contract key order and says why Security Hub was or was not written', async () => {
    // Prepare
    const { deps, written } = offlineResponder({ detectorError: new Error('detector unavailable') });

    // Act
    const results = await respond(mixed, deps);

    // Assess: the exact JSON lines `cordon respond --json` prints
    expect(results.map((r) => JSON.stringify(r))).toEqual([
      JSON.stringify({
        findingId: 'arn:aws:inspector2:us-east-1:111122223333:finding/x',
        findingArn: 'arn:aws:inspector2:us-east-1:111122223333:finding/x',
        accountId: '111122223333',
        region: 'us-east-1',
        type: '(not GuardDuty: arn:aws:securityhub:us-east-1::product/aws/inspector)',
        severity: null,
        runbook: null,
        decision: 'skip',
        reason: 'not a GuardDuty finding',
        actions: [],
        securityHub: { status: 'skipped', detail: 'not a GuardDuty finding' },
      }),
      JSON.stringify({
        findingId: 'f-notified',
        findingArn: 'arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/f-notified',
        accountId: '111122223333',
        region: 'us-east-1',
        type: '(imported Security Hub update)',
        severity: null,
        runbook: null,
        decision: 'skip',
        reason: 'Security Hub workflow is NOTIFIED: imported findings are acted on only while NEW',
        actions: [],
        securityHub: { status: 'skipped', detail: 'not written: an imported update cordon does not act on (a write would echo)' },
      }),
      JSON.stringify({
        findingId: 'f-unread',
        findingArn: 'arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/f-unread',
        accountId: '111122223333',
        region: 'us-east-1',
        type: '(unknown)',
        severity: null,
        runbook: null,
        decision: 'skip',
        reason: 'cannot read GuardDuty finding f-unread in us-east-1: Error: detector unavailable',
        actions: [
          {
            action: 'guardduty.get-finding',
            resource: 'arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/f-unread',
            status: 'failed',
            detail: 'cannot read GuardDuty finding f-unread in us-east-1: Error: detector unavailable',
          },
        ],
        securityHub: { status: 'skipped', detail: 'finding could not be read' },
      }),
      JSON.stringify({
        findingId: 'f-nobook',
        findingArn: 'arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/f-nobook',
        accountId: '111122223333',
        region: 'us-east-1',
        type: 'Recon:EC2/Portscan',
        severity: 2,
        runbook: null,
        decision: 'skip',
        reason: 'no runbook for Recon:EC2/Portscan',
        actions: [],
        securityHub: { status: 'updated', detail: 'ok' },
      }),
    ]);
    // Only the GuardDuty finding cordon read is written back.
    expect(written).toEqual([
      {
        findingArn: 'arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/f-nobook',
        region: 'us-east-1',
        partition: 'aws',
        findingUpdatedAt: '2026-11-24T10:00:00.000Z',
        workflow: undefined,
        note: 'cordon skipped this finding: no runbook for Recon:EC2/Portscan.',
        fields: { cordon_result: 'skipped', cordon_decision: 'skip' },
      },
    ]);
  });

  it('in a dry run says "dry run" for every line but an ignored import, which would never be written', async () => {
    // Prepare
    const { deps, written } = offlineResponder({ dryRun: true, detectorError: new Error('detector unavailable') });

    // Act
    const results = await respond(mixed, deps);

    // Assess
    expect(results.map((r) => r.securityHub)).toEqual([
      { status: 'skipped', detail: 'dry run: Security Hub not written' },
      { status: 'skipped', detail: 'not written: an imported update cordon does not act on (a write would echo)' },
      { status: 'skipped', detail: 'dry run: Security Hub not written' },
      { status: 'skipped', detail: 'dry run: Security Hub not written' },
    ]);
    expect(written).toEqual([]);
  });
});
