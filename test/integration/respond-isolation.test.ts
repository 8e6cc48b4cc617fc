import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AllocateAddressCommand,
  AttachNetworkInterfaceCommand,
  CreateNatGatewayCommand,
  CreateTransitGatewayCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  CreateVpcEndpointCommand,
  DeleteNatGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  ModifyInstanceAttributeCommand,
  ReplaceNetworkAclAssociationCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { instanceTarget, type World, type LocalAws, type SampleTarget } from '../../local-aws';
import { interfaceGroups, launchAwsLikeInstance } from '../support/aws-like-instance';
import { runCli, type CliRun } from '../support/cli';
import { auditFile, eventsFile, hubFinding, memberClients, publish, startWorld } from '../support/world';

type Line = { action: string; resource: string; status: string; detail: string };

/**
 * Isolation against moto: what security groups cannot cut is said and, where
 * the runbook asks, cut otherwise (network ACL denies in the subnets AWS
 * tracks connections through, or a stop); evidence survives whatever runs on
 * the instance; every interface is isolated in its own VPC, EKS pods' branch
 * interfaces included. Each test builds its own VPC.
 */
describe('respond: isolation that says what it did not cut', () => {
  let local: LocalAws;
  let world: World;
  let account: string;
  let ec2: EC2Client;
  const region = 'us-east-1';

  beforeAll(async () => {
    ({ local, world } = await startWorld({ memberCount: 1, regions: [region] }));
    account = world.memberAccountIds[0] as string;
    ec2 = (await memberClients(local, world, account, region)).ec2;
  }, 120_000);
  afterAll(async () => local?.stop());

  const newVpc = async (cidr: string): Promise<{ vpcId: string; subnet: (cidr: string) => Promise<string> }> => {
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc?.VpcId as string;
    const subnet = async (block: string): Promise<string> =>
      (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: block, AvailabilityZone: `${region}a` }))).Subnet
        ?.SubnetId as string;
    return { vpcId, subnet };
  };
  const groupIn = async (vpcId: string, name: string): Promise<string> =>
    (await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpcId }))).GroupId as string;
  const quarantineOf = async (vpcId: string): Promise<string | undefined> =>
    (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'group-name', Values: ['cordon-quarantine'] },
          ],
        }),
      )
    ).SecurityGroups?.[0]?.GroupId;
  const actionsOf = (run: CliRun): Line[] => (run.lines[0]?.actions as Line[] | undefined) ?? [];
  const privateIpOf = async (instanceId: string): Promise<string> =>
    (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0]
      ?.PrivateIpAddress as string;
  const runbooksWith = (yaml: string): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-runbooks-'));
    fs.writeFileSync(path.join(dir, 'runbook.yaml'), yaml);
    return dir;
  };

  it("denies the instance's address in the ACL of its VPC's NAT gateway subnet, so that only DNS and untracked-by-nothing flows remain; release deletes the rules", async () => {
    // Prepare: a private subnet whose traffic leaves through a NAT gateway in a public subnet with its own ACL
    const { vpcId, subnet } = await newVpc('10.20.0.0/16');
    const [app, pub] = [await subnet('10.20.1.0/24'), await subnet('10.20.2.0/24')];
    const natAcl = (await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId }))).NetworkAcl?.NetworkAclId as string;
    const association = (
      await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [pub] }] }))
    ).NetworkAcls?.[0]?.Associations?.find((a) => a.SubnetId === pub)?.NetworkAclAssociationId as string;
    await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: association, NetworkAclId: natAcl }));
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await ec2.send(new CreateNatGatewayCommand({ SubnetId: pub, AllocationId: eip.AllocationId }));
    const box = await launchAwsLikeInstance(ec2, { vpcId, subnetId: app, groupIds: [await groupIn(vpcId, 'app')], name: 'behind-nat' });
    const ip = await privateIpOf(box.instanceId);
    const finding = publish(local, 'Backdoor:EC2/C&CActivity.B!DNS', { accountId: account, region, instance: box });
    const audit = auditFile();
    const denies = async () =>
      (
        ((await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [natAcl] }))).NetworkAcls?.[0]?.Entries ?? []) as Array<{
          Egress?: boolean;
          RuleAction?: string;
          CidrBlock?: string;
        }>
      )
        .filter((e) => e.RuleAction === 'deny' && e.CidrBlock === `${ip}/32`)
        .map((e) => (e.Egress ? 'outbound' : 'inbound'))
        .sort();

    // Act
    const run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess: both rules in the NAT gateway's subnet ACL; other domains' DNS (the finding's is blocked) and ICMP/egress-only flows remain
    expect(run.code).toBe(0);
    expect(actionsOf(run).filter((a) => a.action === 'network.isolate-transit')).toEqual([
      expect.objectContaining({
        resource: `${natAcl}:${ip}/32`,
        status: 'done',
        detail: `denied ${ip}/32 in ${natAcl} as inbound #1, outbound #1`,
      }),
    ]);
    expect(await denies()).toEqual(['inbound', 'outbound']);
    expect(run.lines[0]?.remains).toEqual([
      "DNS Firewall blocks only the finding's domains: every other domain still resolves; stop the instance to end DNS",
      'ICMP and egress-only internet gateway flows stay open until they end: stop the instance',
    ]);
    expect((await hubFinding(local, finding))?.Workflow?.Status).toBe('NOTIFIED');

    // Act + Assess: release takes the rules out again
    const release = await runCli(['release', '--finding', String(finding.id), '--json'], { CORDON_AUDIT_FILE: audit });
    expect(release.code).toBe(0);
    expect(await denies()).toEqual([]);
  });

  it("denies the instance's address in the ACLs of its VPC's endpoint, Transit Gateway and Network Load Balancer subnets, not in a deleted NAT gateway's nor another VPC's", async () => {
    // Prepare: one subnet (with its own ACL) for each of an interface endpoint, a Transit Gateway attachment, a Network
    // Load Balancer and a NAT gateway since deleted; an interface endpoint in another VPC
    const { vpcId, subnet } = await newVpc('10.25.0.0/16');
    const app = await subnet('10.25.1.0/24');
    const kinds = ['endpoint', 'tgw', 'nlb', 'deleted-nat'] as const;
    const subnets = Object.fromEntries(
      await Promise.all(kinds.map(async (k, i) => [k, await subnet(`10.25.${10 + i}.0/24`)] as const)),
    ) as Record<(typeof kinds)[number], string>;
    const acls: Record<string, string> = {};
    for (const k of kinds) {
      acls[k] = (await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId }))).NetworkAcl?.NetworkAclId as string;
      const association = (
        await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnets[k]] }] }))
      ).NetworkAcls?.[0]?.Associations?.find((a) => a.SubnetId === subnets[k])?.NetworkAclAssociationId as string;
      await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: association, NetworkAclId: acls[k] }));
    }
    await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: vpcId,
        ServiceName: `com.amazonaws.${region}.sts`,
        VpcEndpointType: 'Interface',
        SubnetIds: [subnets.endpoint],
      }),
    );
    const tgw = (await ec2.send(new CreateTransitGatewayCommand({}))).TransitGateway?.TransitGatewayId as string;
    await ec2.send(new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: tgw, VpcId: vpcId, SubnetIds: [subnets.tgw] }));
    const elb = new ElasticLoadBalancingV2Client({ endpoint: local.endpoint, region, credentials: await world.credentialsFor(account) });
    await elb.send(new CreateLoadBalancerCommand({ Name: 'nlb', Type: 'network', Scheme: 'internal', Subnets: [subnets.nlb] }));
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnets['deleted-nat'], AllocationId: eip.AllocationId })))
      .NatGateway?.NatGatewayId as string;
    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat }));
    const other = await newVpc('10.26.0.0/16');
    await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: other.vpcId,
        ServiceName: `com.amazonaws.${region}.sts`,
        VpcEndpointType: 'Interface',
        SubnetIds: [await other.subnet('10.26.1.0/24')],
      }),
    );
    const box = await launchAwsLikeInstance(ec2, { vpcId, subnetId: app, groupIds: [await groupIn(vpcId, 'app')], name: 'transit' });
    const ip = await privateIpOf(box.instanceId);
    const finding = publish(local, 'Backdoor:EC2/C&CActivity.B', { accountId: account, region, instance: box });
    const denied = async (acl: string): Promise<string[]> =>
      ((await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [acl] }))).NetworkAcls?.[0]?.Entries ?? [])
        .filter((e) => e.RuleAction === 'deny' && e.CidrBlock === `${ip}/32`)
        .map((e) => (e.Egress ? 'outbound' : 'inbound'))
        .sort();

    // Act
    const run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: auditFile() });

    // Assess: both directions denied where AWS tracks the instance's flows, nothing in the deleted NAT gateway's subnet
    expect(run.code).toBe(0);
    expect(
      actionsOf(run)
        .filter((a) => a.action === 'network.isolate-transit')
        .map((a) => [a.resource, a.status])
        .sort(),
    ).toEqual([acls.endpoint, acls.tgw, acls.nlb].map((acl) => [`${acl}:${ip}/32`, 'done']).sort());
    expect({
      endpoint: await denied(acls.endpoint as string),
      tgw: await denied(acls.tgw as string),
      nlb: await denied(acls.nlb as string),
      deletedNat: await denied(acls['deleted-nat'] as string),
    }).toEqual({ endpoint: ['inbound', 'outbound'], tgw: ['inbound', 'outbound'], nlb: ['inbound', 'outbound'], deletedNat: [] });
  });

  it('a runbook that stops the instance leaves nothing open: RESOLVED, and release starts it again; stop protection stops ec2.stop, not the runbook', async () => {
    // Prepare: a runbook that accepts losing memory, an instance, and one with stop protection on (its owner's)
    const { vpcId, subnet } = await newVpc('10.21.0.0/16');
    const subnetId = await subnet('10.21.1.0/24');
    const group = await groupIn(vpcId, 'app');
    const [box, guarded] = [
      await launchAwsLikeInstance(ec2, { vpcId, subnetId, groupIds: [group], name: 'to-stop' }),
      await launchAwsLikeInstance(ec2, { vpcId, subnetId, groupIds: [group], name: 'guarded' }),
    ];
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: guarded.instanceId, DisableApiStop: { Value: true } }));
    const dir = runbooksWith(
      [
        'name: stop-and-isolate',
        'description: test',
        'findingTypes: ["Backdoor:EC2/*"]',
        'actions:',
        '  - action: ec2.snapshot',
        '  - action: ec2.detach',
        '  - action: ec2.stop',
        '  - action: ec2.protect',
        '  - action: ec2.isolate',
        '',
      ].join('\n'),
    );
    const [finding, other] = [box, guarded].map((instance) =>
      publish(local, 'Backdoor:EC2/C&CActivity.B', { accountId: account, region, instance, seed: `stop-${instance.instanceId}` }),
    );
    const audit = auditFile();
    const state = async (id: string) =>
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]?.State?.Name;

    // Act
    const run = await runCli(
      ['respond', eventsFile([finding as Record<string, unknown>, other as Record<string, unknown>]), '--json', '--runbooks', dir],
      {
        CORDON_AUDIT_FILE: audit,
      },
    );

    // Assess: the first is stopped, nothing remains, RESOLVED
    expect(actionsOf(run).find((a) => a.action === 'ec2.stop')).toMatchObject({ resource: box.instanceId, status: 'done' });
    expect(await state(box.instanceId)).toBe('stopped');
    expect(run.lines[0]?.remains).toBeUndefined();
    expect((await hubFinding(local, finding as Record<string, unknown>))?.Workflow?.Status).toBe('RESOLVED');
    // …the guarded one is not stopped, says why, and the rest of its runbook ran
    const guardedLines = (run.lines[1]?.actions as Line[] | undefined) ?? [];
    expect(guardedLines.find((a) => a.action === 'ec2.stop')).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining('stop protection is on'),
    });
    expect(guardedLines.find((a) => a.action === 'ec2.isolate')).toMatchObject({ status: 'done' });
    expect(await state(guarded.instanceId)).toBe('running');
    expect(run.code).toBe(1);

    // Act + Assess: release starts the instance cordon stopped
    const release = await runCli(['release', '--finding', String((finding as Record<string, unknown>).id), '--json'], {
      CORDON_AUDIT_FILE: audit,
    });
    expect(release.code).toBe(0);
    expect((release.lines[0]?.actions as Line[]).find((a) => a.action === 'ec2.stop')).toMatchObject({ status: 'done' });
    expect(await state(box.instanceId)).toMatch(/^(pending|running)$/);
  });

  it('keeps the evidence whatever runs on the instance: shutdown behaviour stop, volumes kept on termination; release restores both', async () => {
    // Prepare: an instance that terminates itself on shutdown and deletes its volumes with it
    const { vpcId, subnet } = await newVpc('10.22.0.0/16');
    const subnetId = await subnet('10.22.1.0/24');
    const launched = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12c6146b',
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnetId,
        InstanceInitiatedShutdownBehavior: 'terminate',
        BlockDeviceMappings: [
          { DeviceName: '/dev/sda1', Ebs: { VolumeSize: 8, DeleteOnTermination: true } },
          { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 20, DeleteOnTermination: true } },
        ],
      }),
    );
    const instanceId = launched.Instances?.[0]?.InstanceId as string;
    const described = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0];
    const finding = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B', {
      accountId: account,
      region,
      instance: instanceTarget(instanceId, vpcId, subnetId, described),
    });
    const audit = auditFile();
    const evidence = async () => {
      const behaviour = await ec2.send(
        new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior' }),
      );
      const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0];
      return {
        shutdown: behaviour.InstanceInitiatedShutdownBehavior?.Value,
        deleteOnTermination: Object.fromEntries(
          (instance?.BlockDeviceMappings ?? []).map((m) => [m.DeviceName, m.Ebs?.DeleteOnTermination]),
        ),
      };
    };
    const before = await evidence();

    // Act
    const run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: audit });
    const contained = await evidence();
    const release = await runCli(['release', '--finding', String(finding.id), '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess
    expect(before).toEqual({ shutdown: 'terminate', deleteOnTermination: { '/dev/sda1': true, '/dev/sdf': true } });
    expect(actionsOf(run).find((a) => a.action === 'ec2.protect')).toMatchObject({
      status: 'done',
      detail: expect.stringContaining('shutdown behaviour stop, /dev/sda1, /dev/sdf kept on termination'),
    });
    expect(contained).toEqual({ shutdown: 'stop', deleteOnTermination: { '/dev/sda1': false, '/dev/sdf': false } });
    expect(release.code).toBe(0);
    expect(await evidence()).toEqual(before);
  });

  it('isolates an interface attached from another VPC in that VPC, and the branch interfaces of EKS pods on its trunk; release restores them', async () => {
    // Prepare: a node in VPC A with a second interface from VPC B (multi-VPC attachment), a trunk interface and a pod's
    // branch interface on it
    const a = await newVpc('10.23.0.0/16');
    const b = await newVpc('10.24.0.0/16');
    const [subnetA, subnetB] = [await a.subnet('10.23.1.0/24'), await b.subnet('10.24.1.0/24')];
    const [nodeGroup, otherGroup, podGroup] = [
      await groupIn(a.vpcId, 'node'),
      await groupIn(b.vpcId, 'other'),
      await groupIn(a.vpcId, 'pod'),
    ];
    const node = await launchAwsLikeInstance(ec2, { vpcId: a.vpcId, subnetId: subnetA, groupIds: [nodeGroup], name: 'eks-node' });
    const primary = node.networkInterfaces[0]?.networkInterfaceId as string;
    const fromB = (
      await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetB, Groups: [otherGroup], Description: 'from VPC B' }))
    ).NetworkInterface?.NetworkInterfaceId as string;
    await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: fromB, InstanceId: node.instanceId, DeviceIndex: 1 }));
    // As EKS's VPC resource controller makes them: a trunk interface attached to the node, and branch interfaces tagged
    // with their trunk (not attached to the instance).
    const trunk = (
      await ec2.send(
        new CreateNetworkInterfaceCommand({ SubnetId: subnetA, Groups: [nodeGroup], InterfaceType: 'trunk', Description: 'trunk' }),
      )
    ).NetworkInterface?.NetworkInterfaceId as string;
    await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: trunk, InstanceId: node.instanceId, DeviceIndex: 2 }));
    const branch = (
      await ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: subnetA,
          Groups: [podGroup],
          InterfaceType: 'branch',
          Description: 'aws-k8s-branch-eni',
          TagSpecifications: [{ ResourceType: 'network-interface', Tags: [{ Key: 'vpcresources.k8s.aws/trunk-eni-id', Value: trunk }] }],
        }),
      )
    ).NetworkInterface?.NetworkInterfaceId as string;
    const target: SampleTarget['instance'] = {
      ...node,
      networkInterfaces: [
        ...node.networkInterfaces,
        { networkInterfaceId: fromB, subnetId: subnetB, groupIds: [otherGroup] },
        { networkInterfaceId: trunk, subnetId: subnetA, groupIds: [nodeGroup] },
      ],
    };
    const finding = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B', { accountId: account, region, instance: target });
    const audit = auditFile();
    const groupsOf = async (id: string): Promise<string[]> =>
      ((await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] }))).NetworkInterfaces?.[0]?.Groups ?? []).map(
        (g) => g.GroupId as string,
      );

    // Act
    const run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: audit });
    const [quarantineA, quarantineB] = [await quarantineOf(a.vpcId), await quarantineOf(b.vpcId)];
    const isolated = {
      primary: await groupsOf(primary),
      trunk: await groupsOf(trunk),
      fromB: await groupsOf(fromB),
      branch: await groupsOf(branch),
    };
    const release = await runCli(['release', '--finding', String(finding.id), '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess: each interface in the quarantine group of its own VPC (AWS refuses another VPC's group; moto would take it)
    expect(run.code).toBe(0);
    expect(
      actionsOf(run)
        .filter((x) => x.action === 'ec2.isolate')
        .map((x) => [x.resource, x.status])
        .sort(),
    ).toEqual(
      [
        [primary, 'done'],
        [trunk, 'done'],
        [fromB, 'done'],
        [branch, 'done'],
      ].sort(),
    );
    expect(quarantineA).toBeDefined();
    expect(quarantineB).toBeDefined();
    expect(isolated).toEqual({ primary: [quarantineA], trunk: [quarantineA], fromB: [quarantineB], branch: [quarantineA] });
    expect(actionsOf(run).find((x) => x.resource === branch)?.detail).toMatch(/^moved pod branch interface /);
    // …and back in their own groups after release
    expect(release.code).toBe(0);
    expect({
      primary: await groupsOf(primary),
      trunk: await groupsOf(trunk),
      fromB: await groupsOf(fromB),
      branch: await groupsOf(branch),
    }).toEqual({
      primary: [nodeGroup],
      trunk: [nodeGroup],
      fromB: [otherGroup],
      branch: [podGroup],
    });
    expect(Object.keys(await interfaceGroups(ec2, node.instanceId)).sort()).toEqual([primary, trunk, fromB].sort());
  });
});
