import { ListAccessKeysCommand, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import { buildWorld, type World, type LocalAws } from '../../local-aws';
import { runCli } from '../support/cli';
import { startLocal } from '../support/local';
import { attachedPolicies, auditFile, AWS_DENY_ALL_ARN, eventsFile, hubFinding, memberClients, publish } from '../support/world';

/**
 * Containing a principal: an IAM user is denied with the AWS managed
 * AWSDenyAll policy (the member role may attach that policy only), and a
 * temporary key of a user's session, which cannot be deactivated, is not a
 * failure: the deny on the user covers it.
 */
describe('respond: IAM users and their keys', () => {
  let local: LocalAws;
  let world: World;
  const region = 'us-east-1';

  beforeAll(async () => {
    local = await startLocal();
    world = await buildWorld({ endpoint: local.endpoint, memberCount: 1, regions: [region] });
    local.emulator.seedOrganization({
      administratorAccountId: world.securityAccountId,
      memberAccountIds: world.memberAccountIds,
      regions: world.regions,
    });
  }, 120_000);
  afterAll(async () => local?.stop());

  it('denies the user by attaching AWSDenyAll (no inline policy), and release detaches it', async () => {
    // Prepare
    const account = world.memberAccountIds[0] as string;
    const bot = world.users.find((u) => u.accountId === account && u.userName === 'deploy-bot');
    const audit = auditFile();
    const finding = publish(local, 'UnauthorizedAccess:IAMUser/MaliciousIPCaller', {
      accountId: account,
      region,
      accessKey: { accessKeyId: bot?.accessKeyId ?? '', userName: 'deploy-bot', userType: 'IAMUser' },
      seed: 'deny-managed',
    });
    const { iam } = await memberClients(local, world, account, region);

    // Act
    const run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: audit });
    const attachedAfterRespond = await attachedPolicies(iam, 'deploy-bot');
    const inline = (await iam.send(new ListUserPoliciesCommand({ UserName: 'deploy-bot' }))).PolicyNames;
    const release = await runCli(['release', '--finding', String(finding.id), '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess: the managed policy, attached and detached again; the key stays off (a leaked key stays off)
    expect(run.code).toBe(0);
    expect(run.lines[0]?.actions).toEqual(
      expect.arrayContaining([
        { action: 'iam.deny-user', resource: 'deploy-bot', status: 'done', detail: 'attached AWSDenyAll to deploy-bot' },
      ]),
    );
    expect(attachedAfterRespond).toEqual([AWS_DENY_ALL_ARN]);
    expect(inline).toEqual([]);
    expect(release.code).toBe(0);
    expect(release.lines[0]?.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'iam.deny-user', status: 'done', detail: 'detached AWSDenyAll from deploy-bot' }),
      ]),
    );
    expect(await attachedPolicies(iam, 'deploy-bot')).toEqual([]);
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }));
    expect(keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === bot?.accessKeyId)?.Status).toBe('Inactive');
  });

  it("a user's temporary (ASIA) key is skipped with the reason, the user is denied, exit code 0 and RESOLVED", async () => {
    // Prepare: a console or GetSessionToken session of the user, seen by GuardDuty
    const account = world.memberAccountIds[0] as string;
    const audit = auditFile();
    const finding = publish(local, 'Discovery:IAMUser/AnomalousBehavior', {
      accountId: account,
      region,
      accessKey: { accessKeyId: 'ASIAUSERSESSION00001', userName: 'break-glass', userType: 'IAMUser' },
      severity: 8,
      seed: 'asia-key',
    });
    const { iam } = await memberClients(local, world, account, region);
    const before = (await iam.send(new ListAccessKeysCommand({ UserName: 'break-glass' }))).AccessKeyMetadata?.map((k) => k.Status);

    // Act: break-glass carries cordon:exempt=true in the world, so the exemption tag is turned off for this run
    const run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: audit, CORDON_EXEMPT_TAG: 'none' });

    // Assess
    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatchObject({
      decision: 'act',
      actions: [
        {
          action: 'iam.deactivate-access-key',
          resource: 'ASIAUSERSESSION00001',
          status: 'skipped',
          detail: expect.stringContaining('cannot be deactivated; a deny on the user (iam.deny-user) ends it'),
        },
        { action: 'iam.deny-user', resource: 'break-glass', status: 'done', detail: 'attached AWSDenyAll to break-glass' },
        expect.objectContaining({ action: 'iam.revoke-role-sessions', status: 'skipped' }),
      ],
    });
    expect(run.lines[0]?.remains).toBeUndefined();
    expect(await attachedPolicies(iam, 'break-glass')).toEqual([AWS_DENY_ALL_ARN]);
    expect((await iam.send(new ListAccessKeysCommand({ UserName: 'break-glass' }))).AccessKeyMetadata?.map((k) => k.Status)).toEqual(
      before,
    );
    expect((await hubFinding(local, finding))?.Workflow?.Status).toBe('RESOLVED');
  });
});
