import {
  AssociateIamInstanceProfileCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  type EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { instanceTarget, type SampleTarget } from '../../local-aws';

/** What {@link launchAwsLikeInstance} makes. */
export interface AwsLikeInstanceOptions {
  readonly vpcId: string;
  readonly subnetId: string;
  /** Groups of the primary interface. */
  readonly groupIds: readonly string[];
  /** Groups of a second interface, when one is wanted. */
  readonly secondInterfaceGroupIds?: readonly string[];
  /** Instance profile to associate. */
  readonly instanceProfileName?: string;
  readonly name: string;
}

/**
 * Launches an instance in moto whose interfaces report their own groups, as
 * AWS does. moto reports an attached interface's groups unioned with the
 * groups the instance was launched with, so an isolated interface still shows
 * its old group and a second delivery cannot see that it is isolated. An
 * instance launched without groups (moto then keeps none on the instance) and
 * whose interfaces get their groups afterwards reports them exactly.
 */
export async function launchAwsLikeInstance(
  ec2: EC2Client,
  options: AwsLikeInstanceOptions,
): Promise<NonNullable<SampleTarget['instance']>> {
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-12c6146b',
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: options.subnetId,
      BlockDeviceMappings: [
        { DeviceName: '/dev/sda1', Ebs: { VolumeSize: 8 } },
        { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 20 } },
      ],
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: options.name }] }],
    }),
  );
  const instanceId = run.Instances?.[0]?.InstanceId as string;
  const primary = run.Instances?.[0]?.NetworkInterfaces?.[0]?.NetworkInterfaceId as string;
  await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: primary, Groups: [...options.groupIds] }));
  if (options.secondInterfaceGroupIds) {
    const eni = await ec2.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: options.subnetId,
        Groups: [...options.secondInterfaceGroupIds],
        Description: `${options.name} second interface`,
      }),
    );
    await ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eni.NetworkInterface?.NetworkInterfaceId,
        InstanceId: instanceId,
        DeviceIndex: 1,
      }),
    );
  }
  if (options.instanceProfileName)
    await ec2.send(
      new AssociateIamInstanceProfileCommand({ InstanceId: instanceId, IamInstanceProfile: { Name: options.instanceProfileName } }),
    );
  const described = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0];
  return instanceTarget(instanceId, options.vpcId, options.subnetId, described);
}

/** Each interface of an instance and its groups, sorted (as DescribeNetworkInterfaces reports them). */
export async function interfaceGroups(ec2: EC2Client, instanceId: string): Promise<Record<string, string[]>> {
  const out = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }));
  return Object.fromEntries(
    (out.NetworkInterfaces ?? []).map((ni) => [ni.NetworkInterfaceId as string, (ni.Groups ?? []).map((g) => g.GroupId as string).sort()]),
  );
}
