import {
  CreateDetectorCommand,
  CreateThreatEntitySetCommand,
  CreateThreatIntelSetCommand,
  GetThreatEntitySetCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  ListThreatEntitySetsCommand,
  type ThreatEntitySetFormat,
} from '@aws-sdk/client-guardduty';
import {
  AssociateFirewallRuleGroupCommand,
  CreateFirewallDomainListCommand,
  CreateFirewallRuleCommand,
  CreateFirewallRuleGroupCommand,
  ListResolverRulesCommand,
  Route53ResolverClient,
  UpdateFirewallDomainsCommand,
} from '@aws-sdk/client-route53resolver';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

import { startLocalAws, type LocalAws } from '../../../local-aws/start';
import { clientConfig, credentialsFor, DEFAULT_ACCOUNT } from './helpers';

/**
 * GuardDuty's lists and DNS Firewall in the emulator: validated as AWS
 * validates them (model, prose rules, quotas), and a list GuardDuty could not
 * read (missing, IPv6, bad entries, another owner's bucket) is ERROR with its
 * details, as GuardDuty reports it.
 */
describe('emulator: GuardDuty lists and DNS Firewall', () => {
  let local: LocalAws;
  let gd: GuardDutyClient;
  let s3: S3Client;
  let r53: Route53ResolverClient;
  let detectorId: string;
  const bucket = 'lists-under-test';

  const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const create = (name: string, location: string, extra: { Format?: ThreatEntitySetFormat; ExpectedBucketOwner?: string } = {}) =>
    gd.send(
      new CreateThreatEntitySetCommand({ DetectorId: detectorId, Name: name, Format: 'TXT', Location: location, Activate: true, ...extra }),
    );
  const statusOf = async (id: string | undefined) => {
    const got = await gd.send(new GetThreatEntitySetCommand({ DetectorId: detectorId, ThreatEntitySetId: id }));
    return { status: got.Status, error: got.ErrorDetails };
  };

  beforeAll(async () => {
    local = await startLocalAws();
    gd = new GuardDutyClient(clientConfig(local));
    s3 = new S3Client({ ...clientConfig(local), forcePathStyle: true });
    r53 = new Route53ResolverClient(clientConfig(local));
    detectorId = (await gd.send(new CreateDetectorCommand({ Enable: true }))).DetectorId ?? '';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }, 60_000);

  afterAll(async () => {
    gd?.destroy();
    s3?.destroy();
    r53?.destroy();
    await local?.stop();
  });

  it('validates against the model: required members, enums', async () => {
    await expect(
      gd.send(
        new CreateThreatEntitySetCommand({
          DetectorId: detectorId,
          Name: 'x',
          Format: 'CSV' as ThreatEntitySetFormat,
          Location: 's3://b/k',
          Activate: true,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'BadRequestException',
      message: expect.stringContaining("at 'format' failed to satisfy constraint: Member must satisfy enum value set"),
    });
    await expect(create('bad name!', `s3://${bucket}/k`)).rejects.toMatchObject({
      name: 'BadRequestException',
      message: expect.stringContaining('letters, digits'),
    });
    await expect(create('x', 'https://example.com/list.txt')).rejects.toMatchObject({
      message: expect.stringContaining('not a supported Amazon S3 URL'),
    });
  });

  it('reads the list object from S3 at activation: a good list is ACTIVE, a bad one ERROR with why', async () => {
    await put('good.txt', '198.51.100.7\n203.0.113.0/24\nevil.example\n*.evil.example\n');
    await put('v6.txt', '2001:db8::7\n');
    await put('junk.txt', 'not an entry\n');
    const good = await create('good', `s3://${bucket}/good.txt`, { ExpectedBucketOwner: DEFAULT_ACCOUNT });
    expect(await statusOf(good.ThreatEntitySetId)).toEqual({ status: 'ACTIVE', error: undefined });
    expect(local.emulator.guardDutyLists(DEFAULT_ACCOUNT, 'us-east-1').find((l) => l.name === 'good')?.entries).toEqual([
      '198.51.100.7',
      '203.0.113.0/24',
      'evil.example',
      '*.evil.example',
    ]);
    expect(await statusOf((await create('v6', `https://s3.amazonaws.com/${bucket}/v6.txt`)).ThreatEntitySetId)).toEqual({
      status: 'ERROR',
      error: expect.stringContaining('only IPv4'),
    });
    expect(await statusOf((await create('junk', `s3://${bucket}/junk.txt`)).ThreatEntitySetId)).toMatchObject({
      status: 'ERROR',
      error: expect.stringContaining('invalid entry'),
    });
    expect(await statusOf((await create('missing', `s3://${bucket}/missing.txt`)).ThreatEntitySetId)).toMatchObject({
      status: 'ERROR',
      error: expect.stringContaining('NoSuchKey'),
    });
    expect(
      await statusOf((await create('owner', `s3://${bucket}/good.txt`, { ExpectedBucketOwner: '210987654321' })).ThreatEntitySetId),
    ).toMatchObject({
      status: 'ERROR',
      error: expect.stringContaining('not owned by the expected bucket owner'),
    });
  });

  it('holds at most six threat lists per region, entity and IP lists together', async () => {
    // Five entity lists exist (the test before): a threat intel set is the sixth, one more is refused.
    await gd.send(
      new CreateThreatIntelSetCommand({
        DetectorId: detectorId,
        Name: 'sixth',
        Format: 'TXT',
        Location: `s3://${bucket}/good.txt`,
        Activate: false,
      }),
    );
    await expect(
      gd.send(
        new CreateThreatIntelSetCommand({
          DetectorId: detectorId,
          Name: 'seventh',
          Format: 'TXT',
          Location: `s3://${bucket}/good.txt`,
          Activate: false,
        }),
      ),
    ).rejects.toMatchObject({ name: 'BadRequestException', message: expect.stringContaining('6 threat lists') });
  });

  it('DNS Firewall: the documented limits, VPCs that exist, and moto still answers the rest of Route 53 Resolver', async () => {
    const list = (await r53.send(new CreateFirewallDomainListCommand({ CreatorRequestId: 'l', Name: 'l' }))).FirewallDomainList?.Id;
    await expect(
      r53.send(
        new UpdateFirewallDomainsCommand({
          FirewallDomainListId: list,
          Operation: 'ADD',
          Domains: Array.from({ length: 1001 }, (_, i) => `d${i}.example`),
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('limit of 1000 domains per request') });
    const group = (await r53.send(new CreateFirewallRuleGroupCommand({ CreatorRequestId: 'g', Name: 'g' }))).FirewallRuleGroup?.Id;
    await expect(
      r53.send(
        new CreateFirewallRuleCommand({
          CreatorRequestId: 'r',
          FirewallRuleGroupId: group,
          FirewallDomainListId: list,
          Priority: 1,
          Action: 'BLOCK',
          Name: 'r',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('BlockResponse is required') });
    await expect(
      r53.send(
        new AssociateFirewallRuleGroupCommand({
          CreatorRequestId: 'a',
          FirewallRuleGroupId: group,
          VpcId: 'vpc-0123456789abcdef0',
          Priority: 101,
          Name: 'a',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      r53.send(
        new AssociateFirewallRuleGroupCommand({
          CreatorRequestId: 'b',
          FirewallRuleGroupId: group,
          VpcId: 'vpc-0123456789abcdef0',
          Priority: 100,
          Name: 'b',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('between 100 and 9900') });
    // moto's own Route 53 Resolver operations are proxied, not emulated.
    expect((await r53.send(new ListResolverRulesCommand({}))).ResolverRules).toBeDefined();
  });

  it('a member manages no list: it sees its administrator’s', async () => {
    const member = await credentialsFor(local, '111122223333');
    local.emulator.seedOrganization({
      administratorAccountId: DEFAULT_ACCOUNT,
      memberAccountIds: ['111122223333'],
      regions: ['us-east-1'],
    });
    const memberGd = new GuardDutyClient(clientConfig(local, 'us-east-1', member));
    expect(local.emulator.guardDutyLists('111122223333', 'us-east-1')).toEqual([]);
    const id = (await memberGd.send(new ListDetectorsCommand({}))).DetectorIds?.[0];
    const seen = await memberGd.send(new ListThreatEntitySetsCommand({ DetectorId: id }));
    expect(seen.ThreatEntitySetIds?.length).toBeGreaterThan(0);
    await expect(
      memberGd.send(
        new CreateThreatEntitySetCommand({
          DetectorId: id,
          Name: 'mine',
          Format: 'TXT',
          Location: `s3://${bucket}/good.txt`,
          Activate: false,
        }),
      ),
    ).rejects.toMatchObject({ name: 'BadRequestException', message: expect.stringContaining('only the GuardDuty administrator') });
    memberGd.destroy();
  });
});
