import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DisableSecurityHubCommand, EnableSecurityHubV2Command, SecurityHubClient } from '@aws-sdk/client-securityhub';

import { buildWorld, type LocalAws, type World } from '../../local-aws';
import { runCli } from '../support/cli';
import { startLocal } from '../support/local';
import { auditFile, eventsFile, hubFinding, instanceOf, publish } from '../support/world';
import { clientConfig, credentialsFor } from '../local-aws/emulator/helpers';

/** Both Security Hubs on. */
const BOTH = 'us-east-1';
/** Only the new Security Hub. */
const V2_ONLY = 'eu-west-1';

/** The new Security Hub's EventBridge event for one OCSF finding (securityhub-v2-cwe-event-formats). */
function importedV2(finding: unknown, region: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-shv2-')), 'event.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      version: '0',
      id: '5f3d2c1b-0a9e-4c8d-9b7a-6e5f4d3c2b1a',
      'detail-type': 'Findings Imported V2',
      source: 'aws.securityhub',
      account: '123456789012',
      time: '2026-12-03T07:00:00Z',
      region,
      resources: [(finding as { metadata: { uid: string } }).metadata.uid],
      detail: { findings: [finding] },
    }),
  );
  return file;
}

describe('respond with the new Security Hub: Findings Imported V2 in, BatchUpdateFindingsV2 out (emulator)', () => {
  let local: LocalAws;
  let world: World;

  beforeAll(async () => {
    local = await startLocal();
    world = await buildWorld({ endpoint: local.endpoint, memberCount: 2, regions: [BOTH, V2_ONLY] });
    local.emulator.seedOrganization({
      administratorAccountId: world.securityAccountId,
      memberAccountIds: world.memberAccountIds,
      regions: world.regions,
    });
    // Prepare: the new Security Hub on in both regions; Security Hub CSPM off in V2_ONLY (the security account's hub).
    const creds = await credentialsFor(local, world.securityAccountId);
    for (const region of world.regions)
      await new SecurityHubClient(clientConfig(local, region, creds)).send(new EnableSecurityHubV2Command({}));
    await new SecurityHubClient(clientConfig(local, V2_ONLY, creds)).send(new DisableSecurityHubCommand({}));
  }, 120_000);
  afterAll(async () => local?.stop());

  it('acts on a NEW GuardDuty finding from a V2 event, writes status and comment to the new Security Hub and the workflow to CSPM', async () => {
    // Prepare
    const [a1] = world.memberAccountIds as [string];
    const finding = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B', {
      accountId: a1,
      region: BOTH,
      instance: instanceOf(world, a1, BOTH, 'web-1').target,
    });
    const arn = finding.arn as string;
    const event = importedV2(local.emulator.ocsfFinding(BOTH, arn), BOTH);

    // Act
    const run = await runCli(['respond', event, '--json'], { CORDON_AUDIT_FILE: auditFile() });

    // Assess: acted on, and both Security Hubs updated alike
    expect(run.lines[0]).toMatchObject({ findingArn: arn, decision: 'act', runbook: 'ec2-instance-compromise' });
    const ocsf = local.emulator.ocsfFinding(BOTH, arn);
    const asff = await hubFinding(local, finding);
    expect(ocsf?.status).toBe(asff?.Workflow?.Status === 'RESOLVED' ? 'Resolved' : 'In Progress');
    expect(ocsf?.comment).toMatch(new RegExp(`^\\[cordon ${String(finding.updatedAt).replace(/[.]/g, '\\.')}\\] cordon `));
    expect(asff?.Note?.UpdatedBy).toBe('cordon');
    expect((run.lines[0]?.securityHub as { status: string; detail: string }).detail).toMatch(
      /workflow (NOTIFIED|RESOLVED); Security Hub status/,
    );
  });

  it('skips the V2 event of its own update, and a NEW finding whose comment says cordon handled this GuardDuty update', async () => {
    // Prepare
    const [, a2] = world.memberAccountIds as [string, string];
    const finding = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B', {
      accountId: a2,
      region: BOTH,
      instance: instanceOf(world, a2, BOTH, 'web-1').target,
    });
    const arn = finding.arn as string;
    await runCli(['respond', importedV2(local.emulator.ocsfFinding(BOTH, arn), BOTH), '--json'], { CORDON_AUDIT_FILE: auditFile() });
    const echo = local.emulator.ocsfFinding(BOTH, arn);
    const reopened = { ...echo, status_id: 1, status: 'New' };

    // Act
    const second = await runCli(['respond', importedV2(echo, BOTH), '--json'], { CORDON_AUDIT_FILE: auditFile() });
    const third = await runCli(['respond', importedV2(reopened, BOTH), '--json'], { CORDON_AUDIT_FILE: auditFile() });

    // Assess
    expect(second.lines[0]).toMatchObject({ decision: 'skip', actions: [] });
    expect(String(second.lines[0]?.reason)).toMatch(
      /^Security Hub workflow is (IN_PROGRESS|RESOLVED): imported findings are acted on only while NEW$/,
    );
    expect(third.lines[0]).toMatchObject({
      decision: 'skip',
      reason: expect.stringMatching(/^already handled by cordon/) as unknown,
      actions: [],
    });
  });

  it('writes only BatchUpdateFindingsV2 where only the new Security Hub is on, reading which Security Hub once per region', async () => {
    // Prepare
    const [a1] = world.memberAccountIds as [string];
    const findings = ['web-1', 'web-2'].map((name) =>
      publish(local, 'Recon:EC2/Portscan', {
        accountId: a1,
        region: V2_ONLY,
        instance: instanceOf(world, a1, V2_ONLY, name).target,
        severity: 2,
      }),
    );
    local.emulator.resetCalls();

    // Act: GuardDuty events in; skipped by policy (severity 2), which still writes a note.
    const run = await runCli(['respond', eventsFile(findings), '--json'], { CORDON_AUDIT_FILE: auditFile() });

    // Assess
    expect(run.code).toBe(0);
    expect(run.lines).toHaveLength(2);
    for (const [i, line] of run.lines.entries()) {
      expect(line).toMatchObject({ decision: 'skip', securityHub: { status: 'updated', detail: 'Security Hub comment added' } });
      expect(local.emulator.ocsfFinding(V2_ONLY, findings[i]?.arn as string)).toMatchObject({
        status: 'New',
        comment: expect.stringMatching(/^\[cordon /) as unknown,
      });
    }
    const sh = local.emulator
      .calls()
      .filter((c) => c.service === 'securityhub')
      .map((c) => `${c.operation}@${c.region}`);
    expect(sh.filter((c) => c.startsWith('DescribeSecurityHubV2'))).toEqual([`DescribeSecurityHubV2@${V2_ONLY}`]);
    expect(sh.filter((c) => c.startsWith('DescribeHub'))).toEqual([`DescribeHub@${V2_ONLY}`]);
    expect(sh).not.toContain(`BatchUpdateFindings@${V2_ONLY}`);
    expect(sh.filter((c) => c === `BatchUpdateFindingsV2@${V2_ONLY}`)).toHaveLength(1);
  });
});
