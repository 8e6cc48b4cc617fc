import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CreateSnapshotCommand,
  CreateSnapshotsCommand,
  CreateTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  type Instance,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { isolateInstance } from '../../../src/actions/ec2/isolate-instance';
import { protectInstance } from '../../../src/actions/ec2/protect-instance';
import { snapshotVolumes } from '../../../src/actions/ec2/snapshot-volumes';
import type { ActionContext, ActionDefinition } from '../../../src/actions/types';
import { FileAuditStore } from '../../../src/audit/file-store';
import type { AuditRecord } from '../../../src/audit/store';
import type { ClientFactory } from '../../../src/aws/clients';
import type { MemberCredentialsCache } from '../../../src/aws/credentials';
import { NO_SUBJECT, type Finding } from '../../../src/findings/finding';
import type { GuardDutyArchiver } from '../../../src/guardduty/archiver';
import { CircuitBreaker } from '../../../src/respond/circuit';
import { DEFAULT_CIRCUIT_LIMITS, DEFAULT_EXEMPT_TAG } from '../../../src/config/defaults';
import { runSteps, type Screened } from '../../../src/respond/execute';
import { respond } from '../../../src/respond/responder';
import type { Runbook } from '../../../src/runbooks/runbook';
import type { FindingUpdate, SecurityHubWriter } from '../../../src/securityhub/writer';

const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const mock = mockClient(ec2);

const finding: Finding = {
  id: 'f-partial',
  arn: 'arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/f-partial',
  accountId: '111122223333',
  region: 'us-east-1',
  partition: 'aws',
  type: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
  severity: 8,
  title: '',
  count: 1,
  archived: false,
  sample: false,
  updatedAt: '2026-11-24T10:00:00.000Z',
  lastSeenAt: '2026-11-24T09:58:00.000Z',
  detectorId: 'd1',
  resourceRole: 'ACTOR',
  resourceType: 'Instance',
  ...NO_SUBJECT,
  resources: [],
  sequence: undefined,
  instance: { instanceId: 'i-1', networkInterfaces: [], tags: {} },
  accessKey: undefined,
  buckets: [],
  remoteIps: [],
  origin: { kind: 'guardduty' },
};
const base: Instance = {
  InstanceId: 'i-1',
  VpcId: 'vpc-1',
  State: { Name: 'running' },
  BlockDeviceMappings: [
    { DeviceName: '/dev/sda1', Ebs: { VolumeId: 'vol-1' } },
    { DeviceName: '/dev/sdf', Ebs: { VolumeId: 'vol-2' } },
  ],
  NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', SubnetId: 'subnet-1' }],
  Tags: [],
};
/** The instance as DescribeInstances describes it, with the interfaces a test attaches. */
let instance: Instance = base;
/** Attaches interfaces to the instance as DescribeInstances lists them. */
const attached = (interfaces: Array<{ NetworkInterfaceId: string; Groups: Array<{ GroupId: string; GroupName: string }> }>): void => {
  instance = { ...base, NetworkInterfaces: interfaces };
};

const ctx = (history: readonly AuditRecord[] = []): ActionContext => ({
  finding,
  dryRun: false,
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
  history: async () => history,
});

const awsError = (name: string, message: string): Error => Object.assign(new Error(message), { name, $fault: 'client' });

/** The VPC's isolation groups as isolation needs them: quarantine without rules, untrack allowing all traffic both ways. */
const QUARANTINE: SecurityGroup = {
  GroupId: 'sg-q',
  GroupName: 'cordon-quarantine',
  VpcId: 'vpc-1',
  IpPermissions: [],
  IpPermissionsEgress: [],
};
const allTraffic = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }];
const UNTRACK: SecurityGroup = {
  GroupId: 'sg-u',
  GroupName: 'cordon-untrack',
  VpcId: 'vpc-1',
  IpPermissions: allTraffic,
  IpPermissionsEgress: allTraffic,
};

