import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { snapshotVolumes } from '../../../src/actions/ec2/snapshot-volumes';
import type { ActionContext } from '../../../src/actions/types';
import { NO_SUBJECT, type Finding } from '../../../src/findings/finding';

/**
 * ec2.snapshot with the real SDK against a stand-in EC2 endpoint: isolation is
 * let go when each CreateSnapshot is first sent, so when EC2 refuses that first
 * request and the SDK sends it again, the snapshot's point in time is the later
 * attempt's, and the outcome must say so.
 */
describe('ec2.snapshot when EC2 refuses the first CreateSnapshot request', () => {
  let server: http.Server;
  let endpoint: string;
  const refuse = new Set<string>();
  const seen: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const volume = params.get('VolumeId') ?? '';
        seen.push(`${params.get('Action')} ${volume}`);
        if (params.get('Action') === 'DescribeSnapshots') {
          res.writeHead(200, { 'content-type': 'text/xml' });
          res.end('<DescribeSnapshotsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><snapshotSet/></DescribeSnapshotsResponse>');
          return;
        }
        if (refuse.delete(volume)) {
          // EC2's answer to a request over its rate (EC2 API Reference, "Error codes": RequestLimitExceeded).
          res.writeHead(503, { 'content-type': 'text/xml' });
          res.end(
            '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r</RequestID></Response>',
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<CreateSnapshotResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><snapshotId>snap-${volume}</snapshotId><volumeId>${volume}</volumeId><status>pending</status></CreateSnapshotResponse>`,
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('lets isolation go at the first attempt, and says which snapshot came on a later one', async () => {
    // Prepare: two volumes; EC2 refuses vol-b's first request
    const ec2 = new EC2Client({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 3,
    });
    refuse.add('vol-b');
    const instance: Instance = {
      InstanceId: 'i-1',
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-a' } },
        { DeviceName: '/dev/xvdf', Ebs: { VolumeId: 'vol-b' } },
      ],
    };
    const finding = {
      id: 'f1',
      type: 'Backdoor:EC2/C&CActivity.B',
      accountId: '111122223333',
      region: 'us-east-1',
      ...NO_SUBJECT,
      instance: { instanceId: 'i-1', networkInterfaces: [], tags: {} },
    } as unknown as Finding;
    let requestedAfter: number | undefined;
    const ctx = {
      finding,
      dryRun: false,
      member: <C>() => ec2 as unknown as C,
      instance: async () => instance,
      history: async () => [],
      lookup: <T>(_key: string, read: () => Promise<T>) => read(),
      evidenceRequested: () => {
        requestedAfter = seen.length;
      },
    } as unknown as ActionContext;

    // Act
    const outcomes = await snapshotVolumes.run(ctx, {});
    ec2.destroy();

    // Assess: isolation was let go once both first requests were sent, before vol-b's second reached EC2;
    // vol-b's outcome says its point in time may come after isolation began, vol-a's does not
    const retry = seen.lastIndexOf('CreateSnapshot vol-b');
    expect(seen.filter((s) => s === 'CreateSnapshot vol-b')).toHaveLength(2);
    expect(requestedAfter).toBeDefined();
    expect(requestedAfter).toBeLessThanOrEqual(retry);
    expect(outcomes.map((o) => [o.resource, o.status, o.detail])).toEqual([
      ['vol-a', 'done', 'snapshot snap-vol-a started'],
      [
        'vol-b',
        'done',
        'snapshot snap-vol-b started (on attempt 2: the first request was refused, so its point in time may come after isolation began)',
      ],
    ]);
  });
});
