import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateDetectorCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

import { startLocalAws, type LocalAws } from '../../../local-aws/start';
import { clientConfig, credentialsFor, DEFAULT_ACCOUNT } from './helpers';

describe('local endpoint routing and identity', () => {
  let local: LocalAws;

  beforeAll(async () => {
    local = await startLocalAws();
  });

  afterAll(async () => {
    await local?.stop();
  });

  it('proxies EC2 to moto: RunInstances then DescribeInstances sees the instance', async () => {
    // Prepare
    const ec2 = new EC2Client(clientConfig(local));

    // Act
    const run = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, InstanceType: 't3.micro' }));
    const id = run.Instances?.[0]?.InstanceId;
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: id ? [id] : [] }));

    // Assess
    expect(id).toMatch(/^i-/);
    expect(described.Reservations?.[0]?.Instances?.[0]?.InstanceId).toBe(id);
  });

  it('maps assumed-role keys to the role account, for moto and for the emulator', async () => {
    // Prepare
    const member = await credentialsFor(local, '111111111111');
    local.emulator.resetCalls();

    // Act
    const identity = await new STSClient(clientConfig(local, 'us-east-1', member)).send(new GetCallerIdentityCommand({}));
    const gd = new GuardDutyClient(clientConfig(local, 'eu-west-1', member));
    const created = await gd.send(new CreateDetectorCommand({ Enable: true }));
    const memberDetectors = await gd.send(new ListDetectorsCommand({}));
    const defaultDetectors = await new GuardDutyClient(clientConfig(local, 'eu-west-1')).send(new ListDetectorsCommand({}));
    const memberInstances = await new EC2Client(clientConfig(local, 'us-east-1', member)).send(new DescribeInstancesCommand({}));

    // Assess
    expect(identity.Account).toBe('111111111111');
    expect(memberDetectors.DetectorIds).toEqual([created.DetectorId]);
    expect(defaultDetectors.DetectorIds).toEqual([]);
    // The instance started by the default account in the first test is not in 111111111111.
    expect(memberInstances.Reservations ?? []).toEqual([]);
    expect(local.emulator.calls()).toEqual(
      expect.arrayContaining([
        { service: 'guardduty', operation: 'CreateDetector', accountId: '111111111111', region: 'eu-west-1' },
        { service: 'guardduty', operation: 'ListDetectors', accountId: DEFAULT_ACCOUNT, region: 'eu-west-1' },
        { service: 'ec2', operation: 'DescribeInstances', accountId: '111111111111', region: 'us-east-1' },
      ]),
    );
  });

  it('answers an unknown GuardDuty route with a 404 naming it, never a 200', async () => {
    // Prepare
    const headers = {
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/guardduty/aws4_request, SignedHeaders=host, Signature=0',
      'content-type': 'application/json',
    };

    // Act
    const res = await fetch(`${local.endpoint}/no/such/route`, { method: 'POST', headers, body: '{}' });
    const body = (await res.json()) as { __type?: string; message?: string };

    // Assess
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(body.message).toContain('POST /no/such/route');
  });
});
