import { decodeInput, toWire } from '../../../local-aws/emulator/codec';
import { compileRoutes, loadServiceModel, locateBotocore, matchRoute, type ServiceModel } from '../../../local-aws/emulator/model';
import { describeViolations, validateInput } from '../../../local-aws/emulator/validate';

describe('botocore model: routes, codec and validation', () => {
  let guardduty: ServiceModel;
  let securityhub: ServiceModel;

  beforeAll(() => {
    const dir = locateBotocore();
    guardduty = loadServiceModel(dir, 'guardduty');
    securityhub = loadServiceModel(dir, 'securityhub');
  });

  it('routes by method and path, preferring literal segments, and decodes greedy labels', () => {
    // Prepare
    const gdRoutes = compileRoutes(guardduty);
    const shRoutes = compileRoutes(securityhub);
    const arn = 'arn:aws:securityhub:us-east-1:123456789012:action/custom/isolate';

    // Act
    const getFindings = matchRoute(gdRoutes, 'POST', '/detector/abc/findings/get', new URLSearchParams());
    const listFindings = matchRoute(gdRoutes, 'POST', '/detector/abc/findings', new URLSearchParams());
    const deleteTarget = matchRoute(
      shRoutes,
      'DELETE',
      `/actionTargets/${encodeURIComponent(arn).replace(/%2F/g, '/')}`,
      new URLSearchParams(),
    );
    const none = matchRoute(gdRoutes, 'PUT', '/detector/abc/findings/get', new URLSearchParams());

    // Assess
    expect(getFindings?.operation.name).toBe('GetFindings');
    expect(getFindings?.labels).toEqual({ DetectorId: 'abc' });
    expect(listFindings?.operation.name).toBe('ListFindings');
    expect(deleteTarget?.operation.name).toBe('DeleteActionTarget');
    expect(deleteTarget?.labels).toEqual({ ActionTargetArn: arn });
    expect(none).toBeUndefined();
  });

  it('decodes wire names into member names from URI, query string and body', () => {
    // Act
    const input = decodeInput(guardduty, 'ListMembersRequest', {
      labels: { DetectorId: 'det' },
      query: new URLSearchParams('maxResults=5&onlyAssociated=false'),
      headers: {},
      body: {},
    });
    const body = decodeInput(guardduty, 'ListFindingsRequest', {
      labels: { DetectorId: 'det' },
      query: new URLSearchParams(),
      headers: {},
      body: { findingCriteria: { criterion: { severity: { gte: 7 } } }, maxResults: 10 },
    });

    // Assess
    expect(input).toEqual({ DetectorId: 'det', MaxResults: 5, OnlyAssociated: 'false' });
    expect(body).toEqual({ DetectorId: 'det', FindingCriteria: { Criterion: { severity: { Gte: 7 } } }, MaxResults: 10 });
  });

  it('encodes member names to wire names and timestamps per the model', () => {
    // Act
    const wire = toWire(
      guardduty,
      { shape: 'GetDetectorResponse' },
      {
        Status: 'ENABLED',
        ServiceRole: 'role',
        Features: [{ Name: 'S3_DATA_EVENTS', Status: 'ENABLED', UpdatedAt: new Date('2024-01-01T00:00:00Z') }],
        NotInModel: 'dropped',
      },
    );
    const member = toWire(securityhub, { shape: 'Member' }, { AccountId: '111111111111', InvitedAt: new Date('2024-01-01T00:00:00Z') });

    // Assess
    expect(wire).toEqual({
      status: 'ENABLED',
      serviceRole: 'role',
      features: [{ name: 'S3_DATA_EVENTS', status: 'ENABLED', updatedAt: 1704067200 }],
    });
    expect(member).toEqual({ AccountId: '111111111111', InvitedAt: '2024-01-01T00:00:00.000Z' });
  });

  it('reports every violation with AWS wording and wire paths', () => {
    // Act
    const violations = validateInput(guardduty, 'CreateMembers', 'CreateMembersRequest', {
      DetectorId: '',
      AccountDetails: [{ AccountId: '1234567890123' }],
    });

    // Assess
    expect(violations.map((v) => v.path)).toEqual(['DetectorId', 'accountDetails.1.email', 'accountDetails.1.accountId']);
    expect(describeViolations(violations)).toMatch(
      /^3 validation errors detected: Value '' at 'DetectorId' failed to satisfy constraint: Member must have length greater than or equal to 1; /,
    );
  });

  it('applies documented limits the model lacks', () => {
    // Act
    const violations = validateInput(
      securityhub,
      'BatchUpdateFindings',
      'BatchUpdateFindingsRequest',
      { FindingIdentifiers: [{ Id: 'a', ProductArn: 'p' }], UserDefinedFields: { ['k'.repeat(129)]: 'v' } },
      { operations: { BatchUpdateFindings: { 'UserDefinedFields.{key}': { max: 128 } } } },
    );

    // Assess
    expect(violations).toHaveLength(1);
    expect(violations[0]?.message).toContain('Member must have length less than or equal to 128');
  });
});
