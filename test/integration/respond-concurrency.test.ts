import { DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateSnapshotCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { createAuditTable } from '../../bench/harness';
import { startFaultyEndpoint, type FaultProxy } from '../support/fault-proxy';
import { DynamoDbAuditStore } from '../../src/audit/dynamodb-store';
import { guardDutyEvent, buildWorld, type World, type LocalAws } from '../../local-aws';
import { parseInput } from '../../src/findings/parse';
import { respond } from '../../src/respond/responder';
import type { FindingResult } from '../../src/respond/result';
import type { Responder } from '../../src/respond/wiring';
import { interfaceGroups, launchAwsLikeInstance } from '../support/aws-like-instance';
import { HOME_CREDENTIALS, startLocal } from '../support/local';
import { runCli } from '../support/cli';
import { instanceOf, lambdaEnvironment, memberClients, publish } from '../support/world';
import { revocationStatements } from '../support/revocations';

/**
 * Two Lambda environments (two responders built as the handler builds them,
 * each with its own clients) working at the same moment against one DynamoDB
 * audit table: leases make them take turns on a resource, a network ACL and a
 * VPC's isolation groups.
 */
describe('respond: concurrent deliveries in two Lambda environments', () => {
  let local: LocalAws;
  let world: World;
  let account: string;
  let ec2: EC2Client;
  let ddb: DynamoDBClient;
  const region = 'us-east-1';
  const table = 'cordon-concurrency';
  const responders: Responder[] = [];

  const environment = (name: string): Responder => {
    const r = lambdaEnvironment(table, name);
    responders.push(r);
    return r;
  };
  const deliver = (responder: Responder, findings: ReadonlyArray<Record<string, unknown>>): Promise<FindingResult[]> =>
    respond(parseInput(findings.map((f) => JSON.stringify(guardDutyEvent(f))).join('\n')), responder.deps);
  const statuses = (result: FindingResult | undefined, action: string): string[] =>
    (result?.actions ?? [])
      .filter((a) => a.action === action)
      .map((a) => a.status)
      .sort();
  const groupId = async (vpcId: string, name: string): Promise<string> =>
    (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'group-name', Values: [name] },
          ],
        }),
      )
    ).SecurityGroups?.[0]?.GroupId as string;
  /** web-1, and another instance of its subnet and group. */
  const besideWeb1 = async (name: string, extra: { instanceProfileName?: string } = {}) => {
    const web1 = instanceOf(world, account, region, 'web-1');
    const web = await groupId(web1.target.vpcId, 'web');
    const other = await launchAwsLikeInstance(ec2, {
      vpcId: web1.target.vpcId,
      subnetId: web1.target.subnetId,
      groupIds: [web],
      name,
      ...extra,
    });
    return { web1, other };
  };
  /** The entries of the network ACL a subnet is associated with. */
  const aclEntries = async (subnetId: string) =>
    (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }))).NetworkAcls?.[0]
      ?.Entries ?? [];
  const denies = async (subnetId: string, cidr: string) =>
    (await aclEntries(subnetId))
      .filter((e) => e.CidrBlock === cidr && e.RuleAction === 'deny')
      .map((e) => ({ egress: e.Egress, ruleNumber: e.RuleNumber }));

  /**
   * EC2 and DynamoDB behind a proxy until `stop`: DescribeSnapshots lists
   * nothing (as right after CreateSnapshot: it is eventually consistent), and
   * the Queries of a finding's records are counted (the circuit breaker's
   * ledger is queried too: not counted).
   */
  const snapshotsUnlisted = async () => {
    let queries = 0;
    const proxy: FaultProxy = await startFaultyEndpoint({
      target: local.endpoint,
      motoEndpoint: local.motoEndpoint,
      intercept: (call, body) => {
        if (call.operation === 'Query' && body.toString('utf8').includes('"finding#')) queries += 1;
        if (call.operation !== 'DescribeSnapshots') return undefined;
        return {
          answer: (up) => ({
            ...up,
            body: Buffer.from(up.body.toString('utf8').replace(/<snapshotSet>[\s\S]*<\/snapshotSet>/, '<snapshotSet/>')),
          }),
        };
      },
    });
    process.env.AWS_ENDPOINT_URL_EC2 = proxy.endpoint;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = proxy.endpoint;
    return {
      proxy,
      trailQueries: () => queries,
      stop: async () => {
        delete process.env.AWS_ENDPOINT_URL_EC2;
        delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
        await proxy.stop();
      },
    };
  };

  beforeAll(async () => {
    local = await startLocal();
    world = await buildWorld({ endpoint: local.endpoint, memberCount: 1, regions: [region] });
    local.emulator.seedOrganization({
      administratorAccountId: world.securityAccountId,
      memberAccountIds: world.memberAccountIds,
      regions: world.regions,
    });
    await createAuditTable(local, table);
    account = world.memberAccountIds[0] as string;
    ec2 = (await memberClients(local, world, account, region)).ec2;
    ddb = new DynamoDBClient({ endpoint: local.endpoint, region, credentials: HOME_CREDENTIALS });
  }, 120_000);
  afterAll(async () => {
    for (const r of responders) r.close();
    ddb?.destroy();
    await local?.stop();
  });

  it('the same findings delivered to two environments at once: one snapshot per volume, one pair of NACL rules, one isolation; the second reports "already"', async () => {
    // Prepare: a compromised instance (two interfaces, an instance profile) and an SSH brute force against another
    const web2 = instanceOf(world, account, region, 'web-2');
    const vpcId = web2.target.vpcId;
    const [web, admin] = [await groupId(vpcId, 'web'), await groupId(vpcId, 'admin')];
    const miner = await launchAwsLikeInstance(ec2, {
      vpcId,
      subnetId: web2.target.subnetId,
      groupIds: [web],
      secondInterfaceGroupIds: [admin],
      instanceProfileName: 'web-instance-profile',
      name: 'miner',
    });
    const before = await interfaceGroups(ec2, miner.instanceId);
    const crypto = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B!DNS', { accountId: account, region, instance: miner });
    const brute = publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', {
      accountId: account,
      region,
      instance: web2.target,
      resourceRole: 'TARGET',
      remoteIp: '198.51.100.50',
    });
    const [envA, envB] = [environment('lambda-env-a'), environment('lambda-env-b')];

    // Act: both environments receive both findings at the same moment (an SQS redelivery racing the first delivery)
    const [a, b] = await Promise.all([deliver(envA, [crypto, brute]), deliver(envB, [crypto, brute])]);

    // Assess: AWS holds each containment once
    const snapshots =
      (
        await ec2.send(
          new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:cordon:finding-id', Values: [String(crypto.id)] }] }),
        )
      ).Snapshots ?? [];
    expect(snapshots).toHaveLength(2);
    expect(new Set(snapshots.map((s) => s.VolumeId)).size).toBe(2);
    expect((await denies(web2.target.subnetId, '198.51.100.50/32')).sort((x, y) => Number(x.egress) - Number(y.egress))).toEqual([
      { egress: false, ruleNumber: 1 },
      { egress: true, ruleNumber: 1 },
    ]);
    const quarantine = await groupId(vpcId, 'cordon-quarantine');
    expect(Object.values(await interfaceGroups(ec2, miner.instanceId))).toEqual([[quarantine], [quarantine]]);

    // Assess: whichever environment went first did it; the other found it done
    const [first, second] = [a, b].sort(
      (x, y) =>
        statuses(y[0], 'ec2.snapshot').filter((s) => s === 'done').length -
        statuses(x[0], 'ec2.snapshot').filter((s) => s === 'done').length,
    ) as [FindingResult[], FindingResult[]];
    expect(first.map((r) => r.decision)).toEqual(['act', 'act']);
    expect(second.map((r) => r.decision)).toEqual(['act', 'act']);
    expect(statuses(first[0], 'ec2.snapshot')).toEqual(['done', 'done']);
    expect(statuses(second[0], 'ec2.snapshot')).toEqual(['already', 'already']);
    expect(statuses(first[0], 'ec2.isolate')).toEqual(['done', 'done']);
    expect(statuses(second[0], 'ec2.isolate')).toEqual(['already', 'already']);
    expect(statuses(first[0], 'ec2.protect')).toEqual(['done']);
    expect(statuses(second[0], 'ec2.protect')).toEqual(['already']);
    // The instance profile went with the first; the second still checks the role's revocation (from the audit trail).
    expect(statuses(first[0], 'ec2.remove-instance-profile')).toEqual(['done', 'done']);
    expect(statuses(second[0], 'ec2.remove-instance-profile')).toEqual(['already', 'already']);
    const blockA = statuses(a[1], 'network.block-ip');
    const blockB = statuses(b[1], 'network.block-ip');
    expect([blockA, blockB].sort()).toEqual([['already'], ['done']]);
    for (const r of [...a, ...b]) expect(r.actions.filter((x) => x.status === 'failed')).toEqual([]);

    // Assess: the audit trail holds each change once, with the interfaces' original groups as prior state
    const records = await new DynamoDbAuditStore(ddb, table).forFinding(String(crypto.id));
    expect(records.filter((r) => r.action === 'ec2.snapshot' && r.status === 'done')).toHaveLength(2);
    const isolations = records.filter((r) => r.action === 'ec2.isolate' && r.status === 'done');
    expect(Object.fromEntries(isolations.map((r) => [r.resource, (r.prior?.groupIds as string[]).slice().sort()]))).toEqual(before);
    expect(new Set(records.map((r) => r.by))).toEqual(new Set(['lambda-env-a', 'lambda-env-b']));
    const { iam } = await memberClients(local, world, account, region);
    expect(await revocationStatements(iam, 'web-instance-role')).toHaveLength(1);
    // Every lease was given back: no lease item has an owner (a resource's item stays, tracing the finding written under it).
    const items = (await ddb.send(new ScanCommand({ TableName: table }))).Items ?? [];
    const leases = items.filter((i) => i.pk?.S?.startsWith('lease#'));
    expect(leases.filter((i) => i.leaseOwner !== undefined)).toEqual([]);
    expect(leases.filter((i) => i.findings !== undefined).map((i) => i.findings?.SS)).toContainEqual([String(crypto.id)]);
  });

  it('two instances in one subnet attacked from one address, handled at once in two environments: one deny rule per direction', async () => {
    // Prepare
    const { web1, other } = await besideWeb1('web-3');
    const onWeb1 = publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', {
      accountId: account,
      region,
      instance: web1.target,
      resourceRole: 'TARGET',
      remoteIp: '198.51.100.60',
    });
    const onOther = publish(local, 'UnauthorizedAccess:EC2/RDPBruteForce', {
      accountId: account,
      region,
      instance: other,
      resourceRole: 'TARGET',
      remoteIp: '198.51.100.60',
      severity: 5,
    });
    // The ACL as the environments will find it (earlier tests of this file may have added rules to it): the address is
    // not denied yet, and each direction's deny goes to its lowest free rule number.
    const entriesBefore = await aclEntries(web1.target.subnetId);
    expect(await denies(web1.target.subnetId, '198.51.100.60/32')).toEqual([]);
    const nextFree = (egress: boolean): number => {
      const used = new Set(entriesBefore.filter((e) => e.Egress === egress).map((e) => e.RuleNumber));
      let n = 1;
      while (used.has(n)) n += 1;
      return n;
    };

    // Act
    const [a, b] = await Promise.all([deliver(environment('lambda-env-c'), [onWeb1]), deliver(environment('lambda-env-d'), [onOther])]);

    // Assess: one rule per direction, at the number that was free, and nothing else in the ACL changed
    const rules = await denies(web1.target.subnetId, '198.51.100.60/32');
    expect(rules.sort((x, y) => Number(x.egress) - Number(y.egress))).toEqual([
      { egress: false, ruleNumber: nextFree(false) },
      { egress: true, ruleNumber: nextFree(true) },
    ]);
    const results = [a[0], b[0]];
    expect(results.map((r) => statuses(r, 'network.block-ip')).sort()).toEqual([['already'], ['done']]);
    const done = results.find((r) => statuses(r, 'network.block-ip')[0] === 'done');
    expect(done?.actions.find((x) => x.action === 'network.block-ip')?.detail).toContain(
      `inbound #${nextFree(false)}, outbound #${nextFree(true)}`,
    );
    const entriesAfter = await aclEntries(web1.target.subnetId);
    expect(entriesAfter).toHaveLength(entriesBefore.length + 2);
    expect(entriesAfter).toEqual(expect.arrayContaining(entriesBefore));
    const keys = entriesAfter.map((e) => `${e.Egress}:${e.RuleNumber}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('two instances in one subnet attacked from two addresses, at once in two environments: both denied, at different rule numbers, with no lease on the ACL', async () => {
    // Prepare
    const { web1, other } = await besideWeb1('web-4');
    const attack = (instance: typeof other, remoteIp: string) =>
      publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', { accountId: account, region, instance, resourceRole: 'TARGET', remoteIp });
    const onWeb1 = attack(web1.target, '198.51.100.71');
    const onOther = attack(other, '198.51.100.72');

    // Act
    const [a, b] = await Promise.all([deliver(environment('lambda-env-g'), [onWeb1]), deliver(environment('lambda-env-h'), [onOther])]);

    // Assess: each address denied both ways, as each finding's record says, and no rule number used twice
    const first = await denies(web1.target.subnetId, '198.51.100.71/32');
    const second = await denies(web1.target.subnetId, '198.51.100.72/32');
    expect(first.map((r) => r.egress).sort()).toEqual([false, true]);
    expect(second.map((r) => r.egress).sort()).toEqual([false, true]);
    expect([statuses(a[0], 'network.block-ip'), statuses(b[0], 'network.block-ip')]).toEqual([['done'], ['done']]);
    const recorded = (r: FindingResult | undefined) => r?.actions.find((x) => x.action === 'network.block-ip')?.detail ?? '';
    for (const [result, rules] of [
      [a[0], first],
      [b[0], second],
    ] as const)
      expect(recorded(result)).toContain(
        [...rules]
          .sort((x, y) => Number(x.egress) - Number(y.egress))
          .map((r) => `${r.egress ? 'outbound' : 'inbound'} #${r.ruleNumber}`)
          .join(', '),
      );
    const acl = (
      await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [web1.target.subnetId] }] }))
    ).NetworkAcls?.[0];
    const keys = (acl?.Entries ?? []).map((e) => `${e.Egress}:${e.RuleNumber}`);
    expect(new Set(keys).size).toBe(keys.length);
    const leases = await ddb.send(new ScanCommand({ TableName: table }));
    expect((leases.Items ?? []).filter((i) => i.pk?.S?.includes('network-acl'))).toEqual([]);
  });

  it('takes snapshots once even when DescribeSnapshots does not list them yet: the same finding twice in one batch, then in another environment', async () => {
    // Prepare: DescribeSnapshots lists nothing, so only the audit trail can tell that a snapshot was taken
    const { other: box } = await besideWeb1('lagging');
    const finding = publish(local, 'Trojan:EC2/DNSDataExfiltration', { accountId: account, region, instance: box });
    const { proxy, trailQueries, stop } = await snapshotsUnlisted();
    let first: FindingResult[];
    let again: FindingResult[];
    try {
      // Act
      first = await deliver(environment('lambda-env-g'), [finding, finding]);
      again = await deliver(environment('lambda-env-h'), [finding]);
    } finally {
      await stop();
    }

    // Assess: no delivery looked in EC2 (the first's lease said the finding had no history; the duplicates knew the
    // first's records, from its run and from the lease's item), and still one snapshot per volume
    expect(proxy.calls().filter((c) => c.operation === 'DescribeSnapshots')).toEqual([]);
    expect(proxy.calls().filter((c) => c.operation === 'CreateSnapshots')).toHaveLength(1);
    const snapshots =
      (
        await ec2.send(
          new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:cordon:finding-id', Values: [String(finding.id)] }] }),
        )
      ).Snapshots ?? [];
    expect(snapshots).toHaveLength(2);
    expect(statuses(first[0], 'ec2.snapshot')).toEqual(['done', 'done']);
    expect(statuses(first[1], 'ec2.snapshot')).toEqual(['already', 'already']);
    expect(statuses(again[0], 'ec2.snapshot')).toEqual(['already', 'already']);
    // The duplicates found the instance tagged and isolated by the first.
    expect(statuses(first[1], 'ec2.protect')).toEqual(['already']);
    expect(statuses(again[0], 'ec2.protect')).toEqual(['already']);
    expect(statuses(again[0], 'ec2.isolate')).toEqual(['already']);
    // …the duplicate in the batch knew the first's history from its run, the other environment from the lease's item
    expect(trailQueries()).toBe(0);
  });

  /** Snapshots of `instanceId`'s volumes tagged with `findingId`, as someone other than this cordon run takes them. */
  const snapshotsTaggedWith = async (instanceId: string, findingId: string, volumes: 'root' | 'all'): Promise<string[]> => {
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = described.Reservations?.[0]?.Instances?.[0];
    const mappings = (instance?.BlockDeviceMappings ?? []).filter((m) => volumes === 'all' || m.DeviceName === instance?.RootDeviceName);
    const ids: string[] = [];
    for (const m of mappings) {
      const out = await ec2.send(
        new CreateSnapshotCommand({
          VolumeId: m.Ebs?.VolumeId as string,
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'cordon:finding-id', Value: findingId }] }],
        }),
      );
      ids.push(out.SnapshotId as string);
    }
    return ids;
  };
  const findingSnapshots = async (findingId: string) =>
    (
      (
        await ec2.send(
          new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:cordon:finding-id', Values: [findingId] }] }),
        )
      ).Snapshots ?? []
    ).map((x) => x.SnapshotId as string);

  it("a first delivery under a clean lease asks EC2 for no snapshot: one someone else tagged with the finding's id beforehand is not taken for cordon's evidence", async () => {
    // Prepare: a snapshot of the instance's root volume, tagged with the finding's id before cordon ever saw it
    const { other: box } = await besideWeb1('planted');
    const finding = publish(local, 'Backdoor:EC2/C&CActivity.B', { accountId: account, region, instance: box });
    const planted = await snapshotsTaggedWith(box.instanceId, String(finding.id), 'root');
    const proxy = await startFaultyEndpoint({ target: local.endpoint, motoEndpoint: local.motoEndpoint });
    process.env.AWS_ENDPOINT_URL_EC2 = proxy.endpoint;
    let result: FindingResult[];
    try {
      // Act
      result = await deliver(environment('lambda-env-p'), [finding]);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_EC2;
      await proxy.stop();
    }

    // Assess: both volumes snapshotted by cordon in one set, the planted snapshot neither looked for nor reused
    expect(proxy.calls().filter((c) => c.operation === 'DescribeSnapshots')).toEqual([]);
    expect(statuses(result[0], 'ec2.snapshot')).toEqual(['done', 'done']);
    const recorded = (result[0]?.actions ?? []).filter((a) => a.action === 'ec2.snapshot').map((a) => a.detail);
    for (const id of planted) expect(recorded.join(' ')).not.toContain(id);
    expect(await findingSnapshots(String(finding.id))).toHaveLength(planted.length + 2);
  });

  it('a delivery that takes over a lease its holder never gave back looks in EC2 for the snapshots that holder took without recording them, and takes none again', async () => {
    // Prepare: a holder took the instance's lease, snapshotted both volumes and stopped before writing its records
    // (its lease expired unreturned)
    const { other: box } = await besideWeb1('crashed');
    const finding = publish(local, 'Trojan:EC2/BlackholeTraffic', { accountId: account, region, instance: box });
    const unrecorded = await snapshotsTaggedWith(box.instanceId, String(finding.id), 'all');
    await ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: `lease#${account}|${region}|${box.instanceId}` },
          sk: { S: 'lease' },
          leaseOwner: { S: 'lambda-env-stopped' },
          leaseExpiresAtMs: { N: String(Date.now() - 1000) },
        },
      }),
    );

    // Act
    const [result] = await deliver(environment('lambda-env-q'), [finding]);

    // Assess: the stopped holder's snapshots are the evidence; no snapshot was taken twice
    expect(statuses(result, 'ec2.snapshot')).toEqual(['already', 'already']);
    const details = (result?.actions ?? []).filter((a) => a.action === 'ec2.snapshot').map((a) => a.detail);
    expect(details.map((d) => /snap-[0-9a-f]+/.exec(d)?.[0]).sort()).toEqual([...unrecorded].sort());
    expect((await findingSnapshots(String(finding.id))).sort()).toEqual([...unrecorded].sort());
  });

  it("one finding delivered to two environments at once, once re-published with a higher count: the delivery that waited reports the other's run, without reading or changing the instance again", async () => {
    // Prepare: a compromised instance; the first delivery, and the finding re-published (same inputs, higher count)
    const { other: box } = await besideWeb1('raced');
    const finding = publish(local, 'Backdoor:EC2/C&CActivity.B', { accountId: account, region, instance: box });
    const republished = publish(local, 'Backdoor:EC2/C&CActivity.B', { accountId: account, region, instance: box, count: 7 });
    expect(republished.id).toBe(finding.id);
    const proxy = await startFaultyEndpoint({ target: local.endpoint, motoEndpoint: local.motoEndpoint });
    process.env.AWS_ENDPOINT_URL_EC2 = proxy.endpoint;
    let results: FindingResult[][];
    try {
      // Act
      results = await Promise.all([deliver(environment('lambda-env-r'), [finding]), deliver(environment('lambda-env-s'), [republished])]);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_EC2;
      await proxy.stop();
    }

    // Assess: one run made the changes; the other reported it, every action already in place
    const [acted, reported] = results[0]?.[0]?.actions.some((a) => a.status === 'done')
      ? [results[0], results[1]]
      : [results[1], results[0]];
    expect(statuses(acted?.[0], 'ec2.isolate')).toEqual(['done']);
    expect(reported?.[0]?.actions.map((a) => a.status).every((st) => st === 'already' || st === 'skipped')).toBe(true);
    expect(reported?.[0]?.actions.map((a) => [a.action, a.resource])).toEqual(acted?.[0]?.actions.map((a) => [a.action, a.resource]));
    for (const a of reported?.[0]?.actions ?? []) expect(a.detail).toMatch(/after this one arrived: not made again\)$/);
    // …with what stays open, so Security Hub gets the same status
    expect(reported?.[0]?.remains).toEqual(acted?.[0]?.remains);
    expect(reported?.[0]?.remains?.length).toBeGreaterThan(0);
    expect(reported?.[0]?.securityHub.detail).toBe(acted?.[0]?.securityHub.detail);
    // …so the instance was read and changed by one run only: three attribute reads, one snapshot set, one move pair
    const ops = proxy.calls().map((c) => c.operation);
    expect(ops.filter((op) => op === 'DescribeInstanceAttribute')).toHaveLength(3);
    expect(ops.filter((op) => op === 'CreateSnapshots')).toHaveLength(1);
    expect(ops.filter((op) => op === 'ModifyNetworkInterfaceAttribute')).toHaveLength(2);
    const quarantine = await groupId(box.vpcId, 'cordon-quarantine');
    expect(Object.values(await interfaceGroups(ec2, box.instanceId))).toEqual([[quarantine]]);
  });

  it('a later delivery that runs again finds the instance profile removed and takes the role and its id from the history: no IAM read of the role, the revocation already in place', async () => {
    // Prepare: a compromised instance with the instance profile, contained once; the finding re-published naming an
    // address (new inputs: it runs and checks AWS)
    const { other: box } = await besideWeb1('profiled', { instanceProfileName: 'web-instance-profile' });
    const finding = publish(local, 'Backdoor:EC2/C&CActivity.B', { accountId: account, region, instance: box });
    const republished = publish(local, 'Backdoor:EC2/C&CActivity.B', {
      accountId: account,
      region,
      instance: box,
      remoteIp: '198.51.100.77',
      count: 3,
    });
    const first = await deliver(environment('lambda-env-v'), [finding]);
    const proxy = await startFaultyEndpoint({ target: local.endpoint, motoEndpoint: local.motoEndpoint });
    process.env.AWS_ENDPOINT_URL_IAM = proxy.endpoint;
    let again: FindingResult[];
    try {
      // Act
      again = await deliver(environment('lambda-env-w'), [republished]);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_IAM;
      await proxy.stop();
    }

    // Assess
    expect(statuses(first[0], 'ec2.remove-instance-profile')).toEqual(['done', 'done']);
    expect(statuses(again[0], 'ec2.remove-instance-profile')).toEqual(['already', 'already']);
    expect(again[0]?.actions.some((a) => /after this one arrived|before this one arrived/.test(a.detail))).toBe(false);
    const iamOps = proxy.calls().map((c) => c.operation);
    expect(iamOps).not.toContain('GetRole');
    expect(iamOps).not.toContain('GetInstanceProfile');
  });

  it('one brute force delivered to two environments at once, re-published naming a second attacker: both addresses are denied (new inputs are never taken for the same run)', async () => {
    // Prepare: an SSH brute force from one address, and the finding re-published from another
    const { other: box } = await besideWeb1('brute-twice');
    const target = { accountId: account, region, instance: box, resourceRole: 'TARGET' as const };
    const first = publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', { ...target, remoteIp: '198.51.100.61' });
    const second = publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', { ...target, remoteIp: '198.51.100.62', count: 5 });
    expect(second.id).toBe(first.id);

    // Act
    const [a, b] = await Promise.all([deliver(environment('lambda-env-t'), [first]), deliver(environment('lambda-env-u'), [second])]);

    // Assess: each delivery denied its own address, in both directions
    expect(a[0]?.actions.some((x) => /after this one arrived/.test(x.detail))).toBe(false);
    expect(b[0]?.actions.some((x) => /after this one arrived/.test(x.detail))).toBe(false);
    expect(await denies(box.subnetId, '198.51.100.61/32')).toHaveLength(2);
    expect(await denies(box.subnetId, '198.51.100.62/32')).toHaveLength(2);
  });

  it('a finding delivered again reads its history with its lease (no query of the trail) and still finds its snapshots; after a release the trail is read and the release stands', async () => {
    // Prepare: a finding contained in one environment; DescribeSnapshots lists nothing (eventually consistent), so only
    // the finding's history can say that its snapshots were taken; DynamoDB behind a proxy that counts its calls
    const { other: box } = await besideWeb1('carried');
    const finding = publish(local, 'Trojan:EC2/BlackholeTraffic', { accountId: account, region, instance: box });
    // Re-published naming an address: new inputs, so it runs and checks (it does not report the first run)
    const republished = publish(local, 'Trojan:EC2/BlackholeTraffic', {
      accountId: account,
      region,
      instance: box,
      remoteIp: '198.51.100.90',
      count: 2,
    });
    expect(republished.id).toBe(finding.id);
    const first = await deliver(environment('lambda-env-i'), [finding]);
    const { trailQueries: queries, stop } = await snapshotsUnlisted();
    let again: FindingResult[];
    let queriesAgain: number;
    let released: Awaited<ReturnType<typeof runCli>>;
    let afterRelease: FindingResult[];
    let queriesAfterRelease: number;
    try {
      // Act: re-published to another environment; released by an analyst; delivered again in a third
      again = await deliver(environment('lambda-env-j'), [republished]);
      queriesAgain = queries();
      released = await runCli(['release', '--finding', String(finding.id), '--json'], { CORDON_AUDIT_TABLE: table });
      const beforeThird = queries();
      afterRelease = await deliver(environment('lambda-env-k'), [finding]);
      queriesAfterRelease = queries() - beforeThird;
    } finally {
      await stop();
    }

    // Assess: the second delivery knew the snapshots from the history its lease's item carried, without a query
    expect(statuses(first[0], 'ec2.snapshot')).toEqual(['done', 'done']);
    expect(statuses(again[0], 'ec2.snapshot')).toEqual(['already', 'already']);
    expect(again[0]?.actions.find((a) => a.action === 'ec2.snapshot')?.detail).toMatch(
      /^snapshot snap-[0-9a-f]+ already taken for this finding$/,
    );
    expect(statuses(again[0], 'ec2.isolate')).toEqual(['already']);
    expect(queriesAgain).toBe(0);
    // …the release's give-back dropped the carried history: the third delivery read the trail, and the release stands
    expect(released.code).toBe(0);
    expect(queriesAfterRelease).toBeGreaterThan(0);
    expect(afterRelease[0]).toMatchObject({ decision: 'skip', actions: [] });
    expect(String(afterRelease[0]?.reason)).toMatch(/^released by .* not contained again automatically/);
  });

  it("the lease's item carries exactly the records the trail holds: a finding whose records could not be written is not carried as if they were", async () => {
    // Prepare: two findings about one instance in one batch; the first one's audit write fails (DynamoDB refused it)
    const { other: box } = await besideWeb1('unwritten');
    const one = publish(local, 'Trojan:EC2/BlackholeTraffic', { accountId: account, region, instance: box });
    const two = publish(local, 'Backdoor:EC2/C&CActivity.B', { accountId: account, region, instance: box });
    const responder = environment('lambda-env-l');
    const store = responder.deps.audit;
    let refused = 0;
    const audit = Object.assign(Object.create(store) as typeof store, {
      append: async (records: Parameters<typeof store.append>[0]) => {
        // The first finding's own records (its run under the lease): refused once
        if (refused === 0 && records.some((r) => r.findingId === String(one.id) && r.action === 'ec2.isolate')) {
          refused += 1;
          throw Object.assign(new Error('Throughput exceeds the current capacity of your table'), {
            name: 'ProvisionedThroughputExceededException',
          });
        }
        return store.append(records);
      },
    });

    // Act
    const [first, second] = await respond(parseInput([one, two].map((f) => JSON.stringify(guardDutyEvent(f))).join('\n')), {
      ...responder.deps,
      audit,
    });

    // Assess: the first says its records are missing, the second is written; the item carries the second's history
    // exactly as the trail holds it, and none for the first
    expect(refused).toBe(1);
    expect(first?.actions.find((a) => a.action === 'audit')).toMatchObject({ status: 'failed' });
    expect(statuses(second, 'ec2.isolate')).toEqual(['already']);
    const item = await ddb.send(
      new GetItemCommand({
        TableName: table,
        ConsistentRead: true,
        Key: { pk: { S: `lease#${account}|${region}|${box.instanceId}` }, sk: { S: 'lease' } },
      }),
    );
    const carried = (id: unknown) => item.Item?.[`h#${String(id)}`]?.S;
    // …the first's records were written afterwards, outside the lease (the responder records what its run could not):
    // the item does not carry them, so the next delivery reads them from the trail
    expect((await store.forFinding(String(one.id))).length).toBeGreaterThan(0);
    expect(carried(one.id)).toBeUndefined();
    const trail = await store.forFinding(String(two.id));
    expect(trail.length).toBeGreaterThan(0);
    expect(JSON.parse(carried(two.id) ?? '[]')).toEqual(trail);
  });

  it('two instances of one VPC isolated at once in two environments: one quarantine group and one allow-all group', async () => {
    // Prepare: a VPC cordon has not isolated anything in yet
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc?.VpcId as string;
    const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.1.1.0/24', AvailabilityZone: `${region}a` })))
      .Subnet?.SubnetId as string;
    const [defaultGroup] =
      (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).SecurityGroups ?? [];
    const [one, two] = [
      await launchAwsLikeInstance(ec2, { vpcId, subnetId, groupIds: [defaultGroup?.GroupId as string], name: 'batch-1' }),
      await launchAwsLikeInstance(ec2, { vpcId, subnetId, groupIds: [defaultGroup?.GroupId as string], name: 'batch-2' }),
    ];
    const findings = [one, two].map((instance) =>
      publish(local, 'Backdoor:EC2/C&CActivity.B!DNS', { accountId: account, region, instance }),
    );

    // Act
    const [a, b] = await Promise.all([
      deliver(environment('lambda-env-e'), [findings[0] as Record<string, unknown>]),
      deliver(environment('lambda-env-f'), [findings[1] as Record<string, unknown>]),
    ]);

    // Assess
    const named = async (name: string) =>
      (
        await ec2.send(
          new DescribeSecurityGroupsCommand({
            Filters: [
              { Name: 'vpc-id', Values: [vpcId] },
              { Name: 'group-name', Values: [name] },
            ],
          }),
        )
      ).SecurityGroups ?? [];
    const quarantine = await named('cordon-quarantine');
    expect(quarantine).toHaveLength(1);
    expect(await named('cordon-untrack')).toHaveLength(1);
    expect(quarantine[0]).toMatchObject({ IpPermissions: [], IpPermissionsEgress: [] });
    for (const instance of [one, two])
      expect(Object.values(await interfaceGroups(ec2, instance.instanceId))).toEqual([[quarantine[0]?.GroupId]]);
    expect([...statuses(a[0], 'ec2.isolate'), ...statuses(b[0], 'ec2.isolate')]).toEqual(['done', 'done']);
  });

  it('two environments with the same two resources in opposite orders never wait on each other: a resource queued for its turn holds no lease', async () => {
    // Prepare: one slot per environment (concurrency 1); each environment's take of its own first resource's lease is
    // slowed, so that each would win the other's first resource if leases were taken for queued resources too
    const [one, two] = [instanceOf(world, account, region, 'web-1').target, instanceOf(world, account, region, 'web-2').target];
    const about = (instance: typeof one, ip: string) =>
      publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', {
        accountId: account,
        region,
        instance,
        resourceRole: 'TARGET',
        remoteIp: ip,
      });
    const [f1, f2] = [about(one, '198.51.100.61'), about(two, '198.51.100.62')];
    const slowFirstTake = (responder: Responder, slowKey: string): Responder['deps'] => {
      const store = responder.deps.audit;
      let slowed = false;
      const audit = Object.assign(Object.create(store) as typeof store, {
        tryLease: async (...args: Parameters<typeof store.tryLease>) => {
          if (args[0] === slowKey && !slowed) {
            slowed = true;
            await new Promise((resolve) => setTimeout(resolve, 1_500));
          }
          return store.tryLease(...args);
        },
      });
      return { ...responder.deps, audit, concurrency: 1, leases: { ...responder.deps.leases, waitMs: 10_000 } };
    };
    const key = (instance: typeof one) => `${account}|${region}|${instance.instanceId}`;
    const a = slowFirstTake(environment('lambda-a'), key(one));
    const b = slowFirstTake(environment('lambda-b'), key(two));
    const events = (findings: ReadonlyArray<Record<string, unknown>>) =>
      parseInput(findings.map((f) => JSON.stringify(guardDutyEvent(f))).join('\n'));

    // Act: A has [web-1, web-2], B [web-2, web-1], at the same moment
    const started = Date.now();
    const [ra, rb] = await Promise.all([respond(events([f1, f2]), a), respond(events([f2, f1]), b)]);

    // Assess: every finding acted on (none failed waiting for a lease), well within one lease wait
    for (const r of [...ra, ...rb]) expect(r.actions.filter((x) => x.status === 'failed')).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 60_000);
});
