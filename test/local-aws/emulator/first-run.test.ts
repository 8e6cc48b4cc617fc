/**
 * What AWS does to an organization's first enablement, as the emulator now
 * behaves (each test cites the AWS page it follows): Security Hub's members,
 * standards and central configuration, Malware Protection's trusted access,
 * regional availability of GuardDuty's plans, Organizations' GuardDuty and
 * Security Hub policies, the Account API's rate limit and service control
 * policies' explicit deny. GuardDuty's designation and auto-enable are in
 * organization.test.ts.
 */
import { AccountClient, ListRegionsCommand } from '@aws-sdk/client-account';
import {
  CreateDetectorCommand,
  CreateMembersCommand,
  DescribeOrganizationConfigurationCommand,
  EnableOrganizationAdminAccountCommand,
  GetDetectorCommand,
  GetMemberDetectorsCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  UpdateDetectorCommand,
  UpdateMemberDetectorsCommand,
  UpdateOrganizationConfigurationCommand,
} from '@aws-sdk/client-guardduty';
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreatePolicyCommand,
  DescribePolicyCommand,
  EnableAWSServiceAccessCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import {
  CreateConfigurationPolicyCommand,
  CreateFindingAggregatorCommand,
  CreateMembersCommand as ShCreateMembersCommand,
  DescribeOrganizationConfigurationCommand as ShDescribeOrganizationConfigurationCommand,
  DescribeSecurityHubV2Command,
  EnableOrganizationAdminAccountCommand as ShEnableOrganizationAdminAccountCommand,
  EnableSecurityHubCommand,
  EnableSecurityHubV2Command,
  GetEnabledStandardsCommand,
  ListConfigurationPolicyAssociationsCommand,
  ListMembersCommand as ShListMembersCommand,
  ListOrganizationAdminAccountsCommand as ShListOrganizationAdminAccountsCommand,
  SecurityHubClient,
  StartConfigurationPolicyAssociationCommand,
  UpdateOrganizationConfigurationCommand as ShUpdateOrganizationConfigurationCommand,
} from '@aws-sdk/client-securityhub';

import { startLocalAws, type LocalAws } from '../../../local-aws/start';
import { clientConfig, createOrganization, credentialsFor, DEFAULT_ACCOUNT, type Credentials } from './helpers';

/** The management account: moto's default account creates the organization. */
const MANAGEMENT = DEFAULT_ACCOUNT;

