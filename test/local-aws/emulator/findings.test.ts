import {
  ArchiveFindingsCommand,
  GetFindingsCommand as GdGetFindingsCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  ListFindingsCommand,
} from '@aws-sdk/client-guardduty';
import {
  BatchUpdateFindingsCommand,
  CreateActionTargetCommand,
  DeleteActionTargetCommand,
  DescribeActionTargetsCommand,
  GetFindingsCommand as ShGetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';

import { startLocalAws, type LocalAws } from '../../../local-aws/start';
import { clientConfig, credentialsFor, sampleFinding, type Credentials } from './helpers';

const ADMIN = '222222222222';
const MEMBER = '111111111111';
const OTHER_MEMBER = '333333333333';
const REGION = 'us-east-1';
const PRODUCT_ARN = `arn:aws:securityhub:${REGION}::product/aws/guardduty`;

describe('findings: GuardDuty → Security Hub round trip and visibility', () => {
  let local: LocalAws;
  let creds: Record<string, Credentials>;
  let findingArn: string;

  const gd = (account: string): GuardDutyClient => new GuardDutyClient(clientConfig(local, REGION, creds[account]));
  const sh = (account: string): SecurityHubClient => new SecurityHubClient(clientConfig(local, REGION, creds[account]));
  const detectorOf = async (account: string): Promise<string> => {
    const out = await gd(account).send(new ListDetectorsCommand({}));
    const id = out.DetectorIds?.[0];
    if (!id) throw new Error(`no detector in ${account}`);
    return id;
  };

  beforeAll(async () => {
    local = await startLocalAws();
    creds = {};
    for (const account of [ADMIN, MEMBER, OTHER_MEMBER]) creds[account] = await credentialsFor(local, account);
    local.emulator.seedOrganization({ administratorAccountId: ADMIN, memberAccountIds: [MEMBER, OTHER_MEMBER], regions: [REGION] });
    const stored = local.emulator.publishGuardDutyFinding(sampleFinding({ accountId: MEMBER }));
    findingArn = stored.Arn ?? '';
  });

  afterAll(async () => {
    await local?.stop();
  });

  it('shows a member finding to the member and its administrator, not to another member', async () => {
    // Act
    const adminIds = await gd(ADMIN).send(new ListFindingsCommand({ DetectorId: await detectorOf(ADMIN) }));
    const memberIds = await gd(MEMBER).send(new ListFindingsCommand({ DetectorId: await detectorOf(MEMBER) }));
    const otherIds = await gd(OTHER_MEMBER).send(new ListFindingsCommand({ DetectorId: await detectorOf(OTHER_MEMBER) }));
    const got = await gd(ADMIN).send(new GdGetFindingsCommand({ DetectorId: await detectorOf(ADMIN), FindingIds: adminIds.FindingIds }));

    // Assess
    expect(adminIds.FindingIds).toEqual(['f0c1a2b3c4d5e6f708192a3b4c5d6e7f']);
    expect(memberIds.FindingIds).toEqual(['f0c1a2b3c4d5e6f708192a3b4c5d6e7f']);
    expect(otherIds.FindingIds).toEqual([]);
    const finding = got.Findings?.[0];
    expect(finding?.AccountId).toBe(MEMBER);
    expect(finding?.Arn).toBe(findingArn);
    expect(finding?.Service?.Count).toBe(1);
    expect(finding?.Service?.Archived).toBe(false);
    expect(finding?.Resource?.InstanceDetails?.InstanceId).toBe('i-0abc1234def567890');
    expect(finding?.Resource?.InstanceDetails?.NetworkInterfaces?.[0]?.SecurityGroups?.[0]?.GroupId).toBe('sg-1');
  });

  it('rejects a detector id the caller does not own', async () => {
    await expect(gd(OTHER_MEMBER).send(new ListFindingsCommand({ DetectorId: await detectorOf(MEMBER) }))).rejects.toMatchObject({
      name: 'BadRequestException',
    });
  });

  it('imports the finding into Security Hub as ASFF', async () => {
    // Act
    const out = await sh(ADMIN).send(new ShGetFindingsCommand({ Filters: { Id: [{ Value: findingArn, Comparison: 'EQUALS' }] } }));

    // Assess
    const f = out.Findings?.[0];
    expect(out.Findings).toHaveLength(1);
    expect(f).toMatchObject({
      Id: findingArn,
      ProductArn: PRODUCT_ARN,
      ProductName: 'GuardDuty',
      CompanyName: 'Amazon',
      AwsAccountId: MEMBER,
      Types: ['TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce'],
      Severity: { Label: 'HIGH', Normalized: 80, Product: 8 },
      Workflow: { Status: 'NEW' },
      WorkflowState: 'NEW',
      RecordState: 'ACTIVE',
      FirstObservedAt: '2024-05-01T09:55:00.000Z',
    });
    expect(f?.ProductFields?.['aws/guardduty/service/count']).toBe('1');
    expect(f?.Resources?.[0]).toMatchObject({ Type: 'AwsEc2Instance', Id: `arn:aws:ec2:${REGION}:${MEMBER}:instance/i-0abc1234def567890` });
  });

  it('makes BatchUpdateFindings visible to the next GetFindings, and keeps it across a re-publish', async () => {
    // Act
    const updated = await sh(ADMIN).send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: findingArn, ProductArn: PRODUCT_ARN }],
        Note: { Text: 'cordon isolated i-0abc1234def567890', UpdatedBy: 'cordon' },
        Workflow: { Status: 'NOTIFIED' },
        UserDefinedFields: { cordonRunbook: 'ssh-brute-force' },
      }),
    );
    const notified = await sh(ADMIN).send(
      new ShGetFindingsCommand({ Filters: { WorkflowStatus: [{ Value: 'NOTIFIED', Comparison: 'EQUALS' }] } }),
    );
    local.emulator.publishGuardDutyFinding(
      sampleFinding({ accountId: MEMBER, updatedAt: '2024-05-01T11:00:00.000Z', service: { count: 2, archived: false } }),
    );
    const after = await sh(MEMBER).send(new ShGetFindingsCommand({ Filters: { Id: [{ Value: findingArn, Comparison: 'EQUALS' }] } }));

    // Assess
    expect(updated.ProcessedFindings).toEqual([{ Id: findingArn, ProductArn: PRODUCT_ARN }]);
    expect(updated.UnprocessedFindings).toEqual([]);
    expect(notified.Findings?.map((f) => f.Id)).toEqual([findingArn]);
    expect(notified.Findings?.[0]?.Note).toMatchObject({ Text: 'cordon isolated i-0abc1234def567890', UpdatedBy: 'cordon' });
    const f = after.Findings?.[0];
    expect(f?.ProductFields?.['aws/guardduty/service/count']).toBe('2');
    expect(f?.UpdatedAt).toBe('2024-05-01T11:00:00.000Z');
    expect(f?.Workflow?.Status).toBe('NOTIFIED');
    expect(f?.UserDefinedFields).toEqual({ cordonRunbook: 'ssh-brute-force' });
  });

  it('reports findings the caller cannot see, or that do not exist, as unprocessed', async () => {
    // Act
    const out = await sh(OTHER_MEMBER).send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [
          { Id: findingArn, ProductArn: PRODUCT_ARN },
          { Id: 'arn:aws:guardduty:us-east-1:333333333333:detector/x/finding/nope', ProductArn: PRODUCT_ARN },
        ],
        Workflow: { Status: 'RESOLVED' },
      }),
    );

    // Assess
    expect(out.ProcessedFindings).toEqual([]);
    expect(out.UnprocessedFindings?.map((u) => u.ErrorCode)).toEqual(['FindingNotFound', 'FindingNotFound']);
    expect(out.UnprocessedFindings?.[0]?.ErrorMessage).toBe('Finding Not Found');
  });

  it('lets only the administrator archive a member finding, and mirrors it in Security Hub', async () => {
    // Prepare
    const id = 'f0c1a2b3c4d5e6f708192a3b4c5d6e7f';

    // Act
    const memberAttempt = gd(MEMBER).send(new ArchiveFindingsCommand({ DetectorId: await detectorOf(MEMBER), FindingIds: [id] }));
    await expect(memberAttempt).rejects.toMatchObject({ name: 'BadRequestException' });
    await gd(ADMIN).send(new ArchiveFindingsCommand({ DetectorId: await detectorOf(ADMIN), FindingIds: [id] }));
    const got = await gd(ADMIN).send(new GdGetFindingsCommand({ DetectorId: await detectorOf(ADMIN), FindingIds: [id] }));
    const active = await gd(ADMIN).send(
      new ListFindingsCommand({
        DetectorId: await detectorOf(ADMIN),
        FindingCriteria: { Criterion: { 'service.archived': { Equals: ['false'] } } },
      }),
    );
    const asff = await sh(ADMIN).send(new ShGetFindingsCommand({ Filters: { Id: [{ Value: findingArn }] } }));

    // Assess
    expect(got.Findings?.[0]?.Service?.Archived).toBe(true);
    expect(active.FindingIds).toEqual([]);
    expect(asff.Findings?.[0]?.RecordState).toBe('ARCHIVED');
  });

  it('pages ListFindings and filters on severity', async () => {
    // Prepare
    for (const [i, severity] of [2, 5, 8.5].entries()) {
      local.emulator.publishGuardDutyFinding(
        sampleFinding({ accountId: OTHER_MEMBER, id: `page${i}`, severity, type: 'Recon:EC2/PortProbeUnprotectedPort' }),
      );
    }
    const detectorId = await detectorOf(ADMIN);

    // Act
    const first = await gd(ADMIN).send(
      new ListFindingsCommand({
        DetectorId: detectorId,
        MaxResults: 2,
        FindingCriteria: { Criterion: { accountId: { Eq: [OTHER_MEMBER] } } },
      }),
    );
    const second = await gd(ADMIN).send(
      new ListFindingsCommand({
        DetectorId: detectorId,
        MaxResults: 2,
        NextToken: first.NextToken,
        FindingCriteria: { Criterion: { accountId: { Eq: [OTHER_MEMBER] } } },
      }),
    );
    const severe = await gd(ADMIN).send(
      new ListFindingsCommand({
        DetectorId: detectorId,
        FindingCriteria: { Criterion: { severity: { GreaterThanOrEqual: 7 }, type: { Eq: ['Recon:EC2/PortProbeUnprotectedPort'] } } },
      }),
    );

    // Assess
    expect(first.FindingIds).toEqual(['page0', 'page1']);
    expect(first.NextToken).toBeTruthy();
    expect(second.FindingIds).toEqual(['page2']);
    expect(second.NextToken).toBeUndefined();
    expect(severe.FindingIds).toEqual(['page2']);
  });

  it('manages custom action targets', async () => {
    // Act
    const created = await sh(ADMIN).send(
      new CreateActionTargetCommand({ Name: 'Isolate', Id: 'cordonIsolate', Description: 'Run cordon' }),
    );
    const duplicate = sh(ADMIN).send(new CreateActionTargetCommand({ Name: 'Isolate', Id: 'cordonIsolate', Description: 'Run cordon' }));
    await expect(duplicate).rejects.toMatchObject({ name: 'ResourceConflictException' });
    const described = await sh(ADMIN).send(new DescribeActionTargetsCommand({}));
    const deleted = await sh(ADMIN).send(new DeleteActionTargetCommand({ ActionTargetArn: created.ActionTargetArn }));
    const again = sh(ADMIN).send(new DeleteActionTargetCommand({ ActionTargetArn: created.ActionTargetArn }));

    // Assess
    expect(created.ActionTargetArn).toBe(`arn:aws:securityhub:${REGION}:${ADMIN}:action/custom/cordonIsolate`);
    expect(described.ActionTargets).toEqual([{ ActionTargetArn: created.ActionTargetArn, Name: 'Isolate', Description: 'Run cordon' }]);
    expect(deleted.ActionTargetArn).toBe(created.ActionTargetArn);
    await expect(again).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