function groupsExist(): void {
  mock.on(DescribeSecurityGroupsCommand).callsFake((input: { Filters?: Array<{ Name?: string; Values?: string[] }> }) => {
    // As EC2 reads a filter: any of its values matches.
    const names = input.Filters?.find((f) => f.Name === 'group-name')?.Values ?? [];
    return { SecurityGroups: [QUARANTINE, UNTRACK].filter((g) => names.includes(g.GroupName ?? '')) };
  });
}

const modifies = (): Array<{ eni: string | undefined; groups: string[] | undefined }> =>
  mock
    .commandCalls(ModifyNetworkInterfaceAttributeCommand)
    .map((c) => ({ eni: c.args[0].input.NetworkInterfaceId, groups: c.args[0].input.Groups }));

describe('ec2.isolate when an interface cannot be moved', () => {
  beforeEach(() => {
    mock.reset();
    groupsExist();
    attached([
      { NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-web', GroupName: 'web' }] },
      {
        NetworkInterfaceId: 'eni-2',
        Groups: [
          { GroupId: 'sg-admin', GroupName: 'admin' },
          { GroupId: 'sg-ssh', GroupName: 'ssh' },
        ],
      },
    ]);
    mock.on(ModifyNetworkInterfaceAttributeCommand).resolves({});
  });

  it('keeps the first interface isolated with its prior groups, and puts the second back in its own groups rather than leave it in the allow-all group', async () => {
    // Prepare: the second interface's move to the quarantine group is refused
    mock
      .on(ModifyNetworkInterfaceAttributeCommand, { NetworkInterfaceId: 'eni-2', Groups: ['sg-q'] })
      .rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));

    // Act
    const outcomes = await isolateInstance.run(ctx(), { cutTrackedConnections: true });

    // Assess: the first is done with what release needs, the second failed and says where it is
    expect(outcomes).toEqual([
      {
        action: 'ec2.isolate',
        resource: 'eni-1',
        status: 'done',
        detail:
          'moved eni-1 of i-1 from [sg-web] to cordon-quarantine (sg-q), established TCP/UDP connections untracked and cut (not those AWS tracks automatically)',
        prior: { instanceId: 'i-1', networkInterfaceId: 'eni-1', groupIds: ['sg-web'] },
        changed: { groupIds: ['sg-q'] },
        remains: ['dns-resolver', 'gateway-tracked-flows', 'direct-tracked-flows'],
      },
      {
        action: 'ec2.isolate',
        resource: 'eni-2',
        status: 'failed',
        detail: expect.stringMatching(
          /^could not move eni-2 of i-1 to cordon-quarantine: .*not authorized.*; put back in \[sg-admin, sg-ssh\]$/,
        ),
      },
    ]);
    // …each through the allow-all group; the second's last call restores its original groups
    expect(modifies().filter((m) => m.eni === 'eni-1')).toEqual([
      { eni: 'eni-1', groups: ['sg-u'] },
      { eni: 'eni-1', groups: ['sg-q'] },
    ]);
    expect(modifies().filter((m) => m.eni === 'eni-2')).toEqual([
      { eni: 'eni-2', groups: ['sg-u'] },
      { eni: 'eni-2', groups: ['sg-q'] },
      { eni: 'eni-2', groups: ['sg-admin', 'sg-ssh'] },
    ]);
  });

  it('says loudly that an interface is left in the ALLOW-ALL group when putting it back fails too', async () => {
    // Prepare
    mock
      .on(ModifyNetworkInterfaceAttributeCommand, { NetworkInterfaceId: 'eni-2', Groups: ['sg-q'] })
      .rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.'));
    mock
      .on(ModifyNetworkInterfaceAttributeCommand, { NetworkInterfaceId: 'eni-2', Groups: ['sg-admin', 'sg-ssh'] })
      .rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.'));

    // Act
    const outcomes = await isolateInstance.run(ctx(), { cutTrackedConnections: true });

    // Assess
    expect(outcomes.map((o) => `${o.resource}:${o.status}`)).toEqual(['eni-1:done', 'eni-2:failed']);
    expect(outcomes[1]?.detail).toMatch(/it is in the ALLOW-ALL group cordon-untrack \(sg-u\); isolate it by hand NOW$/);
  });

  it('leaves an interface in its own groups when the move to the allow-all group already fails', async () => {
    mock
      .on(ModifyNetworkInterfaceAttributeCommand, { NetworkInterfaceId: 'eni-2', Groups: ['sg-u'] })
      .rejects(awsError('UnauthorizedOperation', 'not authorized'));

    const outcomes = await isolateInstance.run(ctx(), { cutTrackedConnections: true });

    expect(outcomes[1]).toMatchObject({
      resource: 'eni-2',
      status: 'failed',
      detail: expect.stringMatching(/^could not move eni-2 of i-1 to cordon-untrack: .*; left in \[sg-admin, sg-ssh\]$/),
    });
    expect(modifies().filter((m) => m.eni === 'eni-2')).toEqual([{ eni: 'eni-2', groups: ['sg-u'] }]);
  });
});

