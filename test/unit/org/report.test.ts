import type { RegionReport } from '../../../src/org/region-report';
import { formatCoverage, regionTable } from '../../../src/org/report';

function report(overrides: Partial<RegionReport>): RegionReport {
  return {
    region: 'us-east-1',
    enabled: true,
    admin: 'self',
    covered: 3,
    targeted: 3,
    plans: ['s3', 'eks'],
    withAllPlans: 3,
    publishingFrequency: 'FIFTEEN_MINUTES',
    securityHub: {
      admin: 'self',
      hubEnabled: true,
      autoEnable: true,
      membersEnabled: 2,
      membersTargeted: 2,
      aggregator: 'arn:agg',
      configurationType: 'LOCAL',
      v2: false,
    },
    changes: [],
    gaps: [],
    errors: [],
    deniedByScp: false,
    notes: [],
    uncovered: [],
    ...overrides,
  };
}

describe('enable and coverage reports', () => {
  it('shows per region the accounts covered and those with every requested plan, and a region enabled nowhere without counts', () => {
    // Act
    const text = regionTable([
      report({}),
      report({ region: 'eu-west-1', withAllPlans: 1, errors: ['boom'] }),
      report({
        region: 'me-south-1',
        enabled: false,
        admin: 'not enabled',
        covered: 0,
        targeted: 0,
        withAllPlans: 0,
        securityHub: undefined,
      }),
    ]);

    // Assess
    expect(text.split('\n')).toEqual([
      'REGION      GD ADMIN     COVERED  PLANS  AUTO-ENABLED  PUBLISHING       SECURITY HUB                                      ERRORS',
      'us-east-1   self         3/3      3/3    s3,eks        FIFTEEN_MINUTES  admin self, 2/2 members, auto-enable, aggregator  -',
      'eu-west-1   self         3/3      1/3    s3,eks        FIFTEEN_MINUTES  admin self, 2/2 members, auto-enable, aggregator  boom',
      'me-south-1  not enabled  -        -      -             -                -                                                 -',
    ]);
  });

  it('lists coverage cells with their gap marker and missing plans, and counts the gaps', () => {
    const text = formatCoverage(
      [
        {
          accountId: '111111111111',
          accountName: 'a',
          region: 'us-east-1',
          status: 'member-enabled',
          detail: 'member, Enabled',
          plans: ['s3'],
          missingPlans: ['eks'],
          gap: true,
        },
        {
          accountId: '222222222222',
          accountName: '',
          region: 'us-east-1',
          status: 'administrator',
          detail: 'delegated administrator',
          plans: ['s3', 'eks'],
          missingPlans: [],
          gap: false,
        },
        {
          accountId: '111111111111',
          accountName: 'a',
          region: 'me-south-1',
          status: 'region-not-enabled',
          detail: 'region opt-in status DISABLED',
          plans: [],
          missingPlans: [],
          gap: false,
        },
      ],
      [{ accountId: '333333333333', state: 'SUSPENDED' }],
      [],
    );
    expect(text.split('\n')[1]).toBe('GAP  111111111111  a     us-east-1   member-enabled      s3 (missing eks)  member, Enabled');
    expect(text.split('\n')[2]).toMatch(/^ {5}222222222222  -     us-east-1   administrator/);
    expect(text).toContain('Skipped (not ACTIVE): 333333333333 SUSPENDED');
    expect(text.trimEnd().split('\n').at(-1)).toBe('1 gap(s) among 2 account×region pair(s).');
  });
});
