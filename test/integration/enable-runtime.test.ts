import {
  DescribeOrganizationConfigurationCommand,
  GetMemberDetectorsCommand,
  GuardDutyClient,
  ListDetectorsCommand,
} from '@aws-sdk/client-guardduty';
import { type LocalAws } from '../../local-aws';
import type { EnableSummary } from '../../src/org/enable';
import { runCli } from '../support/cli';
import { startLocal } from '../support/local';
import { createOrganization, credentialsFor, type Credentials } from '../local-aws/emulator/helpers';

/**
 * `cordon enable --features runtime`: Runtime Monitoring with GuardDuty's
 * automated agents for EKS (the add-on), ECS Fargate and EC2, for the
 * organization and each member, and a report of the plans on per region.
 */
describe('cordon enable --features runtime', () => {
  let local: LocalAws;
  let accounts: string[];
  let adminCreds: Credentials;
  const regions = ['us-east-1', 'eu-west-1'];
  const AGENTS = ['EC2_AGENT_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EKS_ADDON_MANAGEMENT'];

  beforeAll(async () => {
    local = await startLocal({ awsManagedPolicies: false });
    accounts = await createOrganization(local, ['security', 'workload-1', 'workload-2']);
    adminCreds = await credentialsFor(local, accounts[0] as string);
  }, 120_000);
  afterAll(async () => local?.stop());

  it('turns on Runtime Monitoring with agent management for ECS Fargate, EKS and EC2 in every region, and reports it per region', async () => {
    // Act
    const run = await runCli([
      'enable',
      '--admin-account',
      accounts[0] as string,
      '--regions',
      regions.join(','),
      '--home-region',
      'us-east-1',
      '--features',
      'runtime',
      '--no-security-hub',
      '--json',
    ]);

    // Assess: every region reports the plan on, the organization auto-enables it and its agents, members have it
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('plans runtime');
    const summary = JSON.parse(run.stdout) as EnableSummary;
    expect(summary.regions.map((r) => [r.region, r.plans]).sort()).toEqual(regions.map((r) => [r, ['runtime']]).sort());
    for (const region of regions) {
      const gd = new GuardDutyClient({ endpoint: local.endpoint, region, credentials: adminCreds });
      const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
      const org = await gd.send(new DescribeOrganizationConfigurationCommand({ DetectorId: detectorId }));
      const runtime = org.Features?.find((f) => f.Name === 'RUNTIME_MONITORING');
      expect(runtime?.AutoEnable).toBe('ALL');
      expect((runtime?.AdditionalConfiguration ?? []).map((a) => [a.Name, a.AutoEnable]).sort()).toEqual(AGENTS.map((a) => [a, 'ALL']));
      const members = await gd.send(new GetMemberDetectorsCommand({ DetectorId: detectorId, AccountIds: accounts.slice(1) }));
      for (const m of members.MemberDataSourceConfigurations ?? []) {
        const feature = m.Features?.find((f) => f.Name === 'RUNTIME_MONITORING');
        expect(feature?.Status).toBe('ENABLED');
        expect(
          (feature?.AdditionalConfiguration ?? [])
            .filter((a) => a.Status === 'ENABLED')
            .map((a) => a.Name)
            .sort(),
        ).toEqual(AGENTS);
      }
      gd.destroy();
    }
  });
});
