import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { snapshotVolumes } from '../../../src/actions/ec2/snapshot-volumes';
import { snapshotContext } from '../../support/snapshot-context';

/**
 * ec2.snapshot with the real SDK against a stand-in EC2 endpoint: isolation is
 * let go when the CreateSnapshots of the instance's volumes is first sent, so
 * when EC2 refuses that first request and the SDK sends it again, the
 * snapshots' point in time is the later attempt's, and the outcomes must say so.
 */
describe('ec2.snapshot when EC2 refuses the first CreateSnapshots request', () => {
  let server: http.Server;
  let endpoint: string;
  let refuse = 0;
  const seen: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const action = params.get('Action') ?? '';
        seen.push(action);
        if (action === 'DescribeSnapshots') {
          res.writeHead(200, { 'content-type': 'text/xml' });
          res.end('<DescribeSnapshotsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><snapshotSet/></DescribeSnapshotsResponse>');
          return;
        }
        if (refuse > 0) {
          refuse -= 1;
          // EC2's answer to a request over its rate (EC2 API Reference, "Error codes": RequestLimitExceeded).
          res.writeHead(503, { 'content-type': 'text/xml' });
          res.end(
            '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r</RequestID></Response>',
          );
          return;
        }
        // The set: one snapshot of each attached volume (the stand-in instance has vol-a and vol-b).
        const items = ['vol-a', 'vol-b']
          .map((v) => `<item><snapshotId>snap-${v}</snapshotId><volumeId>${v}</volumeId><state>pending</state></item>`)
          .join('');
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<CreateSnapshotsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><snapshotSet>${items}</snapshotSet></CreateSnapshotsResponse>`,
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('lets isolation go at the first attempt, and says the snapshots came on a later one', async () => {
    // Prepare: two volumes; EC2 refuses the first request
    const ec2 = new EC2Client({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 3,
    });
    refuse = 1;
    const instance: Instance = {
      InstanceId: 'i-1',
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-a' } },
        { DeviceName: '/dev/xvdf', Ebs: { VolumeId: 'vol-b' } },
      ],
    };
    let requestedAfter: number | undefined;
    const ctx = snapshotContext(ec2, instance, 'f1', () => {
      requestedAfter = seen.length;
    });

    // Act
    const outcomes = await snapshotVolumes.run(ctx, {});
    ec2.destroy();

    // Assess: isolation was let go once the first request was sent, before the second reached EC2; both outcomes say
    // their point in time may come after isolation began
    expect(seen.filter((s) => s === 'CreateSnapshots')).toHaveLength(2);
    expect(requestedAfter).toBeDefined();
    expect(requestedAfter).toBeLessThanOrEqual(seen.lastIndexOf('CreateSnapshots'));
    const late = ' (on attempt 2: the first request was refused, so its point in time may come after isolation began)';
    expect(outcomes.map((o) => [o.resource, o.status, o.detail])).toEqual([
      ['vol-a', 'done', `snapshot snap-vol-a started${late}`],
      ['vol-b', 'done', `snapshot snap-vol-b started${late}`],
    ]);
  });

  it('says nothing of a later attempt when the first one is taken', async () => {
    const ec2 = new EC2Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const instance: Instance = {
      InstanceId: 'i-1',
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-a' } },
        { DeviceName: '/dev/xvdf', Ebs: { VolumeId: 'vol-b' } },
      ],
    };
    const ctx = snapshotContext(ec2, instance, 'f2');
    seen.length = 0;
    const outcomes = await snapshotVolumes.run(ctx, {});
    ec2.destroy();
    expect(seen.filter((s) => s === 'CreateSnapshots')).toHaveLength(1);
    expect(outcomes.map((o) => o.detail)).toEqual(['snapshot snap-vol-a started', 'snapshot snap-vol-b started']);
  });
});
