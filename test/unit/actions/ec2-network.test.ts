import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  type Instance,
  type NetworkAclEntry,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { isolateInstance } from '../../../src/actions/ec2/isolate-instance';
import { blockIp } from '../../../src/actions/network/block-ip';
import type { ActionContext, UndoContext } from '../../../src/actions/types';
import { NO_SUBJECT, type Finding } from '../../../src/findings/finding';

const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const mock = mockClient(ec2);

const instance: Instance = {
  InstanceId: 'i-1',
  VpcId: 'vpc-1',
  NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', SubnetId: 'subnet-1' }],
};
const finding = {
  id: 'f1',
  arn: 'arn',
  accountId: '111122223333',
  region: 'us-east-1',
  partition: 'aws',
  type: 'UnauthorizedAccess:EC2/SSHBruteForce',
  severity: 2,
  title: '',
  count: 1,
  archived: false,
  sample: false,
  updatedAt: undefined,
  lastSeenAt: undefined,
  detectorId: undefined,
  resourceRole: 'TARGET',
  resourceType: 'Instance',
  ...NO_SUBJECT,
  resources: [],
  sequence: undefined,
  instance: { instanceId: 'i-1', networkInterfaces: [], tags: {} },
  accessKey: undefined,
  buckets: [],
  remoteIps: [{ ip: '203.0.113.9', direction: 'INBOUND' }],
  origin: { kind: 'guardduty' },
} as Finding;

const ctx = (dryRun = false): ActionContext => ({
  finding,
  dryRun,
  now: new Date('2026-11-24T10:00:00Z'),
  responderRoleName: 'cordon-responder',
  member: <C>() => ec2 as unknown as C,
  home: <C>() => ec2 as unknown as C,
  instance: async () => instance,
  ownedBuckets: async () => new Map(),
  archive: async () => undefined,
  exclusive: (_scope, work) => work(),
  exclusivePrincipal: (_principal, work) => work(),
  evidence: async () => undefined,
  evidenceRequested: () => undefined,
  lookup: (_key, read) => read(),
  history: async () => [],
});

describe('ec2.isolate as AWS reports interfaces', () => {
  beforeEach(() => mock.reset());

  it('says "already" and changes nothing when every interface has only the quarantine group', async () => {
    // Prepare: AWS reports an interface's own groups (moto unions them with the instance's).
    const isolated: Instance = {
      ...instance,
      NetworkInterfaces: [
        { NetworkInterfaceId: 'eni-1', SubnetId: 'subnet-1', Groups: [{ GroupId: 'sg-q', GroupName: 'cordon-quarantine' }] },
      ],
    };
    mock.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [{ GroupId: 'sg-q', GroupName: 'cordon-quarantine', VpcId: 'vpc-1', IpPermissions: [], IpPermissionsEgress: [] }],
    });

    // Act
    const outcomes = await isolateInstance.run({ ...ctx(), instance: async () => isolated }, { cutTrackedConnections: true });

    // Assess
    expect(outcomes).toEqual([expect.objectContaining({ resource: 'eni-1', status: 'already' })]);
    // The interfaces are the instance's description: no DescribeNetworkInterfaces without a trunk interface.
    expect(mock.commandCalls(DescribeNetworkInterfacesCommand)).toHaveLength(0);
    expect(mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
  });
});

