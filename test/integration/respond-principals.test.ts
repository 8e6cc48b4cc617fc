import { ListAccessKeysCommand, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import type { World, LocalAws } from '../../local-aws';
import { runCli } from '../support/cli';
import { startFaultProxy } from '../support/fault-proxy';
import {
  attachedPolicies,
  auditFile,
  AWS_DENY_ALL_ARN,
  eventsFile,
  hubFinding,
  memberClients,
  publish,
  startWorld,
} from '../support/world';

/**
 * Containing a principal: an IAM user is denied with the AWS managed
 * AWSDenyAll policy (the member role may attach that policy only), and a
 * temporary key of a user's session, which cannot be deactivated, is not a
 * failure: the deny on the user covers it. S3 findings of a principal's doing
 * contain that principal; public-exposure ones block public access, on the
 * finding's account's buckets only.
 */

/** `cordon respond` on one finding with S3 behind `proxy` (stopped afterwards). */
async function respondThroughS3(proxy: { endpoint: string; stop: () => Promise<void> }, finding: Record<string, unknown>) {
  process.env.AWS_ENDPOINT_URL_S3 = proxy.endpoint;
  try {
    return await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: auditFile() });
  } finally {
    delete process.env.AWS_ENDPOINT_URL_S3;
    await proxy.stop();
  }
}

