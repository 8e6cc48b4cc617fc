import {
  BatchUpdateFindingsCommand,
  BatchUpdateFindingsV2Command,
  DescribeHubCommand,
  DescribeSecurityHubV2Command,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { ClientFactory } from '../../../src/aws/clients';
import { SecurityHubWriter, type FindingUpdate } from '../../../src/securityhub/writer';

const mock = mockClient(SecurityHubClient);
const update = (i: number, over: Partial<FindingUpdate> = {}): FindingUpdate => ({
  findingArn: `arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/f${i}`,
  region: 'us-east-1',
  partition: 'aws',
  workflow: 'RESOLVED',
  note: 'cordon ran runbook x',
  fields: { cordon_result: 'contained' },
  ...over,
});

describe('SecurityHubWriter', () => {
  let clients: ClientFactory;
  const notEnabled = (): Error => Object.assign(new Error('Security Hub is not enabled'), { name: 'ResourceNotFoundException' });
  beforeEach(() => {
    mock.reset();
    // Security Hub CSPM only, unless a test says otherwise.
    mock.on(DescribeHubCommand).resolves({ HubArn: 'arn:aws:securityhub:us-east-1:999988887777:hub/default' });
    mock.on(DescribeSecurityHubV2Command).rejects(notEnabled());
    clients = new ClientFactory();
  });
  afterEach(() => clients.destroy());

  it('sends identical updates together, at most 100 findings a call', async () => {
    // Prepare
    mock.on(BatchUpdateFindingsCommand).callsFake((input: { FindingIdentifiers: Array<{ Id: string; ProductArn: string }> }) => ({
      ProcessedFindings: input.FindingIdentifiers,
      UnprocessedFindings: [],
    }));
    const writer = new SecurityHubWriter(clients);
    const updates = [...Array.from({ length: 230 }, (_, i) => update(i)), update(999, { workflow: 'NOTIFIED', note: 'failed' })];

    // Act
    const results = await writer.write(updates);

    // Assess
    const sizes = mock
      .commandCalls(BatchUpdateFindingsCommand)
      .map((c) => c.args[0].input.FindingIdentifiers?.length)
      .sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(sizes).toEqual([1, 30, 100, 100]);
    expect([...results.values()].every((r) => r.status === 'updated')).toBe(true);
    const first = mock.commandCalls(BatchUpdateFindingsCommand)[0]?.args[0].input;
    expect(first?.Note?.UpdatedBy).toBe('cordon');
    expect(first?.FindingIdentifiers?.[0]?.ProductArn).toBe('arn:aws:securityhub:us-east-1::product/aws/guardduty');
  });

  it('retries transient UnprocessedFindings once and reports the rest', async () => {
    mock
      .on(BatchUpdateFindingsCommand)
      .resolvesOnce({
        ProcessedFindings: [],
        UnprocessedFindings: [
          { FindingIdentifier: { Id: update(1).findingArn, ProductArn: 'p' }, ErrorCode: 'InternalFailure', ErrorMessage: 'try again' },
          {
            FindingIdentifier: { Id: update(2).findingArn, ProductArn: 'p' },
            ErrorCode: 'FindingNotFound',
            ErrorMessage: 'no such finding',
          },
        ],
      })
      .resolves({ ProcessedFindings: [{ Id: update(1).findingArn, ProductArn: 'p' }], UnprocessedFindings: [] });
    const results = await new SecurityHubWriter(clients).write([update(1), update(2)]);
    expect(results.get(update(1).findingArn)).toEqual({ status: 'updated', detail: 'workflow RESOLVED' });
    expect(results.get(update(2).findingArn)).toEqual({ status: 'unprocessed', detail: 'FindingNotFound: no such finding' });
    expect(mock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(2);
  });

  it('reports a call that fails (e.g. AccessDenied) on every finding of its batch, without hiding other regions', async () => {
    mock.on(BatchUpdateFindingsCommand).callsFake(async (input: { FindingIdentifiers: Array<{ Id: string }> }) => {
      if (input.FindingIdentifiers[0]?.Id.includes('eu-west-1'))
        throw Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' });
      return { ProcessedFindings: input.FindingIdentifiers, UnprocessedFindings: [] };
    });
    const eu = update(7, { region: 'eu-west-1', findingArn: 'arn:aws:guardduty:eu-west-1:111122223333:detector/d/finding/f7' });
    const results = await new SecurityHubWriter(clients).write([update(1), eu]);
    expect(results.get(update(1).findingArn)?.status).toBe('updated');
    expect(results.get(eu.findingArn)).toEqual({ status: 'failed', detail: 'AccessDeniedException: not allowed' });
  });

  it('names a finding delivered twice in one batch once per call (Security Hub refuses duplicates), with its last update', async () => {
    // Prepare
    mock.on(BatchUpdateFindingsCommand).callsFake((input: { FindingIdentifiers: Array<{ Id: string; ProductArn: string }> }) => ({
      ProcessedFindings: input.FindingIdentifiers,
      UnprocessedFindings: [],
    }));

    // Act
    const results = await new SecurityHubWriter(clients).write([update(1, { note: 'first' }), update(2), update(1, { note: 'second' })]);

    // Assess
    const calls = mock.commandCalls(BatchUpdateFindingsCommand).map((c) => c.args[0].input);
    const named = calls.flatMap((c) => c.FindingIdentifiers?.map((f) => f.Id) ?? []);
    expect(named.filter((id) => id === update(1).findingArn)).toHaveLength(1);
    expect(calls.find((c) => c.FindingIdentifiers?.some((f) => f.Id === update(1).findingArn))?.Note?.Text).toBe('second');
    expect(results.get(update(1).findingArn)?.status).toBe('updated');
  });

  it('writes status and comment with BatchUpdateFindingsV2 where the new Security Hub is on, both where both are, reading each region once', async () => {
    // Prepare: us-east-1 has both; eu-west-1 only the new Security Hub.
    // Regions are read in order: us-east-1 first.
    mock
      .on(DescribeHubCommand)
      .resolvesOnce({ HubArn: 'arn:aws:securityhub:us-east-1:999988887777:hub/default' })
      .rejects(Object.assign(new Error('not subscribed'), { name: 'InvalidAccessException' }));
    mock.on(DescribeSecurityHubV2Command).resolves({ HubV2Arn: 'arn:aws:securityhub:us-east-1:999988887777:hubv2/x' });
    mock.on(BatchUpdateFindingsCommand).callsFake((input: { FindingIdentifiers: Array<{ Id: string; ProductArn: string }> }) => ({
      ProcessedFindings: input.FindingIdentifiers,
      UnprocessedFindings: [],
    }));
    mock.on(BatchUpdateFindingsV2Command).callsFake((input: { FindingIdentifiers: Array<{ FindingInfoUid: string }> }) => ({
      ProcessedFindings: input.FindingIdentifiers.map((f) => ({ FindingIdentifier: f })),
      UnprocessedFindings: [],
    }));
    const writer = new SecurityHubWriter(clients);
    const eu = (i: number): FindingUpdate =>
      update(i, { region: 'eu-west-1', findingArn: `arn:aws:guardduty:eu-west-1:111122223333:detector/d/finding/e${i}` });

    // Act: two writes (a Lambda container's two batches)
    const first = await writer.write([update(1, { findingUpdatedAt: '2026-12-01T10:00:00.000Z' }), eu(2)]);
    const second = await writer.write([eu(3)]);

    // Assess
    expect(mock.commandCalls(DescribeHubCommand)).toHaveLength(2);
    expect(mock.commandCalls(DescribeSecurityHubV2Command)).toHaveLength(2);
    expect(mock.commandCalls(BatchUpdateFindingsCommand).map((c) => c.args[0].input.FindingIdentifiers?.map((f) => f.Id))).toEqual([
      [update(1).findingArn],
    ]);
    const v2 = mock.commandCalls(BatchUpdateFindingsV2Command).map((c) => c.args[0].input);
    expect(v2).toHaveLength(3);
    expect(v2[0]).toEqual({
      FindingIdentifiers: [
        {
          CloudAccountUid: '111122223333',
          FindingInfoUid: update(1).findingArn,
          MetadataProductUid: 'arn:aws:securityhub:us-east-1::productv2/aws/guardduty',
        },
      ],
      Comment: '[cordon 2026-12-01T10:00:00.000Z] cordon ran runbook x',
      StatusId: 4,
    });
    expect(first.get(update(1).findingArn)).toEqual({ status: 'updated', detail: 'workflow RESOLVED; Security Hub status Resolved' });
    expect(first.get(eu(2).findingArn)).toEqual({ status: 'updated', detail: 'Security Hub status Resolved' });
    expect(second.get(eu(3).findingArn)?.status).toBe('updated');
  });

  it('fails a finding whose region has neither Security Hub, and reports V2 unprocessed findings after one retry of transient ones', async () => {
    // Prepare
    mock.on(DescribeHubCommand).rejects(Object.assign(new Error('not subscribed'), { name: 'InvalidAccessException' }));
    mock.on(DescribeSecurityHubV2Command).callsFake(async (_input: unknown) => {
      throw notEnabled();
    });
    const none = await new SecurityHubWriter(clients).write([update(1)]);
    mock.on(DescribeSecurityHubV2Command).resolves({ HubV2Arn: 'arn' });
    const ident = (i: number): { CloudAccountUid: string; FindingInfoUid: string; MetadataProductUid: string } => ({
      CloudAccountUid: '111122223333',
      FindingInfoUid: update(i).findingArn,
      MetadataProductUid: 'p',
    });
    mock
      .on(BatchUpdateFindingsV2Command)
      .resolvesOnce({
        ProcessedFindings: [],
        UnprocessedFindings: [
          { FindingIdentifier: ident(2), ErrorCode: 'ConflictException', ErrorMessage: 'busy' },
          { FindingIdentifier: ident(3), ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Finding not found' },
        ],
      })
      .resolves({ ProcessedFindings: [{ FindingIdentifier: ident(2) }], UnprocessedFindings: [] });

    // Act
    const v2 = await new SecurityHubWriter(clients).write([update(2), update(3)]);

    // Assess
    expect(none.get(update(1).findingArn)).toEqual({
      status: 'failed',
      detail: 'neither Security Hub CSPM nor Security Hub is enabled in us-east-1',
    });
    expect(mock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
    expect(v2.get(update(2).findingArn)).toEqual({ status: 'updated', detail: 'Security Hub status Resolved' });
    expect(v2.get(update(3).findingArn)).toEqual({
      status: 'unprocessed',
      detail: 'Security Hub: ResourceNotFoundException: Finding not found',
    });
    expect(mock.commandCalls(BatchUpdateFindingsV2Command)).toHaveLength(2);
  });
});