describe('network.block-ip rule management', () => {
  beforeEach(() => mock.reset());

  it('fails clearly, changing nothing, when the ACL is at its rule quota', async () => {
    const entries = Array.from({ length: 20 }, (_, i) => ({
      RuleNumber: 100 + i,
      Egress: false,
      RuleAction: 'allow' as const,
      CidrBlock: `10.0.${i}.0/24`,
    }));
    mock.on(DescribeNetworkAclsCommand).resolves({
      NetworkAcls: [
        {
          NetworkAclId: 'acl-1',
          Entries: [...entries, { RuleNumber: 32767, Egress: false, RuleAction: 'deny' as const, CidrBlock: '0.0.0.0/0' }],
        },
      ],
    });

    const outcomes = await blockIp.run(ctx(), { firstRuleNumber: 1, lastRuleNumber: 99, maxRulesPerDirection: 20, includeOutbound: false });

    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'failed', detail: expect.stringContaining('already holds 20 inbound IPv4 rules (quota 20)') }),
    ]);
  });

  it('takes the lowest free numbers in its range and plans them in a dry run', async () => {
    mock.on(DescribeNetworkAclsCommand).resolves({
      NetworkAcls: [
        {
          NetworkAclId: 'acl-1',
          IsDefault: true,
          Entries: [
            { RuleNumber: 1, Egress: false, RuleAction: 'deny', CidrBlock: '198.51.100.1/32' },
            { RuleNumber: 100, Egress: true, RuleAction: 'allow', CidrBlock: '0.0.0.0/0' },
          ],
        },
      ],
    });

    const outcomes = await blockIp.run(ctx(true), {
      firstRuleNumber: 1,
      lastRuleNumber: 99,
      maxRulesPerDirection: 20,
      includeOutbound: false,
    });

    expect(outcomes).toEqual([
      expect.objectContaining({
        status: 'planned',
        resource: 'acl-1:203.0.113.9/32',
        detail: 'would deny 203.0.113.9/32 in acl-1 as inbound #2, outbound #1 (the VPC default ACL: every subnet using it is affected)',
      }),
    ]);
  });
});