/** S3's AccessDenied, as AWS sends it (a bucket policy denying the member role, say). */
const S3_ACCESS_DENIED = {
  status: 403,
  contentType: 'application/xml',
  body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
};
describe('respond: principals, their keys and the buckets they use', () => {
  let local: LocalAws;
  let world: World;
  const region = 'us-east-1';

  beforeAll(async () => {
    ({ local, world } = await startWorld({ memberCount: 2, regions: [region] }));
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

  const publicAccess = async (accountId: string, bucket: string) =>
    (await (await memberClients(local, world, accountId, region)).s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })))
      .PublicAccessBlockConfiguration;
  const ALL_OFF = { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false };

  it("contains the IAM user behind an S3 exfiltration (key off, AWSDenyAll), and leaves the bucket's public access alone", async () => {
    // Prepare
    const account = world.memberAccountIds[1] as string;
    const bot = world.users.find((u) => u.accountId === account && u.userName === 'deploy-bot');
    const bucket = world.buckets.find((b) => b.accountId === account)?.name as string;
    const finding = publish(local, 'Exfiltration:S3/AnomalousBehavior', {
      accountId: account,
      region,
      accessKey: { accessKeyId: bot?.accessKeyId ?? '', userName: 'deploy-bot', userType: 'IAMUser' },
      bucket,
      seed: 's3-exfiltration',
    });
    const { iam } = await memberClients(local, world, account, region);

    // Act
    const run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: auditFile() });

    // Assess: the principal is contained; Block Public Access, which would not have stopped it, is not touched
    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatchObject({
      runbook: 's3-principal-misuse',
      actions: [
        { action: 'iam.deactivate-access-key', resource: bot?.accessKeyId, status: 'done' },
        { action: 'iam.deny-user', resource: 'deploy-bot', status: 'done' },
        expect.objectContaining({ action: 'iam.revoke-role-sessions', status: 'skipped' }),
      ],
    });
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }));
    expect(keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === bot?.accessKeyId)?.Status).toBe('Inactive');
    expect(await attachedPolicies(iam, 'deploy-bot')).toEqual([AWS_DENY_ALL_ARN]);
    expect(await publicAccess(account, bucket)).toEqual(ALL_OFF);
    expect((await hubFinding(local, finding))?.Workflow?.Status).toBe('RESOLVED');
  });

  it('says the root user cannot be contained: nothing changed, exit 0, NOTIFIED with what to do', async () => {
    // Prepare
    const account = world.memberAccountIds[1] as string;
    const bucket = world.buckets.find((b) => b.accountId === account)?.name as string;
    const finding = publish(local, 'Impact:S3/AnomalousBehavior.Delete', {
      accountId: account,
      region,
      accessKey: { accessKeyId: 'AKIAROOTKEY000000001', userName: 'Root', userType: 'Root' },
      bucket,
      seed: 's3-root',
    });

    // Act
    const run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: auditFile() });

    // Assess
    expect(run.code).toBe(0);
    expect((run.lines[0]?.actions as Array<{ status: string; detail: string }>).map((a) => [a.status, a.detail])).toEqual(
      Array(3).fill(['skipped', "the credentials are the account's root user's: cordon cannot contain the root user"]),
    );
    expect(run.lines[0]?.remains).toEqual(['the root user cannot be contained by cordon: secure it by hand (password, access keys, MFA)']);
    const hub = await hubFinding(local, finding);
    expect(hub?.Workflow?.Status).toBe('NOTIFIED');
    expect(hub?.Note?.Text).toContain('STILL OPEN: the root user cannot be contained by cordon');
    expect(await publicAccess(account, bucket)).toEqual(ALL_OFF);
  });

  it("blocks public access on the finding's account's buckets only, each on its own: another account's is skipped, a failure keeps the rest", async () => {
    // Prepare: a public-exposure finding naming a bucket of its account, one of another account, and one whose write fails
    const [own, other] = world.memberAccountIds as [string, string];
    const ownBucket = world.buckets.find((b) => b.accountId === own)?.name as string;
    const foreign = world.buckets.find((b) => b.accountId === other)?.name as string;
    const failing = `${ownBucket}-logs`;
    await (await memberClients(local, world, own, region)).s3.send(new CreateBucketCommand({ Bucket: failing }));
    const finding = publish(local, 'Policy:S3/BucketAnonymousAccessGranted', {
      accountId: own,
      region,
      bucket: ownBucket,
      seed: 's3-owners',
    });
    const details = (finding.resource as { s3BucketDetails: Array<Record<string, unknown>> }).s3BucketDetails;
    const first = details[0] as Record<string, unknown>;
    details.push({ ...first, name: foreign, arn: `arn:aws:s3:::${foreign}` }, { ...first, name: failing, arn: `arn:aws:s3:::${failing}` });
    local.emulator.publishGuardDutyFinding(finding);
    const s3Calls: string[] = [];
    const proxy = await startFaultProxy(local.endpoint, ({ path: at, call }) => {
      if (call) s3Calls.push(`${call.operation} ${at}`);
      return call?.operation === 'PutPublicAccessBlock' && at.startsWith(`/${failing}`) ? S3_ACCESS_DENIED : undefined;
    });

    // Act
    const run = await respondThroughS3(proxy, finding);

    // Assess: its own bucket blocked, the other account's skipped and untouched, the failure reported (exit 1)
    expect(run.code).toBe(1);
    expect(
      (run.lines[0]?.actions as Array<{ resource: string; status: string; detail: string }>).map((a) => [a.resource, a.status]),
    ).toEqual([
      [ownBucket, 'done'],
      [foreign, 'skipped'],
      [failing, 'failed'],
    ]);
    expect((run.lines[0]?.actions as Array<{ detail: string }>)[1]?.detail).toBe(
      `bucket ${foreign} is not owned by account ${own} (the finding's): cordon changes only that account's buckets`,
    );
    expect(await publicAccess(own, ownBucket)).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(await publicAccess(other, foreign)).toEqual(ALL_OFF);
    // Ownership is proven by the tag read with ExpectedBucketOwner (its tags serve the exemption check); only the
    // bucket S3 refused is looked up with ListBuckets. (The CLI's file store keeps no lease trace, so the run under
    // the lease reads again what the screen read.)
    const tagged = new Set(s3Calls.filter((c) => c.startsWith('GetBucketTagging')).map((c) => c.split(' ')[1]?.split('?')[0]));
    expect([...tagged].sort()).toEqual([`/${failing}/`, `/${foreign}/`, `/${ownBucket}/`].sort());
    const listed = s3Calls.filter((c) => c.startsWith('ListBuckets'));
    expect(listed.length).toBeGreaterThan(0);
    for (const call of listed) expect(call).toContain(`prefix=${foreign}`);
  });

  it("a bucket of the finding's account whose tags S3 refuses is not taken for another account's: the finding fails, naming the refusal", async () => {
    // Prepare: the account's own bucket, whose tag read is refused (as a bucket policy denying the member role would)
    const own = world.memberAccountIds[0] as string;
    const bucket = `${world.buckets.find((b) => b.accountId === own)?.name as string}-guarded`;
    await (await memberClients(local, world, own, region)).s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const finding = publish(local, 'Policy:S3/BucketAnonymousAccessGranted', { accountId: own, region, bucket, seed: 's3-guarded' });
    const proxy = await startFaultProxy(local.endpoint, ({ path: at, call }) =>
      call?.operation === 'GetBucketTagging' && at.startsWith(`/${bucket}`) ? S3_ACCESS_DENIED : undefined,
    );

    // Act
    const run = await respondThroughS3(proxy, finding);

    // Assess: ListBuckets says the account owns it, so its exemption tag must be read: that fails the finding, loudly
    expect(run.code).toBe(1);
    const actions = run.lines[0]?.actions as Array<{ status: string; detail: string }>;
    expect(actions.map((a) => a.status)).toEqual(['failed']);
    expect(actions[0]?.detail).toMatch(/Access Denied/);
    expect(actions[0]?.detail).not.toMatch(/not owned/);
    // Nothing was set on it.
    await expect(publicAccess(own, bucket)).rejects.toThrow(expect.objectContaining({ name: 'NoSuchPublicAccessBlockConfiguration' }));
  });
});
