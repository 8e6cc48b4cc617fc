import { AccountClient, GetRegionOptStatusCommand, ListRegionsCommand } from '@aws-sdk/client-account';
import {
  CreateDetectorCommand,
  CreateMembersCommand,
  DescribeOrganizationConfigurationCommand,
  EnableOrganizationAdminAccountCommand,
  GetAdministratorAccountCommand,
  GetDetectorCommand,
  GetMemberDetectorsCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  ListMembersCommand,
  ListOrganizationAdminAccountsCommand,
  StartMonitoringMembersCommand,
  StopMonitoringMembersCommand,
  UpdateDetectorCommand,
  UpdateMemberDetectorsCommand,
  UpdateOrganizationConfigurationCommand,
  type UpdateOrganizationConfigurationCommandInput,
} from '@aws-sdk/client-guardduty';
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import {
  CreateFindingAggregatorCommand,
  CreateMembersCommand as ShCreateMembersCommand,
  DescribeHubCommand,
  DescribeOrganizationConfigurationCommand as ShDescribeOrganizationConfigurationCommand,
  EnableOrganizationAdminAccountCommand as ShEnableOrganizationAdminAccountCommand,
  EnableSecurityHubCommand,
  GetFindingAggregatorCommand,
  GetFindingsCommand,
  ListFindingAggregatorsCommand,
  ListMembersCommand as ShListMembersCommand,
  SecurityHubClient,
  UpdateOrganizationConfigurationCommand as ShUpdateOrganizationConfigurationCommand,
} from '@aws-sdk/client-securityhub';

import { startLocalAws, type LocalAws } from '../../../local-aws/start';
import { clientConfig, credentialsFor, DEFAULT_ACCOUNT, sampleFinding, type Credentials } from './helpers';

const REGION = 'us-east-1';

