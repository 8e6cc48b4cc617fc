import { BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
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
  beforeEach(() => {
    mock.reset();
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
});
