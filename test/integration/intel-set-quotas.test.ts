import {
  CreateDetectorCommand,
  CreateThreatEntitySetCommand,
  CreateTrustedEntitySetCommand,
  GuardDutyClient,
} from '@aws-sdk/client-guardduty';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type LocalAws } from '../../local-aws';
import { MAX_THREAT_LISTS_PER_REGION, SET_NAMES, syncRegion, type RegionLists } from '../../src/intel/guardduty-sets';
import { HOME_CREDENTIALS, startLocal } from '../support/local';

/**
 * GuardDuty's per-region limits on lists, as cordon meets them: six threat
 * lists (entity and IP lists together) and one trusted list of each kind
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_upload-lists.html).
 * cordon never removes or replaces someone else's list: it reports why its own
 * could not be created, and creates nothing.
 */
describe('intel: GuardDuty list quotas', () => {
  let local: LocalAws;
  let gd: GuardDutyClient;
  let s3: S3Client;
  let detectorId: string;
  const region = 'us-east-1';
  const bucket = 'cordon-intel-quotas';
  const location = `s3://${bucket}/others.txt`;
  const lists: RegionLists = {
    location: (list, format) => `s3://${bucket}/cordon/intel/${list}-${format}.txt`,
    empty: () => false,
    inSync: () => false,
    bucketOwner: '123456789012',
  };

  beforeAll(async () => {
    local = await startLocal();
    const config = { endpoint: local.endpoint, region, credentials: HOME_CREDENTIALS, maxAttempts: 1 };
    gd = new GuardDutyClient(config);
    s3 = new S3Client({ ...config, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'others.txt', Body: '198.51.100.9\n' }));
    detectorId = (await gd.send(new CreateDetectorCommand({ Enable: true }))).DetectorId ?? '';
  }, 60_000);

  afterAll(async () => {
    gd?.destroy();
    s3?.destroy();
    await local?.stop();
  });

  it('creates neither of its lists in a region whose threat lists are full and whose trusted list is someone else’s, and says why', async () => {
    // Prepare: the region's six threat lists and its trusted list belong to others.
    for (let i = 0; i < MAX_THREAT_LISTS_PER_REGION; i += 1)
      await gd.send(
        new CreateThreatEntitySetCommand({
          DetectorId: detectorId,
          Name: `vendor-${i}`,
          Format: 'TXT',
          Location: location,
          Activate: true,
        }),
      );
    await gd.send(
      new CreateTrustedEntitySetCommand({ DetectorId: detectorId, Name: 'scanners', Format: 'TXT', Location: location, Activate: true }),
    );
    local.emulator.resetCalls();

    // Act
    const synced = await syncRegion(gd, region, lists, false);

    // Assess
    expect(synced).toEqual([
      expect.objectContaining({ list: 'threat', status: 'failed', detail: expect.stringContaining("6 threat lists, GuardDuty's limit") }),
      expect.objectContaining({ list: 'trusted', status: 'failed', detail: expect.stringContaining('already has a trusted entity list') }),
    ]);
    expect(local.emulator.calls().filter((c) => /^(Create|Update|Delete)/.test(c.operation))).toEqual([]);
    expect(local.emulator.guardDutyLists('123456789012', region).map((l) => l.name)).not.toContain(SET_NAMES.threat);
  }, 60_000);
});
