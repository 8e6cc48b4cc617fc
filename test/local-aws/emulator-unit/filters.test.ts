import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';

import { matchesCriteria } from '../../../local-aws/emulator/guardduty/criteria';
import { matchesFilters } from '../../../local-aws/emulator/securityhub/filters';

const NOW = new Date('2024-06-01T00:00:00Z');

function finding(overrides: Partial<AwsSecurityFinding>): AwsSecurityFinding {
  return {
    SchemaVersion: '2018-10-08',
    Id: 'f1',
    ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty',
    GeneratorId: 'g',
    AwsAccountId: '111111111111',
    CreatedAt: '2024-05-29T00:00:00Z',
    UpdatedAt: '2024-05-30T00:00:00Z',
    Title: 't',
    Description: 'd',
    Resources: [{ Type: 'Other', Id: 'r' }],
    ProductName: 'GuardDuty',
    RecordState: 'ACTIVE',
    Workflow: { Status: 'NEW' },
    ...overrides,
  };
}

describe('Security Hub filters', () => {
  it('ORs positive comparisons and ANDs negative ones on one field', () => {
    const f = finding({});
    expect(
      matchesFilters(
        f,
        {
          AwsAccountId: [
            { Value: '222222222222', Comparison: 'EQUALS' },
            { Value: '111111111111', Comparison: 'EQUALS' },
          ],
        },
        NOW,
      ),
    ).toBe(true);
    expect(
      matchesFilters(
        f,
        {
          AwsAccountId: [
            { Value: '1111', Comparison: 'PREFIX' },
            { Value: '111111111111', Comparison: 'NOT_EQUALS' },
          ],
        },
        NOW,
      ),
    ).toBe(false);
    expect(
      matchesFilters(
        f,
        {
          WorkflowStatus: [
            { Value: 'RESOLVED', Comparison: 'NOT_EQUALS' },
            { Value: 'SUPPRESSED', Comparison: 'NOT_EQUALS' },
          ],
        },
        NOW,
      ),
    ).toBe(true);
  });

  it('ANDs different fields and evaluates map and date filters', () => {
    const f = finding({ UserDefinedFields: { cordon: 'done' } });
    expect(
      matchesFilters(
        f,
        { ProductName: [{ Value: 'GuardDuty', Comparison: 'EQUALS' }], RecordState: [{ Value: 'ARCHIVED', Comparison: 'EQUALS' }] },
        NOW,
      ),
    ).toBe(false);
    expect(matchesFilters(f, { UserDefinedFields: [{ Key: 'cordon', Value: 'done', Comparison: 'EQUALS' }] }, NOW)).toBe(true);
    expect(matchesFilters(f, { UpdatedAt: [{ DateRange: { Value: 7, Unit: 'DAYS' } }] }, NOW)).toBe(true);
    expect(matchesFilters(f, { UpdatedAt: [{ Start: '2024-05-31T00:00:00Z', End: '2024-06-01T00:00:00Z' }] }, NOW)).toBe(false);
  });
});

describe('GuardDuty finding criteria', () => {
  const wire = {
    severity: 8,
    type: 'Recon:EC2/Portscan',
    service: { archived: false },
    updatedAt: '2024-05-30T00:00:00.000Z',
    resource: { instanceDetails: { networkInterfaces: [{ publicIp: '198.51.100.1' }] } },
  };

  it('matches equality on nested paths and flattens arrays', () => {
    expect(matchesCriteria(wire, { 'service.archived': { Equals: ['false'] } })).toBe(true);
    expect(matchesCriteria(wire, { 'resource.instanceDetails.networkInterfaces.publicIp': { Eq: ['198.51.100.1'] } })).toBe(true);
    expect(matchesCriteria(wire, { type: { NotEquals: ['Recon:EC2/Portscan'] } })).toBe(false);
  });

  it('compares numbers and timestamps (epoch milliseconds)', () => {
    expect(matchesCriteria(wire, { severity: { GreaterThanOrEqual: 7, LessThan: 9 } })).toBe(true);
    expect(matchesCriteria(wire, { updatedAt: { GreaterThan: Date.parse('2024-06-01T00:00:00Z') } })).toBe(false);
  });
});