describe('ec2.isolate of an interface a cut-short run left in a cordon group', () => {
  beforeEach(() => {
    mock.reset();
    groupsExist();
    mock.on(ModifyNetworkInterfaceAttributeCommand).resolves({});
    // An earlier delivery moved eni-1 to the allow-all group and died before the quarantine.
    attached([{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-u', GroupName: 'cordon-untrack' }] }]);
  });
  const earlier: AuditRecord = {
    findingId: 'f-partial',
    findingArn: finding.arn,
    accountId: finding.accountId,
    region: finding.region,
    findingType: finding.type,
    runbook: 'ec2-instance-compromise',
    action: 'ec2.isolate',
    resource: 'eni-1',
    status: 'done',
    detail: 'moved',
    prior: { instanceId: 'i-1', networkInterfaceId: 'eni-1', groupIds: ['sg-web', 'sg-admin'] },
    changed: { groupIds: ['sg-q'] },
    at: '2026-11-24T09:59:00.000Z',
    actor: 'respond',
  };

  it("records the original groups from the audit history, never cordon's own group", async () => {
    // Act
    const outcomes = await isolateInstance.run(ctx([earlier]), { cutTrackedConnections: true });

    // Assess
    expect(outcomes).toEqual([
      expect.objectContaining({
        resource: 'eni-1',
        status: 'done',
        prior: { instanceId: 'i-1', networkInterfaceId: 'eni-1', groupIds: ['sg-web', 'sg-admin'] },
        changed: { groupIds: ['sg-q'] },
      }),
    ]);
    expect(modifies()).toEqual([
      { eni: 'eni-1', groups: ['sg-u'] },
      { eni: 'eni-1', groups: ['sg-q'] },
    ]);
  });

  it('records no groups (and says they are unknown) when no earlier delivery recorded them', async () => {
    const outcomes = await isolateInstance.run(ctx([]), { cutTrackedConnections: true });

    expect(outcomes).toEqual([
      expect.objectContaining({
        status: 'done',
        prior: { instanceId: 'i-1', networkInterfaceId: 'eni-1', groupIds: [] },
        detail: expect.stringContaining('its original groups are unknown'),
      }),
    ]);
  });

  it('puts it back in its original groups, not in the allow-all group it was found in, when the quarantine move fails', async () => {
    // Prepare
    mock
      .on(ModifyNetworkInterfaceAttributeCommand, { NetworkInterfaceId: 'eni-1', Groups: ['sg-q'] })
      .rejects(awsError('UnauthorizedOperation', 'not authorized'));

    // Act
    const outcomes = await isolateInstance.run(ctx([earlier]), { cutTrackedConnections: true });

    // Assess
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'failed', detail: expect.stringMatching(/; put back in \[sg-web, sg-admin\]$/) }),
    ]);
    expect(modifies().at(-1)).toEqual({ eni: 'eni-1', groups: ['sg-web', 'sg-admin'] });
  });

  it('says it is left in the ALLOW-ALL group when the quarantine move fails and its original groups are unknown', async () => {
    mock
      .on(ModifyNetworkInterfaceAttributeCommand, { NetworkInterfaceId: 'eni-1', Groups: ['sg-q'] })
      .rejects(awsError('UnauthorizedOperation', 'not authorized'));

    const outcomes = await isolateInstance.run(ctx([]), { cutTrackedConnections: true });

    expect(outcomes).toEqual([
      expect.objectContaining({
        status: 'failed',
        detail: expect.stringMatching(/ALLOW-ALL group cordon-untrack \(sg-u\); isolate it by hand NOW$/),
      }),
    ]);
    expect(modifies().filter((m) => m.groups?.includes('sg-u'))).toEqual([{ eni: 'eni-1', groups: ['sg-u'] }]);
  });
});

