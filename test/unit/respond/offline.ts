import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileAuditStore } from '../../../src/audit/file-store';
import type { ClientFactory } from '../../../src/aws/clients';
import type { MemberCredentialsCache } from '../../../src/aws/credentials';
import { DEFAULT_CIRCUIT_LIMITS, DEFAULT_EXEMPT_TAG } from '../../../src/config/defaults';
import { NO_SUBJECT, type Finding } from '../../../src/findings/finding';
import type { ParsedItem } from '../../../src/findings/parse';
import type { GuardDutyArchiver } from '../../../src/guardduty/archiver';
import { CircuitBreaker } from '../../../src/respond/circuit';
import type { ResponderDeps } from '../../../src/respond/responder';
import type { FindingUpdate, SecurityHubWriter } from '../../../src/securityhub/writer';

/** The responder's clock in these tests. */
export const AT = '2026-11-24T10:00:00.000Z';

/** A GuardDuty finding about an instance in 111122223333, us-east-1 (override any field). */
export function findingOf(id: string, extra: Partial<Finding> = {}): Finding {
  return {
    id,
    arn: `arn:aws:guardduty:us-east-1:111122223333:detector/d1/finding/${id}`,
    accountId: '111122223333',
    region: 'us-east-1',
    partition: 'aws',
    type: 'Recon:EC2/Portscan',
    severity: 2,
    title: '',
    count: 1,
    archived: false,
    sample: false,
    updatedAt: AT,
    lastSeenAt: AT,
    detectorId: 'd1',
    resourceRole: 'ACTOR',
    resourceType: 'Instance',
    ...NO_SUBJECT,
    resources: [],
    sequence: undefined,
    instance: { instanceId: `i-${id}`, networkInterfaces: [], tags: {} },
    accessKey: undefined,
    buckets: [],
    remoteIps: [],
    origin: { kind: 'guardduty' },
    ...extra,
  };
}

/** Bare findings as `parseInput` hands them to the responder. */
export const asInput = (...findings: Finding[]): ParsedItem[] => findings.map((finding) => ({ kind: 'finding', where: 'test', finding }));

/**
 * The responder with no AWS behind it: an archiver that records each finding
 * it is asked to archive (and fails with `archiveError`, or `detectorError`
 * when asked for its detector), a writer that records every update, an audit file.
 */
export function offlineResponder(options: { dryRun?: boolean; archiveError?: Error; detectorError?: Error } = {}) {
  const archived: string[] = [];
  const archiver = {
    archive: async (f: Finding) => {
      archived.push(f.id);
      if (options.archiveError) throw options.archiveError;
    },
    detectorId: async () => {
      throw options.detectorError ?? new Error('no detector in these tests');
    },
  } as unknown as GuardDutyArchiver;
  const written: FindingUpdate[] = [];
  const writer = {
    write: async (updates: readonly FindingUpdate[]) => (
      written.push(...updates),
      new Map(updates.map((u) => [u.findingArn, { status: 'updated' as const, detail: 'ok' }]))
    ),
  } as unknown as SecurityHubWriter;
  const audit = new FileAuditStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-respond-')), 'audit.jsonl'));
  const deps: ResponderDeps = {
    clients: {} as ClientFactory,
    audit,
    archiver,
    dryRun: options.dryRun ?? false,
    now: () => new Date(AT),
    exemptTag: DEFAULT_EXEMPT_TAG,
    exemptResourceArns: [],
    exemptOus: new Set(),
    responderRoleName: 'cordon-responder',
    runbooks: [],
    policy: { threshold: 10, exemptAccounts: new Set() },
    circuit: new CircuitBreaker(audit, DEFAULT_CIRCUIT_LIMITS),
    credentials: { labelNextSession: () => undefined } as unknown as MemberCredentialsCache,
    writer,
    concurrency: 4,
    actor: 'alice',
  };
  return { deps, archived, written, audit };
}