describe('network.block-ip against what the ACL already holds', () => {
  beforeEach(() => mock.reset());

  it('puts the deny before an allow rule that matches the address, or fails saying why', async () => {
    // Prepare: a custom ACL that allows the world at #5 (inbound) and #50 (outbound)
    const entries = [
      { RuleNumber: 5, Egress: false, RuleAction: 'allow' as const, Protocol: '-1', CidrBlock: '0.0.0.0/0' },
      { RuleNumber: 50, Egress: true, RuleAction: 'allow' as const, Protocol: '-1', CidrBlock: '0.0.0.0/0' },
    ];
    mock.on(DescribeNetworkAclsCommand).resolves({ NetworkAcls: [{ NetworkAclId: 'acl-1', Entries: entries }] });
    // Act
    const planned = await blockIp.run(ctx(true), {
      firstRuleNumber: 1,
      lastRuleNumber: 99,
      maxRulesPerDirection: 20,
      includeOutbound: false,
    });
    const blocked = await blockIp.run(ctx(true), {
      firstRuleNumber: 10,
      lastRuleNumber: 99,
      maxRulesPerDirection: 20,
      includeOutbound: false,
    });
    // Assess: below #5 inbound; with a range starting at 10 there is no effective number
    expect(planned).toEqual([
      expect.objectContaining({ status: 'planned', detail: expect.stringContaining('as inbound #1, outbound #1') }),
    ]);
    expect(blocked).toEqual([
      expect.objectContaining({
        status: 'failed',
        detail: expect.stringContaining('below its allow rule #5, which matches 203.0.113.9/32: a deny after it would have no effect'),
      }),
    ]);
  });

  it('adds both rules or neither: when the outbound rule fails, the inbound one is deleted again', async () => {
    // Prepare
    mock.on(DescribeNetworkAclsCommand).resolves({ NetworkAcls: [{ NetworkAclId: 'acl-1', Entries: [] }] });
    mock.on(CreateNetworkAclEntryCommand, { Egress: false }).resolves({});
    mock
      .on(CreateNetworkAclEntryCommand, { Egress: true })
      .rejects(Object.assign(new Error('Rule limit reached'), { name: 'NetworkAclEntryLimitExceeded' }));
    const scopes: string[] = [];
    // Act
    const outcomes = await blockIp.run(
      { ...ctx(), exclusive: (scope, work) => (scopes.push(scope), work()) },
      { firstRuleNumber: 1, lastRuleNumber: 99, maxRulesPerDirection: 20, includeOutbound: false },
    );
    // Assess: failed, nothing left behind; no lease (EC2 refuses a taken rule number itself)
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'failed', detail: expect.stringContaining('the rule already added was deleted again') }),
    ]);
    expect(mock.commandCalls(DeleteNetworkAclEntryCommand).map((c) => c.args[0].input)).toEqual([
      { NetworkAclId: 'acl-1', RuleNumber: 1, Egress: false },
    ]);
    expect(scopes).toEqual([]);
  });

  const taken = (n: number) =>
    Object.assign(new Error(`The network acl entry identified by ${n} already exists.`), { name: 'NetworkAclEntryAlreadyExists' });
  const p = { firstRuleNumber: 1, lastRuleNumber: 99, maxRulesPerDirection: 20, includeOutbound: false };

  it('takes the next free number when another writer took the one it chose (EC2 refuses it), reading the ACL again', async () => {
    // Prepare: the first read shows an empty ACL; meanwhile another finding denied 198.51.100.7 as #1 both ways
    const other: NetworkAclEntry[] = [
      { RuleNumber: 1, Egress: false, RuleAction: 'deny', Protocol: '-1', CidrBlock: '198.51.100.7/32' },
      { RuleNumber: 1, Egress: true, RuleAction: 'deny', Protocol: '-1', CidrBlock: '198.51.100.7/32' },
    ];
    mock
      .on(DescribeNetworkAclsCommand)
      .resolvesOnce({ NetworkAcls: [{ NetworkAclId: 'acl-1', Entries: [] }] })
      .resolves({ NetworkAcls: [{ NetworkAclId: 'acl-1', Entries: other }] });
    mock.on(CreateNetworkAclEntryCommand, { RuleNumber: 1 }).rejects(taken(1));
    mock.on(CreateNetworkAclEntryCommand, { RuleNumber: 2 }).resolves({});
    // Act
    const outcomes = await blockIp.run(ctx(), p);
    // Assess: denied at #2 both ways, the ACL read once more, nothing deleted
    expect(outcomes).toEqual([
      expect.objectContaining({
        status: 'done',
        detail: 'denied 203.0.113.9/32 in acl-1 as inbound #2, outbound #2',
        prior: {
          networkAclId: 'acl-1',
          cidr: '203.0.113.9/32',
          entriesAdded: [
            { egress: false, ruleNumber: 2 },
            { egress: true, ruleNumber: 2 },
          ],
        },
      }),
    ]);
    expect(mock.commandCalls(DescribeNetworkAclsCommand)).toHaveLength(2);
    expect(mock.commandCalls(DeleteNetworkAclEntryCommand)).toHaveLength(0);
  });

  it('says "already" when the writer that took its number denied the same address; keeps what it added when only one direction was taken', async () => {
    // Prepare: another finding denied 203.0.113.9 inbound as #1 while this one was adding it
    const before = { NetworkAcls: [{ NetworkAclId: 'acl-1', Entries: [] }] };
    const inbound: NetworkAclEntry = { RuleNumber: 1, Egress: false, RuleAction: 'deny', Protocol: '-1', CidrBlock: '203.0.113.9/32' };
    const outbound: NetworkAclEntry = { ...inbound, Egress: true };
    mock
      .on(DescribeNetworkAclsCommand)
      .resolvesOnce(before)
      .resolves({ NetworkAcls: [{ NetworkAclId: 'acl-1', Entries: [inbound, outbound] }] });
    mock.on(CreateNetworkAclEntryCommand).rejects(taken(1));
    // Act: both ways taken by the other writer
    const both = await blockIp.run(ctx(), p);
    // Prepare: this time the other writer denied it inbound only, and another address outbound as #1
    mock.reset();
    mock
      .on(DescribeNetworkAclsCommand)
      .resolvesOnce(before)
      .resolves({ NetworkAcls: [{ NetworkAclId: 'acl-1', Entries: [inbound, { ...outbound, CidrBlock: '198.51.100.7/32' }] }] });
    mock.on(CreateNetworkAclEntryCommand, { Egress: false }).rejects(taken(1));
    mock.on(CreateNetworkAclEntryCommand, { Egress: true, RuleNumber: 2 }).resolves({});
    mock.on(CreateNetworkAclEntryCommand, { Egress: true, RuleNumber: 1 }).rejects(taken(1));
    const one = await blockIp.run(ctx(), p);
    // …a one-way deny that stays one-way (not another writer halfway) is waited for a few reads, then completed
    const reads = mock.commandCalls(DescribeNetworkAclsCommand).length;
    // Assess
    expect(both).toEqual([expect.objectContaining({ status: 'already', detail: '203.0.113.9/32 already denied both ways in acl-1' })]);
    expect(one).toEqual([
      expect.objectContaining({
        status: 'done',
        detail: 'denied 203.0.113.9/32 in acl-1 as outbound #2',
        changed: { entriesAdded: [{ egress: true, ruleNumber: 2 }] },
      }),
    ]);
    expect(reads).toBe(7);
  });

  it('gives up, deleting what it added, when other writers keep taking its numbers', async () => {
    // Prepare: every read shows a free #1; every create is refused
    mock.on(DescribeNetworkAclsCommand).resolves({ NetworkAcls: [{ NetworkAclId: 'acl-1', Entries: [] }] });
    mock.on(CreateNetworkAclEntryCommand).rejects(taken(1));
    // Act
    const outcomes = await blockIp.run(ctx(), p);
    // Assess: one first try and 5 more, then a failure that says why
    expect(outcomes).toEqual([
      expect.objectContaining({
        status: 'failed',
        detail: 'could not deny 203.0.113.9/32 in acl-1: other writers took the rule numbers it chose 6 times',
      }),
    ]);
    expect(mock.commandCalls(CreateNetworkAclEntryCommand)).toHaveLength(6);
  });
});