describe('organization-wide enablement against moto Organizations', () => {
  let local: LocalAws;
  let security: string;
  let workload: string;
  let securityCreds: Credentials;
  let workloadCreds: Credentials;

  beforeAll(async () => {
    local = await startLocalAws();
    const org = new OrganizationsClient(clientConfig(local));
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const created: string[] = [];
    for (const name of ['security', 'workload']) {
      const out = await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
      created.push(out.CreateAccountStatus?.AccountId ?? '');
    }
    [security = '', workload = ''] = created;
    securityCreds = await credentialsFor(local, security);
    workloadCreds = await credentialsFor(local, workload);
  });

  afterAll(async () => {
    await local?.stop();
  });

  describe('GuardDuty', () => {
    const gd = (creds?: Credentials, region = REGION): GuardDutyClient => new GuardDutyClient(clientConfig(local, region, creds));

    it('lets only the management account designate the delegated administrator, which enables GuardDuty for it there', async () => {
      // https://docs.aws.amazon.com/guardduty/latest/ug/organizations_permissions.html: designating the delegated administrator
      // "also enables GuardDuty for the delegated GuardDuty administrator account" (in that Region); one detector per account and Region.
      await expect(gd(workloadCreds).send(new EnableOrganizationAdminAccountCommand({ AdminAccountId: security }))).rejects.toMatchObject({
        name: 'BadRequestException',
      });
      expect((await gd(securityCreds).send(new ListDetectorsCommand({}))).DetectorIds).toEqual([]);
      await gd().send(new EnableOrganizationAdminAccountCommand({ AdminAccountId: security }));
      const listed = await gd().send(new ListOrganizationAdminAccountsCommand({}));
      expect(listed.AdminAccounts).toEqual([{ AdminAccountId: security, AdminStatus: 'ENABLED' }]);
      const detectors = (await gd(securityCreds).send(new ListDetectorsCommand({}))).DetectorIds ?? [];
      expect(detectors).toHaveLength(1);
      expect((await gd(securityCreds).send(new GetDetectorCommand({ DetectorId: detectors[0] ?? '' }))).Status).toBe('ENABLED');
      await expect(gd(securityCreds).send(new CreateDetectorCommand({ Enable: true }))).rejects.toMatchObject({
        name: 'BadRequestException',
        message: 'The request is rejected because a detector already exists for the current account.',
      });
      expect((await gd(securityCreds, 'eu-west-1').send(new ListDetectorsCommand({}))).DetectorIds).toEqual([]);
    });

    it('changes only the settings with UpdateOrganizationConfiguration: existing accounts follow later (settle), accounts added with CreateMembers at once', async () => {
      // https://docs.aws.amazon.com/guardduty/latest/APIReference/API_UpdateOrganizationConfiguration.html: ALL "may take up to
      // 24 hours to update the configuration for all the member accounts";
      // https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateMembers.html: "GuardDuty applies your organization's
      // auto-enable settings to the member accounts in this request, irrespective of the accounts being new or existing members".
      // Prepare
      const detectorId = (await gd(securityCreds).send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
      const s3Of = async (accountId: string): Promise<string | undefined> =>
        (
          await gd(securityCreds).send(new GetMemberDetectorsCommand({ DetectorId: detectorId, AccountIds: [accountId] }))
        ).MemberDataSourceConfigurations?.[0]?.Features?.find((f) => f.Name === 'S3_DATA_EVENTS')?.Status;
      await gd(securityCreds).send(
        new CreateMembersCommand({ DetectorId: detectorId, AccountDetails: [{ AccountId: workload, Email: 'workload@example.com' }] }),
      );
      const before = await s3Of(workload);

      // Act
      await gd(securityCreds).send(
        new UpdateOrganizationConfigurationCommand({
          DetectorId: detectorId,
          AutoEnableOrganizationMembers: 'ALL',
          Features: [{ Name: 'S3_DATA_EVENTS', AutoEnable: 'ALL' }],
        }),
      );
      const afterConfig = await s3Of(workload);
      const membersBeforeSettle = await gd(securityCreds).send(new ListMembersCommand({ DetectorId: detectorId }));
      const again = await gd(securityCreds).send(
        new CreateMembersCommand({ DetectorId: detectorId, AccountDetails: [{ AccountId: workload, Email: 'workload@example.com' }] }),
      );
      const afterCreateMembers = await s3Of(workload);
      await local.emulator.settle();
      const members = await gd(securityCreds).send(new ListMembersCommand({ DetectorId: detectorId }));
      const workloadDetectors = await gd(workloadCreds).send(new ListDetectorsCommand({}));
      const administrator = await gd(workloadCreds).send(
        new GetAdministratorAccountCommand({ DetectorId: workloadDetectors.DetectorIds?.[0] ?? '' }),
      );

      // Assess
      expect(before).toBe('DISABLED');
      expect(afterConfig).toBe('DISABLED');
      expect(membersBeforeSettle.Members?.map((m) => m.AccountId)).toEqual([workload]);
      expect(again.UnprocessedAccounts).toEqual([]);
      expect(afterCreateMembers).toBe('ENABLED');
      expect(members.Members?.map((m) => [m.AccountId, m.RelationshipStatus]).sort()).toEqual(
        [
          [DEFAULT_ACCOUNT, 'Enabled'],
          [workload, 'Enabled'],
        ].sort(),
      );
      expect(await s3Of(DEFAULT_ACCOUNT)).toBe('ENABLED');
      expect(workloadDetectors.DetectorIds).toHaveLength(1);
      expect(administrator.Administrator).toMatchObject({ AccountId: security, RelationshipStatus: 'Enabled' });
    });

    it('rejects organization configuration from an account that is not the delegated administrator', async () => {
      const detectorId = (await gd(workloadCreds).send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
      const call = gd(workloadCreds).send(
        new UpdateOrganizationConfigurationCommand({ DetectorId: detectorId, AutoEnableOrganizationMembers: 'NEW' }),
      );
      await expect(call).rejects.toMatchObject({ name: 'BadRequestException' });
    });

    it('adds an account outside the organization as Created, not Enabled', async () => {
      const detectorId = (await gd(securityCreds).send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
      const out = await gd(securityCreds).send(
        new CreateMembersCommand({ DetectorId: detectorId, AccountDetails: [{ AccountId: '999999999999', Email: 'outside@example.com' }] }),
      );
      const associated = await gd(securityCreds).send(new ListMembersCommand({ DetectorId: detectorId }));
      const all = await gd(securityCreds).send(new ListMembersCommand({ DetectorId: detectorId, OnlyAssociated: 'false' }));
      expect(out.UnprocessedAccounts).toEqual([]);
      expect(associated.Members?.map((m) => m.AccountId)).not.toContain('999999999999');
      expect(all.Members?.find((m) => m.AccountId === '999999999999')?.RelationshipStatus).toBe('Created');
    });

    it('requires exactly one of autoEnable and autoEnableOrganizationMembers, as the API reference says', async () => {
      // Prepare
      const detectorId = (await gd(securityCreds).send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
      const neither = {
        DetectorId: detectorId,
        Features: [{ Name: 'S3_DATA_EVENTS', AutoEnable: 'ALL' }],
      } as UpdateOrganizationConfigurationCommandInput;

      // Act
      const none = await gd(securityCreds)
        .send(new UpdateOrganizationConfigurationCommand(neither))
        .catch((err: unknown) => err);
      const both = await gd(securityCreds)
        .send(
          new UpdateOrganizationConfigurationCommand({ DetectorId: detectorId, AutoEnable: true, AutoEnableOrganizationMembers: 'ALL' }),
        )
        .catch((err: unknown) => err);

      // Assess
      expect(none).toMatchObject({
        name: 'BadRequestException',
        message: expect.stringContaining('neither autoEnable nor autoEnableOrganizationMembers'),
      });
      expect(both).toMatchObject({
        name: 'BadRequestException',
        message: expect.stringContaining('both autoEnable and autoEnableOrganizationMembers'),
      });
      expect(
        (await gd(securityCreds).send(new DescribeOrganizationConfigurationCommand({ DetectorId: detectorId })))
          .AutoEnableOrganizationMembers,
      ).toBe('ALL');
    });

    it('rejects Runtime Monitoring together with EKS Runtime Monitoring in every call that configures features, and changes nothing', async () => {
      // Prepare
      const detectorId = (await gd(securityCreds).send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
      const both = [
        { Name: 'RUNTIME_MONITORING' as const, Status: 'ENABLED' as const },
        { Name: 'EKS_RUNTIME_MONITORING' as const, Status: 'ENABLED' as const },
      ];
      const conflict = {
        name: 'BadRequestException',
        message: expect.stringContaining('both RUNTIME_MONITORING and EKS_RUNTIME_MONITORING'),
      };

      // Act + Assess
      await expect(
        gd(securityCreds).send(
          new UpdateOrganizationConfigurationCommand({
            DetectorId: detectorId,
            AutoEnableOrganizationMembers: 'ALL',
            Features: both.map((f) => ({ Name: f.Name, AutoEnable: 'ALL' })),
          }),
        ),
      ).rejects.toMatchObject(conflict);
      await expect(gd(securityCreds).send(new UpdateDetectorCommand({ DetectorId: detectorId, Features: both }))).rejects.toMatchObject(
        conflict,
      );
      await expect(
        gd(securityCreds).send(new UpdateMemberDetectorsCommand({ DetectorId: detectorId, AccountIds: [workload], Features: both })),
      ).rejects.toMatchObject(conflict);
      await expect(
        gd(securityCreds, 'eu-central-1').send(new CreateDetectorCommand({ Enable: true, Features: both })),
      ).rejects.toMatchObject(conflict);
      expect((await gd(securityCreds, 'eu-central-1').send(new ListDetectorsCommand({}))).DetectorIds).toEqual([]);
      const config = await gd(securityCreds).send(new DescribeOrganizationConfigurationCommand({ DetectorId: detectorId }));
      expect(config.Features?.find((f) => f.Name === 'RUNTIME_MONITORING')?.AutoEnable).toBe('NONE');
    });

    it('refuses to stop monitoring organization members while auto-enable is ALL, stops it otherwise, and starts it again', async () => {
      // Prepare
      const detectorId = (await gd(securityCreds).send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
      const relationship = async (): Promise<string | undefined> =>
        (await gd(securityCreds).send(new ListMembersCommand({ DetectorId: detectorId, OnlyAssociated: 'false' }))).Members?.find(
          (m) => m.AccountId === workload,
        )?.RelationshipStatus;

      // Act + Assess
      await expect(
        gd(securityCreds).send(new StopMonitoringMembersCommand({ DetectorId: detectorId, AccountIds: [workload] })),
      ).rejects.toMatchObject({
        name: 'BadRequestException',
        message: expect.stringContaining('autoEnableOrganizationMembers is ALL'),
      });
      await gd(securityCreds).send(
        new UpdateOrganizationConfigurationCommand({ DetectorId: detectorId, AutoEnableOrganizationMembers: 'NEW' }),
      );
      const stopped = await gd(securityCreds).send(
        new StopMonitoringMembersCommand({ DetectorId: detectorId, AccountIds: [workload, '999999999998'] }),
      );
      expect(stopped.UnprocessedAccounts?.map((u) => u.AccountId)).toEqual(['999999999998']);
      expect(await relationship()).toBe('Disabled');
      expect(
        (await gd(securityCreds).send(new ListMembersCommand({ DetectorId: detectorId }))).Members?.map((m) => m.AccountId),
      ).not.toContain(workload);
      const started = await gd(securityCreds).send(new StartMonitoringMembersCommand({ DetectorId: detectorId, AccountIds: [workload] }));
      expect(started.UnprocessedAccounts).toEqual([]);
      expect(await relationship()).toBe('Enabled');
      await gd(securityCreds).send(
        new UpdateOrganizationConfigurationCommand({ DetectorId: detectorId, AutoEnableOrganizationMembers: 'ALL' }),
      );
    });

    it("updates members' protection plans with UpdateMemberDetectors, leaving out accounts that are not members", async () => {
      // Prepare
      const detectorId = (await gd(securityCreds).send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
      const s3 = async (): Promise<string | undefined> =>
        (
          await gd(securityCreds).send(new GetMemberDetectorsCommand({ DetectorId: detectorId, AccountIds: [workload] }))
        ).MemberDataSourceConfigurations?.[0]?.Features?.find((f) => f.Name === 'S3_DATA_EVENTS')?.Status;

      // Act
      const off = await gd(securityCreds).send(
        new UpdateMemberDetectorsCommand({
          DetectorId: detectorId,
          AccountIds: [workload, '999999999997'],
          Features: [{ Name: 'S3_DATA_EVENTS', Status: 'DISABLED' }],
        }),
      );
      const afterOff = await s3();
      await gd(securityCreds).send(
        new UpdateMemberDetectorsCommand({
          DetectorId: detectorId,
          AccountIds: [workload],
          Features: [{ Name: 'S3_DATA_EVENTS', Status: 'ENABLED' }],
        }),
      );

      // Assess
      expect(off.UnprocessedAccounts?.map((u) => u.AccountId)).toEqual(['999999999997']);
      expect(afterOff).toBe('DISABLED');
      expect(await s3()).toBe('ENABLED');
    });
  });

  describe('Security Hub', () => {
    const sh = (creds?: Credentials, region = REGION): SecurityHubClient => new SecurityHubClient(clientConfig(local, region, creds));

    it('enables members, auto-enable, and cross-region aggregation for the administrator', async () => {
      // Prepare
      await sh().send(new ShEnableOrganizationAdminAccountCommand({ AdminAccountId: security }));
      await sh(securityCreds).send(new EnableSecurityHubCommand({}));

      // Act
      await sh(securityCreds).send(new ShUpdateOrganizationConfigurationCommand({ AutoEnable: true, AutoEnableStandards: 'NONE' }));
      const config = await sh(securityCreds).send(new ShDescribeOrganizationConfigurationCommand({}));
      const created = await sh(securityCreds).send(new ShCreateMembersCommand({ AccountDetails: [{ AccountId: workload }] }));
      const members = await sh(securityCreds).send(new ShListMembersCommand({}));
      const memberHub = await sh(workloadCreds).send(new DescribeHubCommand({}));
      const aggregator = await sh(securityCreds).send(new CreateFindingAggregatorCommand({ RegionLinkingMode: 'ALL_REGIONS' }));
      const listed = await sh(securityCreds).send(new ListFindingAggregatorsCommand({}));
      const got = await sh(securityCreds).send(new GetFindingAggregatorCommand({ FindingAggregatorArn: aggregator.FindingAggregatorArn }));
      // Security Hub must be on in the member's other region for the finding to matter there; the import happens regardless.
      const published = local.emulator.publishGuardDutyFinding(sampleFinding({ accountId: workload, region: 'eu-west-1' }));
      const aggregated = await sh(securityCreds).send(
        new GetFindingsCommand({ Filters: { AwsAccountId: [{ Value: workload, Comparison: 'EQUALS' }] } }),
      );

      // Assess
      expect(config).toMatchObject({ AutoEnable: true, AutoEnableStandards: 'NONE' });
      expect(created.UnprocessedAccounts).toEqual([]);
      expect(members.Members?.map((m) => [m.AccountId, m.MemberStatus])).toEqual([[workload, 'Enabled']]);
      expect(memberHub.HubArn).toBe(`arn:aws:securityhub:${REGION}:${workload}:hub/default`);
      expect(aggregator).toMatchObject({ FindingAggregationRegion: REGION, RegionLinkingMode: 'ALL_REGIONS' });
      expect(listed.FindingAggregators).toEqual([{ FindingAggregatorArn: aggregator.FindingAggregatorArn }]);
      expect(got.FindingAggregatorArn).toBe(aggregator.FindingAggregatorArn);
      expect(aggregated.Findings?.map((f) => [f.Id, f.Region])).toEqual([[published.Arn, 'eu-west-1']]);
    });

    it('rejects an aggregator with a bad linking mode', async () => {
      await expect(sh(workloadCreds).send(new CreateFindingAggregatorCommand({ RegionLinkingMode: 'SOME_REGIONS' }))).rejects.toMatchObject(
        {
          name: 'InvalidInputException',
        },
      );
    });
  });

  describe('Account region opt-in', () => {
    it('lists opt-in regions as DISABLED until set, and reads one region', async () => {
      // Prepare
      const account = new AccountClient(clientConfig(local));
      local.emulator.setRegionOptStatus(DEFAULT_ACCOUNT, 'af-south-1', 'ENABLED');

      // Act
      const disabled: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await account.send(
          new ListRegionsCommand({ RegionOptStatusContains: ['DISABLED'], MaxResults: 5, NextToken: nextToken }),
        );
        disabled.push(...(page.Regions ?? []).map((r) => r.RegionName ?? ''));
        nextToken = page.NextToken;
      } while (nextToken);
      const africa = await account.send(new GetRegionOptStatusCommand({ RegionName: 'af-south-1' }));
      const virginia = await account.send(new GetRegionOptStatusCommand({ RegionName: 'us-east-1' }));

      // Assess
      expect(disabled).toEqual(expect.arrayContaining(['me-south-1', 'ap-east-1', 'il-central-1']));
      expect(disabled).not.toContain('af-south-1');
      expect(disabled).not.toContain('us-east-1');
      expect(africa.RegionOptStatus).toBe('ENABLED');
      expect(virginia.RegionOptStatus).toBe('ENABLED_BY_DEFAULT');
    });
  });
});