describe('the emulator behaves as AWS documents for a first run', () => {
  let local: LocalAws;
  let security = '';
  let workload = '';
  let other = '';
  let securityCreds: Credentials;
  let workloadCreds: Credentials;
  let rootId = '';

  const gd = (region: string, creds?: Credentials): GuardDutyClient => new GuardDutyClient(clientConfig(local, region, creds));
  const sh = (region: string, creds?: Credentials): SecurityHubClient => new SecurityHubClient(clientConfig(local, region, creds));
  const orgs = (creds?: Credentials): OrganizationsClient => new OrganizationsClient(clientConfig(local, 'us-east-1', creds));
  const detectorOf = async (region: string, creds: Credentials): Promise<string> =>
    (await gd(region, creds).send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
  const shMembers = async (region: string): Promise<Map<string, string>> => {
    const listed = await sh(region, securityCreds).send(new ShListMembersCommand({ OnlyAssociated: false }));
    return new Map((listed.Members ?? []).map((m) => [m.AccountId ?? '', m.MemberStatus ?? '']));
  };

  beforeAll(async () => {
    local = await startLocalAws();
    [security = '', workload = '', other = ''] = await createOrganization(local, ['security', 'workload', 'other']);
    securityCreds = await credentialsFor(local, security);
    workloadCreds = await credentialsFor(local, workload);
    rootId = (await orgs().send(new ListRootsCommand({}))).Roots?.[0]?.Id ?? '';
  });

  afterAll(async () => {
    await local?.stop();
  });

  describe('GuardDuty', () => {
    it("enables GuardDuty's trusted access by designating its administrator, without EnableAWSServiceAccess", async () => {
      // https://docs.aws.amazon.com/guardduty/latest/ug/organizations_permissions.html: designating the delegated administrator
      // "enables GuardDuty as a trusted service in AWS Organizations".
      // Act
      await gd('us-east-1').send(new EnableOrganizationAdminAccountCommand({ AdminAccountId: security }));
      // Assess
      const trusted = await orgs().send(new ListAWSServiceAccessForOrganizationCommand({}));
      expect(trusted.EnabledServicePrincipals?.map((p) => p.ServicePrincipal)).toContain('guardduty.amazonaws.com');
    });

    it('does not turn Malware Protection on in members until the management account trusts malware-protection.guardduty.amazonaws.com', async () => {
      // https://docs.aws.amazon.com/guardduty/latest/ug/configure-malware-protection-guardduty-initiated-multi-account.html: with a
      // delegated administrator other than the management account, "the management account must enable GuardDuty-initiated malware
      // scan for their organization" so that the administrator can create Malware Protection's service-linked role in members.
      // Prepare
      const detectorId = await detectorOf('us-east-1', securityCreds);
      await gd('us-east-1', securityCreds).send(
        new UpdateOrganizationConfigurationCommand({
          DetectorId: detectorId,
          AutoEnableOrganizationMembers: 'ALL',
          Features: [{ Name: 'EBS_MALWARE_PROTECTION', AutoEnable: 'ALL' }],
        }),
      );
      const malwareOf = async (accountId: string): Promise<string | undefined> =>
        (
          await gd('us-east-1', securityCreds).send(new GetMemberDetectorsCommand({ DetectorId: detectorId, AccountIds: [accountId] }))
        ).MemberDataSourceConfigurations?.[0]?.Features?.find((f) => f.Name === 'EBS_MALWARE_PROTECTION')?.Status;

      // Act
      await gd('us-east-1', securityCreds).send(
        new CreateMembersCommand({ DetectorId: detectorId, AccountDetails: [{ AccountId: workload, Email: 'w@example.com' }] }),
      );
      const withoutTrust = await malwareOf(workload);
      await orgs().send(new EnableAWSServiceAccessCommand({ ServicePrincipal: 'malware-protection.guardduty.amazonaws.com' }));
      await gd('us-east-1', securityCreds).send(
        new CreateMembersCommand({ DetectorId: detectorId, AccountDetails: [{ AccountId: workload, Email: 'w@example.com' }] }),
      );
      const trusted = await orgs().send(new ListAWSServiceAccessForOrganizationCommand({}));

      // Assess
      expect(withoutTrust).toBe('DISABLED');
      expect(await malwareOf(workload)).toBe('ENABLED');
      expect(trusted.EnabledServicePrincipals?.map((p) => p.ServicePrincipal)).toEqual(
        expect.arrayContaining(['guardduty.amazonaws.com', 'malware-protection.guardduty.amazonaws.com']),
      );
    });

    it('offers no RDS Protection in ap-east-2: detectors there lack it and requests naming it are refused', async () => {
      // https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_regions.html: "RDS Protection is not supported in Asia Pacific
      // (Taipei) (ap-east-2) Region." AWS's exact answer to a request naming it there is not documented; the emulator refuses it.
      // Act
      const refused = await gd('ap-east-2', workloadCreds)
        .send(new CreateDetectorCommand({ Enable: true, Features: [{ Name: 'RDS_LOGIN_EVENTS', Status: 'ENABLED' }] }))
        .catch((err: unknown) => err);
      const created = await gd('ap-east-2', workloadCreds).send(new CreateDetectorCommand({ Enable: true }));
      const detector = await gd('ap-east-2', workloadCreds).send(new GetDetectorCommand({ DetectorId: created.DetectorId ?? '' }));
      const update = gd('ap-east-2', workloadCreds).send(
        new UpdateDetectorCommand({ DetectorId: created.DetectorId ?? '', Features: [{ Name: 'RDS_LOGIN_EVENTS', Status: 'ENABLED' }] }),
      );

      // Assess
      expect(refused).toMatchObject({
        name: 'BadRequestException',
        message: 'The request is rejected because RDS_LOGIN_EVENTS is not available in ap-east-2.',
      });
      expect(detector.Features?.map((f) => f.Name)).not.toContain('RDS_LOGIN_EVENTS');
      expect(detector.Features?.map((f) => f.Name)).toContain('S3_DATA_EVENTS');
      await expect(update).rejects.toMatchObject({ name: 'BadRequestException' });
    });

    it('keeps the plans a GuardDuty organization policy manages read-only through the API', async () => {
      // https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-organization-policies-considerations.html: "Managed protection
      // plans are read-only in the console and API"; policy keys per https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_guardduty.html.
      // Prepare
      const detectorId = await detectorOf('us-east-1', securityCreds);
      const content = JSON.stringify({ guardduty: { default: { s3_data_events: { enable: { '@@assign': true } } } } });

      // Act
      const created = await orgs().send(
        new CreatePolicyCommand({
          Name: 'gd-baseline',
          Description: 'S3 Protection everywhere',
          Type: 'GUARDDUTY_POLICY',
          Content: content,
        }),
      );
      const policyId = created.Policy?.PolicySummary?.Id ?? '';
      await orgs().send(new AttachPolicyCommand({ PolicyId: policyId, TargetId: rootId }));
      const listed = await orgs().send(new ListPoliciesCommand({ Filter: 'GUARDDUTY_POLICY' }));
      const described = await orgs().send(new DescribePolicyCommand({ PolicyId: policyId }));
      const targets = await orgs().send(new ListTargetsForPolicyCommand({ PolicyId: policyId }));
      const byAdmin = await orgs(securityCreds).send(new ListPoliciesCommand({ Filter: 'GUARDDUTY_POLICY' }));
      const orgConfig = gd('us-east-1', securityCreds).send(
        new UpdateOrganizationConfigurationCommand({
          DetectorId: detectorId,
          AutoEnableOrganizationMembers: 'ALL',
          Features: [{ Name: 'S3_DATA_EVENTS', AutoEnable: 'ALL' }],
        }),
      );
      const memberPlans = gd('us-east-1', securityCreds).send(
        new UpdateMemberDetectorsCommand({
          DetectorId: detectorId,
          AccountIds: [workload],
          Features: [{ Name: 'S3_DATA_EVENTS', Status: 'DISABLED' }],
        }),
      );
      const notManaged = await gd('us-east-1', securityCreds).send(
        new UpdateOrganizationConfigurationCommand({
          DetectorId: detectorId,
          AutoEnableOrganizationMembers: 'ALL',
          Features: [{ Name: 'LAMBDA_NETWORK_LOGS', AutoEnable: 'ALL' }],
        }),
      );

      // Assess
      expect(listed.Policies?.map((p) => [p.Name, p.Type])).toEqual([['gd-baseline', 'GUARDDUTY_POLICY']]);
      expect(described.Policy?.Content).toBe(content);
      expect(targets.Targets?.map((t) => [t.TargetId, t.Type])).toEqual([[rootId, 'ROOT']]);
      expect(byAdmin.Policies).toHaveLength(1);
      await expect(orgConfig).rejects.toMatchObject({
        name: 'BadRequestException',
        message: expect.stringContaining('S3_DATA_EVENTS is managed by'),
      });
      await expect(memberPlans).rejects.toMatchObject({ name: 'BadRequestException' });
      expect(notManaged.$metadata.httpStatusCode).toBe(200);
      await expect(orgs().send(new ListPoliciesCommand({ Filter: 'SECURITYHUB_POLICY' }))).resolves.toMatchObject({ Policies: [] });
      await expect(orgs(workloadCreds).send(new ListPoliciesCommand({ Filter: 'GUARDDUTY_POLICY' }))).rejects.toMatchObject({
        name: 'AccessDeniedException',
      });
    });
  });

  describe('Security Hub CSPM', () => {
    const LOCAL_REGION = 'ap-southeast-2';
    const HOME = 'us-east-1';
    const LINKED = 'eu-west-1';

    it('starts with local configuration, auto-enable off and the default standards for new accounts', async () => {
      // https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_UpdateOrganizationConfiguration.html: AutoEnable "The default
      // value is false"; AutoEnableStandards "The default value of this parameter is equal to DEFAULT".
      // Prepare
      await sh(LOCAL_REGION).send(new ShEnableOrganizationAdminAccountCommand({ AdminAccountId: security }));
      await sh(LOCAL_REGION, securityCreds).send(new EnableSecurityHubCommand({ EnableDefaultStandards: false }));
      // Act
      const config = await sh(LOCAL_REGION, securityCreds).send(new ShDescribeOrganizationConfigurationCommand({}));
      // Assess
      expect(config).toMatchObject({
        AutoEnable: false,
        AutoEnableStandards: 'DEFAULT',
        OrganizationConfiguration: { ConfigurationType: 'LOCAL', Status: 'ENABLED' },
      });
    });

    it('enables Security Hub with its default standards in members it adds, but never in the management account, which stays Created', async () => {
      // https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_CreateMembers.html: "Security Hub CSPM and the default standards
      // are automatically enabled. Note that Security Hub CSPM cannot be enabled automatically for the organization management
      // account. The organization management account must enable Security Hub CSPM before the administrator account enables it as a
      // member account."
      // Act
      await sh(LOCAL_REGION, securityCreds).send(
        new ShCreateMembersCommand({ AccountDetails: [{ AccountId: workload }, { AccountId: MANAGEMENT }] }),
      );
      const first = await shMembers(LOCAL_REGION);
      const standards = await sh(LOCAL_REGION, workloadCreds).send(new GetEnabledStandardsCommand({}));
      await sh(LOCAL_REGION).send(new EnableSecurityHubCommand({ EnableDefaultStandards: false }));
      await sh(LOCAL_REGION, securityCreds).send(new ShCreateMembersCommand({ AccountDetails: [{ AccountId: MANAGEMENT }] }));
      const managementStandards = await sh(LOCAL_REGION).send(new GetEnabledStandardsCommand({}));

      // Assess
      expect(first.get(workload)).toBe('Enabled');
      expect(first.get(MANAGEMENT)).toBe('Created');
      expect(standards.StandardsSubscriptions?.map((s) => s.StandardsArn)).toEqual([
        `arn:aws:securityhub:${LOCAL_REGION}::standards/aws-foundational-security-best-practices/v/1.0.0`,
        'arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0',
      ]);
      expect((await shMembers(LOCAL_REGION)).get(MANAGEMENT)).toBe('Enabled');
      expect(managementStandards.StandardsSubscriptions).toEqual([]);
    });

    it('enrolls only accounts that join after AutoEnable, with the default standards only when AutoEnableStandards is DEFAULT', async () => {
      // https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-auto-enabled-standards.html: under local configuration
      // "Security Hub can automatically enable default security standards in new member accounts when they join your organization".
      // Prepare
      await sh(LOCAL_REGION, securityCreds).send(
        new ShUpdateOrganizationConfigurationCommand({ AutoEnable: true, AutoEnableStandards: 'NONE' }),
      );
      const late =
        (await orgs().send(new CreateAccountCommand({ AccountName: 'late', Email: 'late@example.com' }))).CreateAccountStatus?.AccountId ??
        '';
      // Act
      await local.emulator.settle();
      const members = await shMembers(LOCAL_REGION);
      const lateStandards = await sh(LOCAL_REGION, await credentialsFor(local, late)).send(new GetEnabledStandardsCommand({}));
      // Assess
      expect(members.get(late)).toBe('Enabled');
      expect(members.has(other)).toBe(false);
      expect(lateStandards.StandardsSubscriptions).toEqual([]);
    });

    it('starts central configuration only from the aggregator region, then refuses AutoEnable, ignores CreateMembers and lets policies decide', async () => {
      // https://docs.aws.amazon.com/securityhub/latest/userguide/start-central-configuration.html (prerequisites: Organizations
      // integration, a home Region with cross-Region aggregation; the delegated administrator is then set in every linked Region);
      // https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_UpdateOrganizationConfiguration.html: under CENTRAL, AutoEnable
      // "is set to false and can't be changed", AutoEnableStandards "is set to NONE and can't be changed".
      // Prepare
      const admin = sh(HOME, securityCreds);
      await sh(HOME).send(new ShEnableOrganizationAdminAccountCommand({ AdminAccountId: security }));
      await admin.send(new EnableSecurityHubCommand({ EnableDefaultStandards: false }));
      const central = {
        AutoEnable: false,
        AutoEnableStandards: 'NONE' as const,
        OrganizationConfiguration: { ConfigurationType: 'CENTRAL' as const },
      };
      const withoutAggregator = await admin.send(new ShUpdateOrganizationConfigurationCommand(central)).catch((err: unknown) => err);
      await admin.send(new CreateFindingAggregatorCommand({ RegionLinkingMode: 'SPECIFIED_REGIONS', Regions: [LINKED] }));

      // Act
      await admin.send(new ShUpdateOrganizationConfigurationCommand(central));
      const autoEnable = await admin.send(new ShUpdateOrganizationConfigurationCommand({ AutoEnable: true })).catch((err: unknown) => err);
      const linkedAdmin = await sh(LINKED).send(new ShListOrganizationAdminAccountsCommand({}));
      await sh(LINKED, securityCreds).send(new EnableSecurityHubCommand({ EnableDefaultStandards: false }));
      const linkedConfig = await sh(LINKED, securityCreds).send(new ShDescribeOrganizationConfigurationCommand({}));
      const ignored = await admin.send(new ShCreateMembersCommand({ AccountDetails: [{ AccountId: workload }] }));
      const beforePolicy = await shMembers(HOME);
      const policy = await admin.send(
        new CreateConfigurationPolicyCommand({
          Name: 'baseline',
          ConfigurationPolicy: {
            SecurityHub: {
              ServiceEnabled: true,
              EnabledStandardIdentifiers: [],
              SecurityControlsConfiguration: { DisabledSecurityControlIdentifiers: [] },
            },
          },
        }),
      );
      await admin.send(
        new StartConfigurationPolicyAssociationCommand({ ConfigurationPolicyIdentifier: policy.Id, Target: { RootId: rootId } }),
      );
      const associations = await admin.send(new ListConfigurationPolicyAssociationsCommand({}));
      const home = await shMembers(HOME);
      const linked = await shMembers(LINKED);
      const unlinked = await sh(LOCAL_REGION, securityCreds).send(new ShDescribeOrganizationConfigurationCommand({}));

      // Assess
      expect(withoutAggregator).toMatchObject({ name: 'InvalidInputException', message: expect.stringContaining('finding aggregator') });
      expect(autoEnable).toMatchObject({ name: 'InvalidInputException', message: expect.stringContaining('AutoEnable must be false') });
      expect(linkedAdmin.AdminAccounts).toEqual([{ AccountId: security, Status: 'ENABLED' }]);
      expect(linkedConfig).toMatchObject({
        AutoEnable: false,
        AutoEnableStandards: 'NONE',
        OrganizationConfiguration: { ConfigurationType: 'CENTRAL' },
      });
      expect(ignored.UnprocessedAccounts).toEqual([]);
      expect(beforePolicy.has(workload)).toBe(false);
      expect(associations.ConfigurationPolicyAssociationSummaries).toMatchObject([
        { ConfigurationPolicyId: policy.Id, TargetId: rootId, TargetType: 'ROOT' },
      ]);
      for (const members of [home, linked]) {
        expect(members.get(workload)).toBe('Enabled');
        expect(members.get(other)).toBe('Enabled');
        expect(members.has(MANAGEMENT)).toBe(false);
      }
      expect((await sh(LINKED, workloadCreds).send(new GetEnabledStandardsCommand({}))).StandardsSubscriptions).toEqual([]);
      expect(unlinked.OrganizationConfiguration?.ConfigurationType).toBe('LOCAL');

      // Act + Assess: the management account is covered once it has enabled Security Hub itself.
      await sh(HOME).send(new EnableSecurityHubCommand({ EnableDefaultStandards: false }));
      expect((await shMembers(HOME)).get(MANAGEMENT)).toBe('Enabled');
    });

    it('answers DescribeSecurityHubV2 with ResourceNotFoundException until the new Security Hub is enabled', async () => {
      // https://docs.aws.amazon.com/securityhub/latest/APIReference/API_DescribeSecurityHubV2.html (errors: ResourceNotFoundException).
      const before = await sh(HOME, workloadCreds)
        .send(new DescribeSecurityHubV2Command({}))
        .catch((err: unknown) => err);
      await sh(HOME, workloadCreds).send(new EnableSecurityHubV2Command({}));
      const after = await sh(HOME, workloadCreds).send(new DescribeSecurityHubV2Command({}));
      expect(before).toMatchObject({ name: 'ResourceNotFoundException' });
      expect(after.HubV2Arn).toBe(`arn:aws:securityhub:${HOME}:${workload}:hubv2/${workload}`);
    });
  });

  describe('Account API and service control policies', () => {
    it('throttles ListRegions above 5 calls a second per account', async () => {
      // https://docs.aws.amazon.com/accounts/latest/reference/quotas.html: "Rate of ListRegions requests per account: 5 per second,
      // burst to 5 per second".
      const account = new AccountClient(clientConfig(local, 'us-east-1', workloadCreds));
      const settled = await Promise.allSettled(Array.from({ length: 7 }, () => account.send(new ListRegionsCommand({}))));
      const throttled = settled.filter((s) => s.status === 'rejected');
      expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(5);
      expect(throttled.map((s) => (s as PromiseRejectedResult).reason)).toEqual([
        expect.objectContaining({ name: 'TooManyRequestsException' }),
        expect.objectContaining({ name: 'TooManyRequestsException' }),
      ]);
      // Tokens come back at 5 a second.
      await new Promise((resolve) => setTimeout(resolve, 450));
      await expect(account.send(new ListRegionsCommand({}))).resolves.toBeDefined();
      await expect(account.send(new ListRegionsCommand({}))).resolves.toBeDefined();
      // Another account has its own quota.
      await expect(
        new AccountClient(clientConfig(local, 'us-east-1', securityCreds)).send(new ListRegionsCommand({})),
      ).resolves.toBeDefined();
    });

    it('denies calls in the regions a service control policy denies, saying so', async () => {
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html: "… with an explicit deny in a service
      // control policy".
      // Prepare
      local.emulator.denyByServiceControlPolicy([workload], ['eu-central-1']);
      // Act
      const denied = await gd('eu-central-1', workloadCreds)
        .send(new ListDetectorsCommand({}))
        .catch((err: unknown) => err);
      const allowed = await gd('eu-west-1', workloadCreds).send(new ListDetectorsCommand({}));
      local.emulator.denyByServiceControlPolicy([workload], []);
      // Assess
      expect(denied).toMatchObject({
        name: 'AccessDeniedException',
        message: `User: arn:aws:sts::${workload}:assumed-role/caller/session is not authorized to perform: guardduty:ListDetectors with an explicit deny in a service control policy`,
      });
      expect(allowed.DetectorIds).toBeDefined();
      await expect(gd('eu-central-1', workloadCreds).send(new ListDetectorsCommand({}))).resolves.toBeDefined();
    });
  });

  it('keeps the GuardDuty organization configuration readable in a region without RDS Protection', async () => {
    // https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_regions.html (as above): the organization configuration there
    // lists the plans offered there.
    await gd('ap-east-2').send(new EnableOrganizationAdminAccountCommand({ AdminAccountId: security }));
    const detectorId = await detectorOf('ap-east-2', securityCreds);
    const config = await gd('ap-east-2', securityCreds).send(new DescribeOrganizationConfigurationCommand({ DetectorId: detectorId }));
    expect(config.Features?.map((f) => f.Name)).not.toContain('RDS_LOGIN_EVENTS');
    expect(config.Features?.map((f) => f.Name)).toContain('LAMBDA_NETWORK_LOGS');
  });
});