describe('undo of ec2.isolate and network.block-ip as AWS reports resources', () => {
  beforeEach(() => mock.reset());
  const undoCtx = (over: { force?: boolean; dryRun?: boolean } = {}): UndoContext => ({
    dryRun: false,
    force: false,
    reactivateKeys: false,
    ...over,
    member: <C>() => ec2 as unknown as C,
    exclusivePrincipal: (_principal, work) => work(),
  });
  const record = {
    resource: 'eni-1',
    prior: { instanceId: 'i-1', networkInterfaceId: 'eni-1', groupIds: ['sg-a', 'sg-b'] },
    changed: { groupIds: ['sg-q'] },
  };
  const restore = isolateInstance.undo.kind === 'restore' ? isolateInstance.undo : undefined;
  // The entries a block of 203.0.113.9/32 added, as it records them in `prior` too.
  const entriesAdded = [
    { egress: false, ruleNumber: 1 },
    { egress: true, ruleNumber: 1 },
  ];

  it('restores the original groups when the interface has only the quarantine group', async () => {
    mock
      .on(DescribeNetworkInterfacesCommand)
      .resolves({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-q' }] }] });
    const outcomes = await restore?.run(undoCtx(), record);
    expect(outcomes).toEqual([expect.objectContaining({ status: 'done', detail: 'moved eni-1 back to [sg-a, sg-b]' })]);
    expect(mock.commandCalls(ModifyNetworkInterfaceAttributeCommand).map((c) => c.args[0].input)).toEqual([
      { NetworkInterfaceId: 'eni-1', Groups: ['sg-a', 'sg-b'] },
    ]);
  });

  it('refuses when someone added a group beside the quarantine, and restores with force', async () => {
    mock
      .on(DescribeNetworkInterfacesCommand)
      .resolves({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-q' }, { GroupId: 'sg-forensics' }] }] });
    const refused = await restore?.run(undoCtx(), record);
    expect(refused).toEqual([
      expect.objectContaining({ status: 'failed', detail: expect.stringMatching(/^refused: eni-1 is now in \[sg-q, sg-forensics\]/) }),
    ]);
    expect(mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
    const forced = await restore?.run(undoCtx({ force: true }), record);
    expect(forced).toEqual([expect.objectContaining({ status: 'done' })]);
  });

  it('says "already" when the interface is back in its groups, and plans without calling in a dry run', async () => {
    mock
      .on(DescribeNetworkInterfacesCommand)
      .resolves({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-b' }, { GroupId: 'sg-a' }] }] });
    expect(await restore?.run(undoCtx(), record)).toEqual([expect.objectContaining({ status: 'already' })]);
    mock
      .on(DescribeNetworkInterfacesCommand)
      .resolves({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-q' }] }] });
    expect(await restore?.run(undoCtx({ dryRun: true }), record)).toEqual([expect.objectContaining({ status: 'planned' })]);
    expect(mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
  });

  it("never deletes a rule that now holds someone else's entry at cordon's number, even with force", async () => {
    mock.on(DescribeNetworkAclsCommand).resolves({
      NetworkAcls: [{ NetworkAclId: 'acl-1', Entries: [{ RuleNumber: 1, Egress: false, RuleAction: 'allow', CidrBlock: '10.0.0.0/8' }] }],
    });
    const undo = blockIp.undo.kind === 'restore' ? blockIp.undo : undefined;
    const outcomes = await undo?.run(
      { ...undoCtx({ force: true }) },
      {
        resource: 'acl-1:203.0.113.9/32',
        prior: { networkAclId: 'acl-1', cidr: '203.0.113.9/32', entriesAdded },
        changed: {
          entriesAdded: [
            { egress: false, ruleNumber: 1 },
            { egress: true, ruleNumber: 1 },
          ],
        },
      },
    );
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'already', detail: expect.stringContaining("left inbound #1 (allow 10.0.0.0/8) (not cordon's)") }),
    ]);
    expect(mock.commandCalls(DeleteNetworkAclEntryCommand)).toHaveLength(0);
  });

  it("leaves a narrower deny of the same address at cordon's number (someone's tcp/22 rule), and deletes only cordon's all-traffic deny", async () => {
    // Prepare
    mock.on(DescribeNetworkAclsCommand).resolves({
      NetworkAcls: [
        {
          NetworkAclId: 'acl-1',
          Entries: [
            {
              RuleNumber: 1,
              Egress: false,
              RuleAction: 'deny',
              Protocol: '6',
              PortRange: { From: 22, To: 22 },
              CidrBlock: '203.0.113.9/32',
            },
            { RuleNumber: 1, Egress: true, RuleAction: 'deny', Protocol: '-1', CidrBlock: '203.0.113.9/32' },
          ],
        },
      ],
    });
    const undo = blockIp.undo.kind === 'restore' ? blockIp.undo : undefined;
    // Act
    const outcomes = await undo?.run(undoCtx(), {
      resource: 'acl-1:203.0.113.9/32',
      prior: { networkAclId: 'acl-1', cidr: '203.0.113.9/32', entriesAdded },
      changed: {
        entriesAdded: [
          { egress: false, ruleNumber: 1 },
          { egress: true, ruleNumber: 1 },
        ],
      },
    });
    // Assess
    expect(outcomes).toEqual([expect.objectContaining({ status: 'done' })]);
    expect(mock.commandCalls(DeleteNetworkAclEntryCommand).map((c) => c.args[0].input)).toEqual([
      { NetworkAclId: 'acl-1', RuleNumber: 1, Egress: true },
    ]);
  });
});