describe('partial failures through the runner', () => {
  const screened = (action: ActionDefinition<unknown>, params: unknown, history: readonly AuditRecord[] = []): Screened => ({
    finding,
    ctx: ctx(history),
    steps: [{ action, params, when: undefined }],
    verdict: undefined,
    startedAtMs: Date.now(),
  });

  beforeEach(() => {
    mock.reset();
    mock.on(DescribeInstanceAttributeCommand, { Attribute: 'disableApiTermination' }).resolves({ DisableApiTermination: { Value: false } });
    mock.on(DescribeInstanceAttributeCommand, { Attribute: 'disableApiStop' }).resolves({ DisableApiStop: { Value: false } });
    mock
      .on(DescribeInstanceAttributeCommand, { Attribute: 'instanceInitiatedShutdownBehavior' })
      .resolves({ InstanceInitiatedShutdownBehavior: { Value: 'stop' } });
    mock.on(ModifyInstanceAttributeCommand).resolves({});
  });

  it('ec2.protect: keeps the protection turned on as done (for release) and adds a failed line when the tags fail', async () => {
    // Prepare
    mock.on(CreateTagsCommand).rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));

    // Act
    const execution = await runSteps(screened(protectInstance as ActionDefinition<unknown>, { stopProtection: true }));

    // Assess
    expect(execution.outcomes).toEqual([
      {
        action: 'ec2.protect',
        resource: 'i-1',
        status: 'done',
        detail: 'turned on termination protection, stop protection',
        prior: {
          disableApiTermination: false,
          disableApiStop: false,
          instanceInitiatedShutdownBehavior: 'stop',
          deleteOnTermination: { '/dev/sda1': false, '/dev/sdf': false },
        },
        changed: { disableApiTermination: true, disableApiStop: true },
      },
      { action: 'ec2.protect', resource: 'i-1', status: 'failed', detail: expect.stringContaining('not authorized') },
    ]);
    expect(mock.commandCalls(ModifyInstanceAttributeCommand).map((c) => c.args[0].input)).toEqual(
      expect.arrayContaining([
        { InstanceId: 'i-1', DisableApiTermination: { Value: true } },
        { InstanceId: 'i-1', DisableApiStop: { Value: true } },
      ]),
    );
  });

  it('ec2.protect: never claims a protection it could not turn on', async () => {
    // Prepare
    mock.on(ModifyInstanceAttributeCommand).rejects(awsError('UnauthorizedOperation', 'not authorized'));
    mock.on(CreateTagsCommand).resolves({});

    // Act
    const execution = await runSteps(screened(protectInstance as ActionDefinition<unknown>, { stopProtection: true }));

    // Assess: the last line is the failure; any done line (the evidence tags) records no protection as changed
    expect(execution.outcomes.at(-1)).toMatchObject({
      action: 'ec2.protect',
      status: 'failed',
      detail: expect.stringContaining('not authorized'),
    });
    for (const o of execution.outcomes.filter((x) => x.status === 'done')) expect(o.changed).toEqual({});
  });

  it('ec2.protect: a Spot instance (no protection possible) still gets its finding tags', async () => {
    mock.on(ModifyInstanceAttributeCommand).rejects(awsError('UnsupportedOperation', 'The instance is a spot instance.'));
    mock.on(CreateTagsCommand).resolves({});

    const execution = await runSteps(screened(protectInstance as ActionDefinition<unknown>, { stopProtection: true }));

    expect(execution.outcomes).toEqual([
      expect.objectContaining({
        status: 'done',
        detail: expect.stringMatching(
          /^turned on finding tags; (termination|stop) protection, (termination|stop) protection not supported for this instance \(a Spot instance\?\)$/,
        ),
        changed: {},
      }),
    ]);
    expect(mock.commandCalls(CreateTagsCommand)[0]?.args[0].input.Tags?.map((t) => t.Key)).toEqual([
      'cordon:finding-id',
      'cordon:finding-type',
      'cordon:contained-at',
    ]);
  });

  it('ec2.snapshot: keeps the set on record when a volume detached meanwhile cannot be snapshotted alone', async () => {
    // Prepare: the set holds vol-1 only (vol-2 was detached since the instance was described); vol-2 alone is refused
    mock.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-1', VolumeId: 'vol-1' }] });
    mock
      .on(CreateSnapshotCommand, { VolumeId: 'vol-2' })
      .rejects(awsError('SnapshotCreationPerVolumeRateExceeded', 'The maximum per volume CreateSnapshot request rate has been exceeded.'));

    const execution = await runSteps(screened(snapshotVolumes as ActionDefinition<unknown>, {}));

    expect(execution.outcomes).toEqual([
      expect.objectContaining({ action: 'ec2.snapshot', resource: 'vol-1', status: 'done', changed: { snapshotId: 'snap-1' } }),
      expect.objectContaining({
        action: 'ec2.snapshot',
        resource: 'i-1',
        status: 'failed',
        detail: expect.stringContaining(
          'snapshot of vol-2 failed: SnapshotCreationPerVolumeRateExceeded: The maximum per volume CreateSnapshot request rate has been exceeded',
        ),
      }),
    ]);
  });

  it('ec2.snapshot: a volume missing from the set is snapshotted on its own, tagged, and says it is not crash-consistent', async () => {
    mock.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-1', VolumeId: 'vol-1' }] });
    mock.on(CreateSnapshotCommand, { VolumeId: 'vol-2' }).resolves({ SnapshotId: 'snap-2' });

    const execution = await runSteps(screened(snapshotVolumes as ActionDefinition<unknown>, {}));

    expect(execution.outcomes).toEqual([
      expect.objectContaining({ resource: 'vol-1', status: 'done', detail: 'snapshot snap-1 started' }),
      expect.objectContaining({
        resource: 'vol-2',
        status: 'done',
        changed: { snapshotId: 'snap-2' },
        detail:
          'snapshot snap-2 started on its own, after the set: vol-2 was no longer attached to i-1 when the set was taken, so it is not crash-consistent with the others',
      }),
    ]);
    expect(mock.commandCalls(CreateSnapshotCommand)[0]?.args[0].input.TagSpecifications?.[0]?.Tags).toEqual(
      expect.arrayContaining([{ Key: 'cordon:finding-id', Value: finding.id }]),
    );
  });

  it('ec2.snapshot: a refused set fails the action, naming the instance', async () => {
    mock.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    mock.on(CreateSnapshotsCommand).rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));

    const execution = await runSteps(screened(snapshotVolumes as ActionDefinition<unknown>, {}));

    expect(execution.outcomes).toEqual([
      expect.objectContaining({
        action: 'ec2.snapshot',
        resource: 'i-1',
        status: 'failed',
        detail: expect.stringContaining('snapshot of the volumes of i-1 failed: UnauthorizedOperation: You are not authorized'),
      }),
    ]);
    expect(mock.commandCalls(CreateSnapshotCommand)).toHaveLength(0);
  });
});

