import * as fs from 'node:fs';
import { DescribeIamInstanceProfileAssociationsCommand, DescribeSecurityGroupsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  type IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AuditRecord } from '../../src/audit/store';
import { responderSettings } from '../../src/config/settings';
import { guardDutyEvent, sampleFinding, buildWorld, type World, type LocalAws } from '../../local-aws';
import { parseInput } from '../../src/findings/parse';
import { respond } from '../../src/respond/responder';
import type { FindingResult } from '../../src/respond/result';
import { buildResponder } from '../../src/respond/wiring';
import { launchAwsLikeInstance } from '../support/aws-like-instance';
import { runCli } from '../support/cli';
import { startFaultProxy } from '../support/fault-proxy';
import { startLocal } from '../support/local';
import { denyingStatements } from '../support/iam-deny';
import { revocationDocument as revocationDocumentOf, revocationPolicies, revocationStatements } from '../support/revocations';
import { auditFile, hubFinding, instanceOf, memberClients } from '../support/world';

/**
 * Revoking a role's older sessions (an inline deny on aws:TokenIssueTime)
 * against moto IAM: the cut-off moves forward for later activity, release
 * puts the earlier cut-off back, and removing an instance profile retries a
 * revocation that failed.
 */
describe('respond: role session revocation and its release', () => {
  let local: LocalAws;
  let world: World;
  let account: string;
  let iam: IAMClient;
  let ec2: EC2Client;
  const region = 'us-east-1';
  const EXFILTRATION = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';

  beforeAll(async () => {
    local = await startLocal();
    world = await buildWorld({ endpoint: local.endpoint, memberCount: 1, regions: [region] });
    local.emulator.seedOrganization({
      administratorAccountId: world.securityAccountId,
      memberAccountIds: world.memberAccountIds,
      regions: world.regions,
    });
    account = world.memberAccountIds[0] as string;
    ({ iam, ec2 } = await memberClients(local, world, account, region));
  }, 120_000);
  afterAll(async () => local?.stop());

  /** Runs one delivery through a responder whose clock says `at` (the cut-off cordon writes is its "now"). */
  const deliver = async (findings: ReadonlyArray<Record<string, unknown>>, audit: string, at: string): Promise<FindingResult[]> => {
    const responder = buildResponder(responderSettings({ ...process.env, CORDON_AUDIT_FILE: audit }), {
      now: () => new Date(at),
      actor: 'test',
    });
    try {
      return await respond(parseInput(findings.map((f) => JSON.stringify(guardDutyEvent(f))).join('\n')), responder.deps);
    } finally {
      responder.close();
    }
  };
  /** The cut-off of cordon's revocation on a role, read back from IAM, or undefined when there is none. */
  const cutoffOf = async (roleName: string): Promise<string | undefined> => {
    const statements = await revocationStatements(iam, roleName);
    if (statements.length === 0) return undefined;
    // One statement: the role's (role-wide), or one instance's (scoped with aws:userid).
    expect(statements).toEqual([
      expect.objectContaining({ Sid: expect.stringMatching(/^CordonRevokeOlderSessions/), Effect: 'Deny', Action: '*' }),
    ]);
    return statements[0]?.Condition.DateLessThan?.['aws:TokenIssueTime'];
  };
  const records = (audit: string): AuditRecord[] =>
    fs
      .readFileSync(audit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
  const revocation = (r: FindingResult | undefined) => r?.actions.find((a) => a.action === 'iam.revoke-role-sessions');

  it('writes the policy once, moves the cut-off forward for later activity, and release puts the earlier one back, then deletes it', async () => {
    // Prepare: the instance role's credentials used from outside AWS (last seen 09:58), then again later (last seen 10:30)
    const audit = auditFile();
    const credentials = { accessKeyId: 'ASIAEXFILTRATED00001', userName: 'web-instance-role', userType: 'AssumedRole' as const };
    const first = sampleFinding(EXFILTRATION, { accountId: account, region, accessKey: credentials, seed: 'exfil-1' });
    const later = sampleFinding(EXFILTRATION, {
      accountId: account,
      region,
      accessKey: { ...credentials, accessKeyId: 'ASIAEXFILTRATED00002' },
      seed: 'exfil-2',
    });
    (later.service as Record<string, unknown>).eventLastSeen = '2026-11-24T10:30:00.000Z';
    for (const f of [first, later]) local.emulator.publishGuardDutyFinding(f);

    // Act + Assess: the first finding writes the policy with its cut-off
    const [one] = await deliver([first], audit, '2026-11-24T10:05:00.000Z');
    expect(revocation(one)).toMatchObject({ resource: 'web-instance-role', status: 'done' });
    expect(await cutoffOf('web-instance-role')).toBe('2026-11-24T10:05:00.000Z');

    // Act + Assess: a duplicate delivery (same activity, later) changes nothing
    const [dup] = await deliver([first], audit, '2026-11-24T10:10:00.000Z');
    expect(revocation(dup)).toMatchObject({
      status: 'already',
      detail: expect.stringContaining('already denies sessions of web-instance-role issued before 2026-11-24T10:05:00.000Z'),
    });
    expect(await cutoffOf('web-instance-role')).toBe('2026-11-24T10:05:00.000Z');

    // Act + Assess: activity after the cut-off (sessions issued after 10:05 are still valid) moves it to now
    const [two] = await deliver([later], audit, '2026-11-24T10:35:00.000Z');
    expect(revocation(two)).toMatchObject({
      status: 'done',
      detail: expect.stringContaining('moving the cut-off from 2026-11-24T10:05:00.000Z'),
    });
    expect(await cutoffOf('web-instance-role')).toBe('2026-11-24T10:35:00.000Z');
    const moved = records(audit).find((r) => r.findingId === later.id && r.action === 'iam.revoke-role-sessions');
    expect(moved).toMatchObject({
      status: 'done',
      prior: {
        roleName: 'web-instance-role',
        hadPolicy: true,
        previousStatement: {
          Sid: 'CordonRevokeOlderSessions',
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-24T10:05:00.000Z' } },
        },
      },
      changed: { sid: 'CordonRevokeOlderSessions', cutoff: '2026-11-24T10:35:00.000Z' },
    });

    // Act + Assess: releasing the later finding puts the earlier revocation back (the first finding still relies on it)
    const releaseLater = await runCli(['release', '--finding', String(later.id), '--json'], { CORDON_AUDIT_FILE: audit });
    expect(releaseLater.code).toBe(0);
    expect(releaseLater.lines[0]?.actions).toEqual([
      expect.objectContaining({
        action: 'iam.revoke-role-sessions',
        status: 'done',
        detail: expect.stringContaining('put back the earlier revocation of web-instance-role'),
      }),
    ]);
    expect(await cutoffOf('web-instance-role')).toBe('2026-11-24T10:05:00.000Z');

    // Act + Assess: releasing the first deletes it
    const releaseFirst = await runCli(['release', '--finding', String(first.id), '--json'], { CORDON_AUDIT_FILE: audit });
    expect(releaseFirst.code).toBe(0);
    expect(releaseFirst.lines[0]?.actions).toEqual([
      expect.objectContaining({
        action: 'iam.revoke-role-sessions',
        status: 'done',
        detail: expect.stringContaining('deleted cordon-revoke-older-sessions'),
      }),
    ]);
    expect(await cutoffOf('web-instance-role')).toBeUndefined();
  });

  it('refuses to release the earlier finding while the later one relies on the cut-off it moved', async () => {
    // Prepare
    const audit = auditFile();
    const credentials = { accessKeyId: 'ASIAEXFILTRATED00003', userName: 'web-instance-role', userType: 'AssumedRole' as const };
    const first = sampleFinding(EXFILTRATION, { accountId: account, region, accessKey: credentials, seed: 'exfil-3' });
    const later = sampleFinding(EXFILTRATION, { accountId: account, region, accessKey: credentials, seed: 'exfil-4' });
    (later.service as Record<string, unknown>).eventLastSeen = '2026-11-24T11:30:00.000Z';
    await deliver([first], audit, '2026-11-24T11:05:00.000Z');
    await deliver([later], audit, '2026-11-24T11:35:00.000Z');

    // Act
    const refused = await runCli(['release', '--finding', String(first.id), '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess: refused, naming the later finding; its cut-off stays
    expect(refused.code).toBe(1);
    expect(refused.lines[0]?.actions).toEqual([
      expect.objectContaining({
        status: 'failed',
        detail: expect.stringMatching(new RegExp(`^refused: finding ${String(later.id)} still relies on this containment`)),
      }),
    ]);
    expect(await cutoffOf('web-instance-role')).toBe('2026-11-24T11:35:00.000Z');
    // Cleanup for the next test: release both in order.
    expect((await runCli(['release', '--finding', String(later.id)], { CORDON_AUDIT_FILE: audit })).code).toBe(0);
    expect((await runCli(['release', '--finding', String(first.id)], { CORDON_AUDIT_FILE: audit })).code).toBe(0);
    expect(await cutoffOf('web-instance-role')).toBeUndefined();
  });

  it("a second delivery after the instance profile was removed still revokes the role's sessions when the first could not", async () => {
    // Prepare: an instance with its own profile and role; IAM refuses PutRolePolicy during the first delivery
    const audit = auditFile();
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'batch-role',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'batch-profile' }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'batch-profile', RoleName: 'batch-role' }));
    const web1 = instanceOf(world, account, region, 'web-1');
    const web = (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [web1.target.vpcId] },
            { Name: 'group-name', Values: ['web'] },
          ],
        }),
      )
    ).SecurityGroups?.[0]?.GroupId as string;
    const box = await launchAwsLikeInstance(ec2, {
      vpcId: web1.target.vpcId,
      subnetId: web1.target.subnetId,
      groupIds: [web],
      instanceProfileName: 'batch-profile',
      name: 'batch',
    });
    const finding = sampleFinding('CryptoCurrency:EC2/BitcoinTool.B', { accountId: account, region, instance: box });
    local.emulator.publishGuardDutyFinding(finding);
    const proxy = await startFaultProxy(local.endpoint, ({ body }) =>
      body.includes('Action=PutRolePolicy')
        ? {
            status: 403,
            contentType: 'text/xml',
            body: '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: iam:PutRolePolicy</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>',
          }
        : undefined,
    );

    // Act: the first delivery (PutRolePolicy refused), then a redelivery, then another
    process.env.AWS_ENDPOINT_URL_IAM = proxy.endpoint;
    let first: FindingResult[];
    try {
      first = await deliver([finding], audit, '2026-11-24T10:05:00.000Z');
    } finally {
      delete process.env.AWS_ENDPOINT_URL_IAM;
      await proxy.stop();
    }
    const associations = await ec2.send(
      new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [box.instanceId] }] }),
    );
    const cutoffAfterFirst = await cutoffOf('batch-role');
    const second = await deliver([finding], audit, '2026-11-24T10:20:00.000Z');
    const third = await deliver([finding], audit, '2026-11-24T10:40:00.000Z');

    // Assess: the first removed the profile and failed the revocation, keeping the removal on record
    expect(proxy.faults()).toBe(1);
    const lines = (r: FindingResult[]) =>
      (r[0]?.actions ?? []).filter((a) => a.action === 'ec2.remove-instance-profile').map((a) => `${a.resource}:${a.status}`);
    expect(lines(first)).toEqual([`${box.instanceId}:done`, `${box.instanceId}:failed`]);
    expect(first[0]?.actions.find((a) => a.status === 'failed')?.detail).toContain('AccessDenied');
    expect((associations.IamInstanceProfileAssociations ?? []).filter((a) => a.State === 'associated')).toEqual([]);
    expect(cutoffAfterFirst).toBeUndefined();
    // …the redelivery found no profile, took the role from the audit trail, and revoked its sessions
    expect(lines(second)).toEqual([`${box.instanceId}:already`, 'batch-role:done']);
    expect(await cutoffOf('batch-role')).toBe('2026-11-24T10:20:00.000Z');
    // …and the next one found it done
    expect(lines(third)).toEqual([`${box.instanceId}:already`, 'batch-role:already']);
    expect(await cutoffOf('batch-role')).toBe('2026-11-24T10:20:00.000Z');
    const audited = records(audit)
      .filter((r) => r.action === 'ec2.remove-instance-profile')
      .map((r) => `${r.resource}:${r.status}`);
    expect(audited).toEqual([
      `${box.instanceId}:done`,
      `${box.instanceId}:failed`,
      `${box.instanceId}:already`,
      'batch-role:done',
      `${box.instanceId}:already`,
      'batch-role:already',
    ]);
  });

  it("revokes only the compromised instances' sessions of a role a fleet shares, and release removes only its own statement", async () => {
    // Prepare: two instances of one fleet sharing one role and profile
    const audit = auditFile();
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: 'fleet-role',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    const roleId = role.Role?.RoleId as string;
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'fleet-profile' }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'fleet-profile', RoleName: 'fleet-role' }));
    const web1 = instanceOf(world, account, region, 'web-1');
    const web = (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [web1.target.vpcId] },
            { Name: 'group-name', Values: ['web'] },
          ],
        }),
      )
    ).SecurityGroups?.[0]?.GroupId as string;
    const [a, b] = await Promise.all(
      ['fleet-a', 'fleet-b'].map((name) =>
        launchAwsLikeInstance(ec2, {
          vpcId: web1.target.vpcId,
          subnetId: web1.target.subnetId,
          groupIds: [web],
          instanceProfileName: 'fleet-profile',
          name,
        }),
      ),
    );
    const onA = sampleFinding('CryptoCurrency:EC2/BitcoinTool.B', { accountId: account, region, instance: a });
    // Credentials of b used from outside AWS: GuardDuty names them by aws:userid, the role's id and b's instance id.
    const fromB = sampleFinding(EXFILTRATION, {
      accountId: account,
      region,
      accessKey: {
        accessKeyId: 'ASIAEXFILTRATED00009',
        userName: 'fleet-role',
        userType: 'AssumedRole',
        principalId: `${roleId}:${b?.instanceId}`,
      },
      seed: 'exfil-fleet',
    });
    for (const f of [onA, fromB]) local.emulator.publishGuardDutyFinding(f);
    const statements = () => revocationStatements(iam, 'fleet-role');
    const userIdOf = (id: string | undefined): string => `${roleId}:${id}`;

    // Act
    await deliver([onA], audit, '2026-11-24T12:05:00.000Z');
    await deliver([fromB], audit, '2026-11-24T12:10:00.000Z');
    const both = await statements();
    const policies = (await revocationPolicies(iam, 'fleet-role')).map((p) => p.name);
    const release = await runCli(['release', '--finding', String(onA.id), '--json'], { CORDON_AUDIT_FILE: audit });
    const left = await statements();

    // Assess: one statement per instance, each scoped to its instance's sessions by aws:userid; none role-wide
    expect(both.map((st) => [st.Condition.StringEquals?.['aws:userid'], st.Condition.DateLessThan?.['aws:TokenIssueTime']])).toEqual([
      [userIdOf(a?.instanceId), '2026-11-24T12:05:00.000Z'],
      [userIdOf(b?.instanceId), '2026-11-24T12:10:00.000Z'],
    ]);
    expect(both.some((st) => st.Sid === 'CordonRevokeOlderSessions')).toBe(false);
    // …each in a policy of its own, named after the instance and the cut-off (no lease on the role, nothing shared to overwrite)
    expect(policies).toEqual(
      [
        `cordon-revoke-older-sessions-${a?.instanceId}-${Date.parse('2026-11-24T12:05:00.000Z')}`,
        `cordon-revoke-older-sessions-${b?.instanceId}-${Date.parse('2026-11-24T12:10:00.000Z')}`,
      ].sort(),
    );
    // …and releasing a's finding removes a's statement only: b's credentials stay revoked
    expect(release.code).toBe(0);
    expect(release.lines[0]?.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'ec2.remove-instance-profile',
          resource: 'fleet-role',
          status: 'done',
          detail: expect.stringContaining(`deleted cordon-revoke-older-sessions-${a?.instanceId}-`),
        }),
      ]),
    );
    expect(left.map((st) => st.Condition.StringEquals?.['aws:userid'])).toEqual([userIdOf(b?.instanceId)]);
  });

  /** A session of a role as STS issues it to whoever may assume it (moto checks no trust policy), named as the caller likes. */
  const assumeAs = async (roleName: string, sessionName: string): Promise<{ userId: string; accessKeyId: string }> => {
    const credentials = await world.credentialsFor(account);
    const sts = new STSClient({ endpoint: local.endpoint, region, credentials });
    try {
      const out = await sts.send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${roleName}`, RoleSessionName: sessionName }),
      );
      return { userId: out.AssumedRoleUser?.AssumedRoleId as string, accessKeyId: out.Credentials?.AccessKeyId as string };
    } finally {
      sts.destroy();
    }
  };
  const createRole = async (roleName: string): Promise<string> =>
    (
      await iam.send(
        new CreateRoleCommand({
          RoleName: roleName,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }],
          }),
        }),
      )
    ).Role?.RoleId as string;
  const revocationDocument = (roleName: string): Promise<string> => revocationDocumentOf(iam, roleName);

  it('revokes every session of the role when the finding is not an instance credential exfiltration: a session named like an instance is denied', async () => {
    // Prepare: someone assumes the role with a session named after an instance, and GuardDuty sees its calls
    const audit = auditFile();
    await createRole('named-role');
    const attacker = await assumeAs('named-role', 'i-0123456789abcdef0');
    const finding = sampleFinding('UnauthorizedAccess:IAMUser/MaliciousIPCaller', {
      accountId: account,
      region,
      accessKey: { accessKeyId: attacker.accessKeyId, userName: 'named-role', userType: 'AssumedRole', principalId: attacker.userId },
      seed: 'named-session',
    });
    local.emulator.publishGuardDutyFinding(finding);

    // Act
    const [result] = await deliver([finding], audit, '2026-11-24T13:05:00.000Z');
    const document = await revocationDocument('named-role');

    // Assess: one role-wide statement, which denies the attacker's session (and any other issued before the cut-off)
    expect(revocation(result)).toMatchObject({ status: 'done', detail: expect.stringMatching(/^sessions of named-role issued before/) });
    expect(JSON.parse(document).Statement).toEqual([
      {
        Sid: 'CordonRevokeOlderSessions',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-24T13:05:00.000Z' } },
      },
    ]);
    const issuedBefore = { 'aws:TokenIssueTime': '2026-11-24T13:00:00.000Z' };
    expect(denyingStatements(document, { ...issuedBefore, 'aws:userid': attacker.userId })).toEqual(['CordonRevokeOlderSessions']);
    expect(denyingStatements(document, { ...issuedBefore, 'aws:userid': `${attacker.userId.split(':')[0]}:someone-else` })).toHaveLength(1);
    // New sessions still work: the result and Security Hub say so
    expect(result?.remains).toEqual([expect.stringMatching(/^new sessions of the role still work/)]);
    expect((await hubFinding(local, finding))?.Workflow?.Status).toBe('NOTIFIED');
  });

  it('scopes an InstanceCredentialExfiltration finding by aws:userid: a session merely named after the instance cannot escape the deny', async () => {
    // Prepare: an instance's credentials exfiltrated (GuardDuty names them role-id:instance-id)
    const audit = auditFile();
    const roleId = await createRole('exfil-role');
    const instanceId = 'i-0fedcba9876543210';
    const finding = sampleFinding(EXFILTRATION, {
      accountId: account,
      region,
      accessKey: {
        accessKeyId: 'ASIAEXFILTRATED00077',
        userName: 'exfil-role',
        userType: 'AssumedRole',
        principalId: `${roleId}:${instanceId}`,
      },
      seed: 'exfil-userid',
    });
    local.emulator.publishGuardDutyFinding(finding);
    // A session anyone who may assume the role creates with the instance's id as its name: no ec2:SourceInstanceARN in its context
    const lookalike = await assumeAs('exfil-role', instanceId);

    // Act
    const [result] = await deliver([finding], audit, '2026-11-24T14:05:00.000Z');
    const document = await revocationDocument('exfil-role');

    // Assess: the statement names the session by aws:userid, not ec2:SourceInstanceARN
    expect(revocation(result)).toMatchObject({ status: 'done', detail: expect.stringContaining(`aws:userid ${roleId}:${instanceId}`) });
    expect(JSON.parse(document).Statement).toEqual([
      expect.objectContaining({
        Condition: {
          DateLessThan: { 'aws:TokenIssueTime': '2026-11-24T14:05:00.000Z' },
          StringEquals: { 'aws:userid': `${roleId}:${instanceId}` },
        },
      }),
    ]);
    const before = '2026-11-24T14:00:00.000Z';
    // The instance's own credentials (which carry ec2:SourceInstanceARN) and the look-alike session (which does not) are both denied…
    expect(lookalike.userId).toBe(`${roleId}:${instanceId}`);
    expect(denyingStatements(document, { 'aws:userid': lookalike.userId, 'aws:TokenIssueTime': before })).toHaveLength(1);
    expect(
      denyingStatements(document, {
        'aws:userid': `${roleId}:${instanceId}`,
        'aws:TokenIssueTime': before,
        'ec2:SourceInstanceARN': `arn:aws:ec2:${region}:${account}:instance/${instanceId}`,
      }),
    ).toHaveLength(1);
    // …while another instance sharing the role, and sessions issued after the cut-off, keep working
    expect(denyingStatements(document, { 'aws:userid': `${roleId}:i-0aaaaaaaaaaaaaaaa`, 'aws:TokenIssueTime': before })).toEqual([]);
    expect(denyingStatements(document, { 'aws:userid': lookalike.userId, 'aws:TokenIssueTime': '2026-11-24T14:06:00.000Z' })).toEqual([]);
  });

  it('an instance revoked twice: the later policy replaces the earlier, release of the later puts the earlier back, then deletes it', async () => {
    // Prepare: one instance's credentials used from outside AWS twice, the second time after the first cut-off
    const audit = auditFile();
    const roleId = await createRole('twice-role');
    const instanceId = 'i-0123456789abcdef1';
    const exfiltrated = (seed: string) =>
      sampleFinding(EXFILTRATION, {
        accountId: account,
        region,
        accessKey: {
          accessKeyId: 'ASIAEXFILTRATED00055',
          userName: 'twice-role',
          userType: 'AssumedRole',
          principalId: `${roleId}:${instanceId}`,
        },
        seed,
      });
    const [first, later] = [exfiltrated('twice-1'), exfiltrated('twice-2')];
    (later.service as Record<string, unknown>).eventLastSeen = '2026-11-24T15:30:00.000Z';
    for (const f of [first, later]) local.emulator.publishGuardDutyFinding(f);
    const policy = (at: string): string => `cordon-revoke-older-sessions-${instanceId}-${Date.parse(at)}`;
    const names = async (): Promise<string[]> => (await revocationPolicies(iam, 'twice-role')).map((p) => p.name);

    // Act + Assess: each delivery writes a policy named after the instance and its cut-off; the later one replaces the earlier
    await deliver([first], audit, '2026-11-24T15:05:00.000Z');
    expect(await names()).toEqual([policy('2026-11-24T15:05:00.000Z')]);
    const [two] = await deliver([later], audit, '2026-11-24T15:35:00.000Z');
    expect(revocation(two)).toMatchObject({
      status: 'done',
      detail: expect.stringContaining('moving the cut-off from 2026-11-24T15:05:00.000Z'),
    });
    expect(await names()).toEqual([policy('2026-11-24T15:35:00.000Z')]);

    // Act + Assess: releasing the later finding puts the earlier policy back (the first finding still relies on it)
    const releaseLater = await runCli(['release', '--finding', String(later.id), '--json'], { CORDON_AUDIT_FILE: audit });
    expect(releaseLater.code).toBe(0);
    expect(await names()).toEqual([policy('2026-11-24T15:05:00.000Z')]);
    expect(await cutoffOf('twice-role')).toBe('2026-11-24T15:05:00.000Z');
    expect(
      denyingStatements(await revocationDocument('twice-role'), {
        'aws:userid': `${roleId}:${instanceId}`,
        'aws:TokenIssueTime': '2026-11-24T15:00:00.000Z',
      }),
    ).toHaveLength(1);

    // Act + Assess: releasing the first deletes it
    expect((await runCli(['release', '--finding', String(first.id)], { CORDON_AUDIT_FILE: audit })).code).toBe(0);
    expect(await names()).toEqual([]);
  });

  it("a policy planted under cordon's name and Sid that does not deny is not taken for a revocation in place", async () => {
    // Prepare: someone who may write the role's policies plants an Allow with the instance's revocation name, Sid and a later cut-off
    const audit = auditFile();
    const roleId = await createRole('planted-role');
    const instanceId = 'i-0123456789abcdef2';
    const userId = `${roleId}:${instanceId}`;
    const planted = `cordon-revoke-older-sessions-${instanceId}-${Date.parse('2026-11-24T17:00:00.000Z')}`;
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'planted-role',
        PolicyName: planted,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'CordonRevokeOlderSessionsi0123456789abcdef2',
              Effect: 'Allow',
              Action: '*',
              Resource: '*',
              Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-24T17:00:00.000Z' }, StringEquals: { 'aws:userid': userId } },
            },
          ],
        }),
      }),
    );
    const finding = sampleFinding(EXFILTRATION, {
      accountId: account,
      region,
      accessKey: { accessKeyId: 'ASIAEXFILTRATED00066', userName: 'planted-role', userType: 'AssumedRole', principalId: userId },
      seed: 'planted',
    });
    local.emulator.publishGuardDutyFinding(finding);

    // Act
    const [result] = await deliver([finding], audit, '2026-11-24T16:05:00.000Z');

    // Assess: revoked for real, not "already": the instance's sessions issued before now are denied
    expect(revocation(result)).toMatchObject({ status: 'done' });
    expect(
      denyingStatements(await revocationDocument('planted-role'), {
        'aws:userid': userId,
        'aws:TokenIssueTime': '2026-11-24T16:00:00.000Z',
      }),
    ).toHaveLength(1);
  });

  it("deletes revocations older than the longest role session, and past IAM's 10,240-character quota writes one role-wide statement that release undoes", async () => {
    // Prepare: a role whose own inline policy already takes most of the quota, and an instance's revocation cordon wrote 14 hours ago
    const audit = auditFile();
    const roleId = await createRole('quota-role');
    const resources: string[] = [];
    const appPolicy = (): string =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: resources }] });
    while (appPolicy().length < 9_870) resources.push(`arn:aws:s3:::application-bucket-${String(resources.length).padStart(4, '0')}/*`);
    await iam.send(new PutRolePolicyCommand({ RoleName: 'quota-role', PolicyName: 'app', PolicyDocument: appPolicy() }));
    const stale = {
      Sid: 'CordonRevokeOlderSessionsi0bbbbbbbbbbbbbbbb',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: {
        DateLessThan: { 'aws:TokenIssueTime': '2026-11-23T20:00:00.000Z' },
        StringEquals: { 'aws:userid': `${roleId}:i-0bbbbbbbbbbbbbbbb` },
      },
    };
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'quota-role',
        PolicyName: `cordon-revoke-older-sessions-i-0bbbbbbbbbbbbbbbb-${Date.parse('2026-11-23T20:00:00.000Z')}`,
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [stale] }),
      }),
    );
    const exfiltrated = (instanceId: string, seed: string) =>
      sampleFinding(EXFILTRATION, {
        accountId: account,
        region,
        accessKey: {
          accessKeyId: 'ASIAEXFILTRATED00088',
          userName: 'quota-role',
          userType: 'AssumedRole',
          principalId: `${roleId}:${instanceId}`,
        },
        seed,
      });
    const [a, b] = [exfiltrated('i-0aaaaaaaaaaaaaaaa', 'quota-a'), exfiltrated('i-0cccccccccccccccc', 'quota-b')];
    for (const f of [a, b]) local.emulator.publishGuardDutyFinding(f);
    const sids = async (): Promise<string[]> =>
      (JSON.parse(await revocationDocument('quota-role')) as { Statement: Array<{ Sid: string }> }).Statement.map((s) => s.Sid);
    const aggregate = async (): Promise<number> =>
      [appPolicy(), ...(await revocationPolicies(iam, 'quota-role')).map((p) => JSON.stringify({ Statement: p.statements }))].reduce(
        (n, d) => n + d.replace(/\s/g, '').length,
        0,
      );

    // Act + Assess: the first finding's statement fits; the 14-hour-old one goes (every session it denied has expired)
    const [one] = await deliver([a], audit, '2026-11-24T10:05:00.000Z');
    expect(revocation(one)).toMatchObject({ status: 'done', detail: expect.stringContaining('deleted 1 revocation(s) older than') });
    expect(await sids()).toEqual(['CordonRevokeOlderSessionsi0aaaaaaaaaaaaaaaa']);

    // Act + Assess: the second does not fit (IAM refuses the write: LimitExceeded, which the emulator enforces as IAM does)
    const started = Date.now();
    const [two] = await deliver([b], audit, '2026-11-24T10:10:00.000Z');
    expect(revocation(two)).toMatchObject({ status: 'done', detail: expect.stringContaining('EVERY session of quota-role') });
    // …at once: the SDK would retry IAM's LimitExceeded as throttling for tens of seconds (it answered in 45 s before cordon renamed it)
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await sids()).toEqual(['CordonRevokeOlderSessions']);
    expect((await revocationPolicies(iam, 'quota-role')).map((p) => p.name)).toEqual(['cordon-revoke-older-sessions']);
    expect(await aggregate()).toBeLessThanOrEqual(10_240);
    expect(
      denyingStatements(await revocationDocument('quota-role'), {
        'aws:userid': `${roleId}:i-0aaaaaaaaaaaaaaaa`,
        'aws:TokenIssueTime': '2026-11-24T10:00:00.000Z',
      }),
    ).toHaveLength(1);

    // Act + Assess: releasing the second finding puts back what the role-wide statement replaced
    const release = await runCli(['release', '--finding', String(b.id), '--json'], { CORDON_AUDIT_FILE: audit });
    expect(release.code).toBe(0);
    expect(await sids()).toEqual(['CordonRevokeOlderSessionsi0aaaaaaaaaaaaaaaa']);
  });
  it("a role-wide revocation past IAM's quota replaces the statements it covers with one, which release undoes; with no room even for one it says so and writes nothing", async () => {
    // Prepare: two roles whose own inline policy takes most of the quota; one also holds an older cordon's two
    // instance statements in the shared policy, so that a third statement does not fit but one alone does
    const audit = auditFile();
    const wideId = await createRole('wide-role');
    await createRole('full-role');
    const chars = (document: string): number => document.replace(/\s/g, '').length;
    const appPolicy = (resources: readonly string[]): string =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: resources }] });
    const sized = (limit: number): string => {
      const resources: string[] = [];
      while (chars(appPolicy([...resources, 'x'.repeat(48)])) <= limit)
        resources.push(`arn:aws:s3:::application-bucket-${String(resources.length).padStart(4, '0')}/*`);
      return appPolicy(resources);
    };
    const older = ['i-0dddddddddddddddd', 'i-0eeeeeeeeeeeeeeee'].map((id) => ({
      Sid: `CordonRevokeOlderSessions${id.replace(/-/g, '')}`,
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-24T15:00:00.000Z' }, StringEquals: { 'aws:userid': `${wideId}:${id}` } },
    }));
    const shared = JSON.stringify({ Version: '2012-10-17', Statement: older });
    await iam.send(new PutRolePolicyCommand({ RoleName: 'wide-role', PolicyName: 'cordon-revoke-older-sessions', PolicyDocument: shared }));
    // Room for less than one more statement beside them (a role-wide statement takes about 150 characters)
    await iam.send(
      new PutRolePolicyCommand({ RoleName: 'wide-role', PolicyName: 'app', PolicyDocument: sized(10_240 - chars(shared) - 100) }),
    );
    await iam.send(new PutRolePolicyCommand({ RoleName: 'full-role', PolicyName: 'app', PolicyDocument: sized(10_240 - 100) }));
    const findingOn = async (roleName: string) => {
      const attacker = await assumeAs(roleName, 'laptop');
      const finding = sampleFinding('UnauthorizedAccess:IAMUser/MaliciousIPCaller', {
        accountId: account,
        region,
        accessKey: { accessKeyId: attacker.accessKeyId, userName: roleName, userType: 'AssumedRole', principalId: attacker.userId },
        seed: `quota-${roleName}`,
      });
      local.emulator.publishGuardDutyFinding(finding);
      return finding;
    };
    const [wide, full] = [await findingOn('wide-role'), await findingOn('full-role')];
    const sids = async (roleName: string): Promise<string[]> =>
      (JSON.parse(await revocationDocument(roleName)) as { Statement: Array<{ Sid: string }> }).Statement.map((st) => st.Sid);

    // Act
    const [onWide, onFull] = await deliver([wide, full], audit, '2026-11-24T17:05:00.000Z');

    // Assess: IAM refused the statement beside the others, so the role-wide one replaced them (it denies every session
    // they denied: their cut-offs are earlier)
    expect(revocation(onWide)).toMatchObject({
      status: 'done',
      detail: expect.stringContaining(
        'EVERY session of wide-role issued before 2026-11-24T17:05:00.000Z denied instead (role-wide, replacing 2 statement(s))',
      ),
    });
    expect(await sids('wide-role')).toEqual(['CordonRevokeOlderSessions']);
    // …and with no room for even one statement: failed, naming what to do, nothing written
    expect(revocation(onFull)).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining("full-role's other inline policies leave no room"),
    });
    expect((await revocationPolicies(iam, 'full-role')).map((p) => p.name)).toEqual([]);

    // Act + Assess: release puts back the statements the role-wide one replaced
    const release = await runCli(['release', '--finding', String(wide.id), '--json'], { CORDON_AUDIT_FILE: audit });
    expect(release.code).toBe(0);
    expect(await sids('wide-role')).toEqual(older.map((st) => st.Sid));
  });
});
