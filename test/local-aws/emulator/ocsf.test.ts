import {
  BatchUpdateFindingsV2Command,
  DescribeSecurityHubV2Command,
  EnableSecurityHubV2Command,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';

import { startLocalAws, type LocalAws } from '../../../local-aws/start';
import { clientConfig, credentialsFor, sampleFinding, type Credentials } from './helpers';

const ADMIN = '222222222222';
const MEMBER = '111111111111';
const OTHER = '333333333333';
const REGION = 'us-east-1';
const PRODUCT_UID = `arn:aws:securityhub:${REGION}::productv2/aws/guardduty`;

describe('the new Security Hub (OCSF): GuardDuty findings and BatchUpdateFindingsV2', () => {
  let local: LocalAws;
  let creds: Record<string, Credentials>;
  let findingArn = '';

  const sh = (account: string): SecurityHubClient => new SecurityHubClient(clientConfig(local, REGION, creds[account]));
  const ident = (arn: string, account = MEMBER): { CloudAccountUid: string; FindingInfoUid: string; MetadataProductUid: string } => ({
    CloudAccountUid: account,
    FindingInfoUid: arn,
    MetadataProductUid: PRODUCT_UID,
  });

  beforeAll(async () => {
    local = await startLocalAws();
    creds = {};
    for (const account of [ADMIN, MEMBER, OTHER]) creds[account] = await credentialsFor(local, account);
    local.emulator.seedOrganization({ administratorAccountId: ADMIN, memberAccountIds: [MEMBER, OTHER], regions: [REGION] });
    await sh(ADMIN).send(new EnableSecurityHubV2Command({}));
    findingArn = local.emulator.publishGuardDutyFinding(sampleFinding({ accountId: MEMBER })).Arn ?? '';
  });

  afterAll(async () => {
    await local?.stop();
  });

  it('holds a GuardDuty finding as OCSF where the administrator has the new Security Hub on', async () => {
    // Act
    const ocsf = local.emulator.ocsfFinding(REGION, findingArn);
    const described = await sh(ADMIN).send(new DescribeSecurityHubV2Command({}));

    // Assess
    expect(described.HubV2Arn).toMatch(/hubv2/);
    expect(ocsf).toMatchObject({
      class_uid: 2004,
      status_id: 1,
      status: 'New',
      cloud: { account: { uid: MEMBER }, region: REGION, cloud_partition: 'aws' },
      finding_info: { uid: findingArn, uid_alt: findingArn.split('/').pop() },
      metadata: { product: { name: 'GuardDuty', uid: PRODUCT_UID } },
    });
  });

  it('sets status and comment from the administrator, keeps modified_time, and reports findings it cannot see as unprocessed', async () => {
    // Prepare
    const before = local.emulator.ocsfFinding(REGION, findingArn);
    const unknown = findingArn.replace(/finding\/.*/, 'finding/nope');

    // Act
    const out = await sh(ADMIN).send(
      new BatchUpdateFindingsV2Command({ FindingIdentifiers: [ident(findingArn), ident(unknown)], StatusId: 4, Comment: 'contained' }),
    );

    // Assess
    expect(out.ProcessedFindings?.map((p) => p.FindingIdentifier?.FindingInfoUid)).toEqual([findingArn]);
    expect(out.UnprocessedFindings?.map((u) => [u.FindingIdentifier?.FindingInfoUid, u.ErrorCode])).toEqual([
      [unknown, 'ResourceNotFoundException'],
    ]);
    const after = local.emulator.ocsfFinding(REGION, findingArn);
    expect(after).toMatchObject({ status_id: 4, status: 'Resolved', comment: 'contained' });
    expect(after?.finding_info.modified_time_dt).toBe(before?.finding_info.modified_time_dt);
  });

  it("refuses what the model and its documentation refuse, and another member's or a caller without the new Security Hub", async () => {
    // Act
    const calls = {
      both: sh(ADMIN).send(new BatchUpdateFindingsV2Command({ FindingIdentifiers: [ident(findingArn)], MetadataUids: ['x'], StatusId: 1 })),
      nothing: sh(ADMIN).send(new BatchUpdateFindingsV2Command({ FindingIdentifiers: [ident(findingArn)] })),
      longComment: sh(ADMIN).send(new BatchUpdateFindingsV2Command({ FindingIdentifiers: [ident(findingArn)], Comment: 'x'.repeat(513) })),
      badStatus: sh(ADMIN).send(new BatchUpdateFindingsV2Command({ FindingIdentifiers: [ident(findingArn)], StatusId: 6 })),
      tooMany: sh(ADMIN).send(
        new BatchUpdateFindingsV2Command({ FindingIdentifiers: Array.from({ length: 101 }, () => ident(findingArn)), StatusId: 2 }),
      ),
      missingField: sh(ADMIN).send(
        new BatchUpdateFindingsV2Command({
          FindingIdentifiers: [{ CloudAccountUid: MEMBER, FindingInfoUid: findingArn } as ReturnType<typeof ident>],
          StatusId: 2,
        }),
      ),
      noHub: sh(OTHER).send(new BatchUpdateFindingsV2Command({ FindingIdentifiers: [ident(findingArn)], StatusId: 2 })),
    };

    // Assess
    for (const name of ['both', 'nothing', 'longComment', 'badStatus', 'tooMany', 'missingField'] as const)
      await expect(calls[name]).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(calls.noHub).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(local.emulator.ocsfFinding(REGION, findingArn)).toMatchObject({ status_id: 4, comment: 'contained' });
  });
});