describe('partial failures in the audit trail', () => {
  it('records the protection turned on before the tags failed, so that release can turn it off, and the failure after it', async () => {
    // Prepare: the whole pipeline, with EC2 mocked and a real audit file
    mock.reset();
    mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance] }] });
    mock.on(DescribeInstanceAttributeCommand, { Attribute: 'disableApiTermination' }).resolves({ DisableApiTermination: { Value: false } });
    mock.on(DescribeInstanceAttributeCommand, { Attribute: 'disableApiStop' }).resolves({ DisableApiStop: { Value: true } });
    mock
      .on(DescribeInstanceAttributeCommand, { Attribute: 'instanceInitiatedShutdownBehavior' })
      .resolves({ InstanceInitiatedShutdownBehavior: { Value: 'stop' } });
    mock.on(ModifyInstanceAttributeCommand).resolves({});
    mock.on(CreateTagsCommand).rejects(awsError('UnauthorizedOperation', 'not authorized'));
    const audit = new FileAuditStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-partial-')), 'audit.jsonl'));
    const runbook: Runbook = {
      name: 'protect-only',
      description: 'test',
      file: 'protect-only.yaml',
      mode: 'auto',
      reliability: 5,
      findingTypes: ['CryptoCurrency:EC2/*'],
      resourceTypes: undefined,
      customAction: undefined,
      actions: [{ action: 'ec2.protect', with: { stopProtection: true }, when: undefined }],
    };
    const written: FindingUpdate[] = [];
    const writer = {
      write: async (updates: readonly FindingUpdate[]) => (
        written.push(...updates),
        new Map(updates.map((u) => [u.findingArn, { status: 'updated' as const, detail: 'ok' }]))
      ),
    } as unknown as SecurityHubWriter;

    // Act
    const [result] = await respond([{ kind: 'finding', where: 'test', finding }], {
      clients: { member: () => ec2, home: () => ec2 } as unknown as ClientFactory,
      audit,
      archiver: {} as GuardDutyArchiver,
      dryRun: false,
      now: () => new Date('2026-11-24T10:00:00Z'),
      exemptTag: DEFAULT_EXEMPT_TAG,
      exemptResourceArns: [],
      exemptOus: new Set(),
      responderRoleName: 'cordon-responder',
      runbooks: [runbook],
      policy: { threshold: 10, exemptAccounts: new Set() },
      circuit: new CircuitBreaker(audit, DEFAULT_CIRCUIT_LIMITS),
      credentials: { labelNextSession: () => undefined } as unknown as MemberCredentialsCache,
      writer,
      concurrency: 4,
    });

    // Assess: the result and the audit trail both hold the done change, then the failure
    expect(result?.actions.map((a) => a.status)).toEqual(['done', 'failed']);
    const records = await audit.forFinding('f-partial');
    expect(records.map((r) => ({ action: r.action, status: r.status, prior: r.prior, changed: r.changed, request: r.request }))).toEqual([
      {
        action: 'ec2.protect',
        status: 'done',
        prior: {
          disableApiTermination: false,
          disableApiStop: true,
          instanceInitiatedShutdownBehavior: 'stop',
          deleteOnTermination: { '/dev/sda1': false, '/dev/sdf': false },
        },
        changed: { disableApiTermination: true },
        request: { action: 'ec2.protect', params: { stopProtection: true }, dryRun: false },
      },
      {
        action: 'ec2.protect',
        status: 'failed',
        prior: undefined,
        changed: undefined,
        request: { action: 'ec2.protect', params: { stopProtection: true }, dryRun: false },
      },
    ]);
    // Analysts see the failure: NOTIFIED, not RESOLVED.
    expect(written.at(-1)).toMatchObject({ findingArn: finding.arn, workflow: 'NOTIFIED', fields: { cordon_result: 'failed' } });
  });
});
