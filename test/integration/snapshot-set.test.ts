import {
  CreateSnapshotCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  type Instance,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { snapshotVolumes } from '../../src/actions/ec2/snapshot-volumes';
import type { ActionContext } from '../../src/actions/types';
import type { LocalAws } from '../../local-aws';
import { HOME_CREDENTIALS, startLocal } from '../support/local';
import { snapshotContext } from '../support/snapshot-context';

/**
 * ec2.snapshot against moto: the volumes still to take are snapshotted as one
 * crash-consistent set in one CreateSnapshots call, tagged with the finding; a
 * volume already taken for the finding (another delivery's, tagged) is left
 * out of the set, the boot volume by ExcludeBootVolume and a data volume by
 * ExcludeDataVolumeIds, and never taken twice.
 */
describe('ec2.snapshot: one set per instance', () => {
  let local: LocalAws;
  let ec2: EC2Client;
  let subnetId: string;
  const sent: string[] = [];

  beforeAll(async () => {
    local = await startLocal();
    ec2 = new EC2Client({ region: 'us-east-1', credentials: HOME_CREDENTIALS });
    ec2.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize' },
    );
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }))).Vpc?.VpcId as string;
    subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.70.1.0/24' }))).Subnet?.SubnetId as string;
  }, 60_000);
  afterAll(async () => local?.stop());

  /** An instance with a boot volume and two data volumes, as EC2 describes it. */
  const launch = async (): Promise<Instance> => {
    const id = (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-12c6146b',
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnetId,
          BlockDeviceMappings: [
            { DeviceName: '/dev/sda1', Ebs: { VolumeSize: 8 } },
            { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 20 } },
            { DeviceName: '/dev/sdg', Ebs: { VolumeSize: 30 } },
          ],
        }),
      )
    ).Instances?.[0]?.InstanceId as string;
    return (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0] as Instance;
  };
  const volume = (instance: Instance, device: string): string =>
    instance.BlockDeviceMappings?.find((m) => m.DeviceName === device)?.Ebs?.VolumeId as string;
  const contextFor = (instance: Instance, findingId: string): ActionContext => snapshotContext(ec2, instance, findingId);
  /** The finding's snapshots in EC2, by volume. */
  const ofFinding = async (findingId: string): Promise<Record<string, number>> => {
    const found =
      (
        await ec2.send(
          new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:cordon:finding-id', Values: [findingId] }] }),
        )
      ).Snapshots ?? [];
    const count: Record<string, number> = {};
    for (const s of found) count[s.VolumeId as string] = (count[s.VolumeId as string] ?? 0) + 1;
    return count;
  };
  /** Another delivery's snapshot of one volume, tagged with the finding. */
  const takenBefore = (volumeId: string, findingId: string) =>
    ec2.send(
      new CreateSnapshotCommand({
        VolumeId: volumeId,
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'cordon:finding-id', Value: findingId }] }],
      }),
    );

  it('takes every volume in one CreateSnapshots call, each snapshot tagged with the finding', async () => {
    const instance = await launch();
    sent.length = 0;

    const outcomes = await snapshotVolumes.run(contextFor(instance, 'f-all'), {});

    expect(sent.filter((op) => op.startsWith('CreateSnapshot'))).toEqual(['CreateSnapshots']);
    expect(outcomes.map((o) => o.status)).toEqual(['done', 'done', 'done']);
    expect(await ofFinding('f-all')).toEqual({
      [volume(instance, '/dev/sda1')]: 1,
      [volume(instance, '/dev/sdf')]: 1,
      [volume(instance, '/dev/sdg')]: 1,
    });
  });

  it.each([
    ['a data volume', '/dev/sdf'],
    ['the boot volume', '/dev/sda1'],
  ])('leaves %s already taken for the finding out of the set', async (_what, device) => {
    const instance = await launch();
    const findingId = `f-${device.replace(/\W/g, '')}`;
    await takenBefore(volume(instance, device), findingId);
    sent.length = 0;

    const outcomes = await snapshotVolumes.run(contextFor(instance, findingId), {});

    expect(sent.filter((op) => op.startsWith('CreateSnapshot'))).toEqual(['CreateSnapshots']);
    expect(outcomes.find((o) => o.resource === volume(instance, device))?.status).toBe('already');
    expect(outcomes.filter((o) => o.status === 'done')).toHaveLength(2);
    expect(await ofFinding(findingId)).toEqual({
      [volume(instance, '/dev/sda1')]: 1,
      [volume(instance, '/dev/sdf')]: 1,
      [volume(instance, '/dev/sdg')]: 1,
    });
  });

  it('a second delivery takes nothing', async () => {
    const instance = await launch();
    await snapshotVolumes.run(contextFor(instance, 'f-twice'), {});
    sent.length = 0;

    const again = await snapshotVolumes.run(contextFor(instance, 'f-twice'), {});

    expect(again.map((o) => o.status)).toEqual(['already', 'already', 'already']);
    expect(sent.filter((op) => op.startsWith('CreateSnapshot'))).toEqual([]);
  });
});
