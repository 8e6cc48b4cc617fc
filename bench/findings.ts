/**
 * The benchmark's findings: real-shaped GuardDuty findings (local-aws/demo/findings.ts)
 * about the bench world's resources, in every family cordon's runbooks cover,
 * plus the two kinds of repeats a burst really has: the same event delivered
 * twice (SQS is at-least-once) and a finding GuardDuty re-publishes with a
 * higher count. Wrapped as SQS messages holding EventBridge events, in a
 * seeded shuffled order.
 */
import { guardDutyEvent, sampleFinding, mulberry32, shuffled } from '../local-aws';
import type { BenchSite } from './world';

/** The finding families of the mix, each a different runbook. */
export type Family = 'ec2-compromise' | 'ec2-attacked' | 'iam-credentials' | 's3-exposure' | 'low-severity';

/** Families in the order each site gets them. */
export const FAMILIES: readonly Family[] = ['ec2-compromise', 'ec2-attacked', 'iam-credentials', 's3-exposure', 'low-severity'];

const COMPROMISE_TYPES = ['CryptoCurrency:EC2/BitcoinTool.B!DNS', 'Backdoor:EC2/C&CActivity.B', 'Trojan:EC2/BlackholeTraffic'];

/** One SQS message of the burst. */
export interface BenchMessage {
  readonly messageId: string;
  /** An EventBridge "GuardDuty Finding" event, as JSON. */
  readonly body: string;
  readonly findingId: string;
  readonly findingArn: string;
  readonly accountId: string;
  readonly region: string;
  readonly family: Family;
  /** `unique`: first delivery; `duplicate`: the same event again; `republished`: a higher count. */
  readonly kind: 'unique' | 'duplicate' | 'republished';
}

/** The burst: messages in delivery order, and the findings to publish to GuardDuty/Security Hub first. */
export interface Burst {
  readonly messages: readonly BenchMessage[];
  /** In publish order (a re-published finding after its first version). */
  readonly published: ReadonlyArray<Record<string, unknown>>;
}

/** A finding of one family about a site's resources. */
export function findingFor(family: Family, site: BenchSite, index: number): Record<string, unknown> {
  const base = { accountId: site.accountId, region: site.region };
  switch (family) {
    case 'ec2-compromise':
      return sampleFinding(COMPROMISE_TYPES[index % COMPROMISE_TYPES.length] as string, { ...base, instance: site.compromised });
    case 'ec2-attacked':
      // A distinct attacker per site: each site's subnet ACL gets its own deny rules.
      return sampleFinding('UnauthorizedAccess:EC2/SSHBruteForce', {
        ...base,
        instance: site.attacked,
        resourceRole: 'TARGET',
        remoteIp: `198.51.100.${(index % 250) + 1}`,
      });
    case 'iam-credentials':
      return sampleFinding('Exfiltration:IAMUser/AnomalousBehavior', { ...base, accessKey: { ...site.user, userType: 'IAMUser' } });
    case 's3-exposure':
      return sampleFinding('Policy:S3/BucketAnonymousAccessGranted', { ...base, bucket: site.bucket });
    case 'low-severity':
      // Matched by a manual runbook: skipped without any AWS call.
      return sampleFinding('Recon:EC2/Portscan', { ...base, instance: site.compromised, severity: 5 });
  }
}

/**
 * `total` messages over the sites: each site gets one finding of each family
 * (as many sites as needed, in order), the rest of the total is split between
 * duplicates and re-published findings of families that act. When `total` is
 * below one finding per family per site, fewer sites are used.
 */
export function buildBurst(sites: readonly BenchSite[], total: number, seed: number): Burst {
  const random = mulberry32(seed);
  const uniqueCount = Math.min(total, sites.length * FAMILIES.length, Math.ceil(total * 0.8));
  const unique: Array<{ finding: Record<string, unknown>; family: Family; site: BenchSite }> = [];
  for (let i = 0; i < uniqueCount; i += 1) {
    const site = sites[Math.floor(i / FAMILIES.length) % sites.length] as BenchSite;
    const family = FAMILIES[i % FAMILIES.length] as Family;
    unique.push({ finding: findingFor(family, site, Math.floor(i / FAMILIES.length)), family, site });
  }
  const acting = unique.filter((u) => u.family !== 'low-severity');
  const messages: Array<Omit<BenchMessage, 'messageId'>> = [];
  const published: Array<Record<string, unknown>> = unique.map((u) => u.finding);
  const message = (finding: Record<string, unknown>, family: Family, kind: BenchMessage['kind']): Omit<BenchMessage, 'messageId'> => ({
    body: JSON.stringify(guardDutyEvent(finding)),
    findingId: String(finding.id),
    findingArn: String(finding.arn),
    accountId: String(finding.accountId),
    region: String(finding.region),
    family,
    kind,
  });
  for (const u of unique) messages.push(message(u.finding, u.family, 'unique'));
  const extras = total - uniqueCount;
  for (let i = 0; i < extras; i += 1) {
    const pick = acting[Math.floor(random() * acting.length)];
    if (!pick) break;
    if (i % 2 === 0) {
      messages.push(message(pick.finding, pick.family, 'duplicate'));
    } else {
      const service = pick.finding.service as Record<string, unknown>;
      const again = {
        ...pick.finding,
        updatedAt: '2026-11-24T10:05:00.000Z',
        service: { ...service, count: Number(service.count ?? 1) + 1 + i, eventLastSeen: '2026-11-24T10:04:00.000Z' },
      };
      published.push(again);
      messages.push(message(again, pick.family, 'republished'));
    }
  }
  return {
    messages: shuffled(messages, random).map((m, i) => ({ ...m, messageId: `msg-${String(i + 1).padStart(5, '0')}` })),
    published,
  };
}
