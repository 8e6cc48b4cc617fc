/**
 * The new Security Hub's findings (OCSF): GuardDuty findings as the new
 * Security Hub holds them in an account and region where it is enabled, and
 * BatchUpdateFindingsV2 (status, severity and comment), validated against
 * botocore's model by the service (lists of ≤ 100, required identifier
 * fields) and here for what the model states only in words: MetadataUids or
 * FindingIdentifiers, not both; Comment 1-512 characters; StatusId in
 * [0, 1, 2, 3, 4, 5, 99], SeverityId in [0, 1, 2, 3, 4, 5, 6, 99]. A caller
 * updates the findings of its own account and, as Security Hub's
 * administrator, of its members; others are unprocessed
 * (ResourceNotFoundException). Updates do not change `finding_info.modified_time_dt`.
 */
import { createHash } from 'node:crypto';

import type { Finding } from '@aws-sdk/client-guardduty';
import type {
  BatchUpdateFindingsV2ProcessedFinding,
  BatchUpdateFindingsV2Request,
  BatchUpdateFindingsV2Response,
  BatchUpdateFindingsV2UnprocessedFinding,
  OcsfFindingIdentifier,
} from '@aws-sdk/client-securityhub';

import { ApiError } from '../errors';
import { typed, type Handler } from '../service';
import { key } from '../util';
import type { OcsfFinding, SecurityHubStore } from './store';

export type { OcsfFinding } from './store';

const STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'New',
  2: 'In Progress',
  3: 'Suppressed',
  4: 'Resolved',
  5: 'Archived',
  99: 'Other',
};
const SEVERITY_NAMES: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'Informational',
  2: 'Low',
  3: 'Medium',
  4: 'High',
  5: 'Critical',
  6: 'Fatal',
  99: 'Other',
};
const MAX_COMMENT_CHARS = 512;

/** OCSF severity_id of a GuardDuty score (GuardDuty's bands: low < 4, medium < 7, high < 9, critical). */
function severityId(score: number): number {
  if (score >= 9) return 5;
  if (score >= 7) return 4;
  if (score >= 4) return 3;
  return 2;
}

/** The OCSF finding the new Security Hub holds for a GuardDuty finding. */
export function guardDutyToOcsf(f: Finding, previous: OcsfFinding | undefined): OcsfFinding {
  const partition = f.Partition ?? 'aws';
  const region = f.Region ?? '';
  const arn = f.Arn ?? '';
  const sev = severityId(f.Severity ?? 0);
  return {
    class_uid: 2004,
    class_name: 'Detection Finding',
    activity_id: previous ? 2 : 1,
    // Customer-owned fields survive the provider's updates.
    status_id: previous?.status_id ?? 1,
    status: previous?.status ?? 'New',
    severity_id: previous?.severity_id ?? sev,
    severity: previous?.severity ?? (SEVERITY_NAMES[sev] as string),
    ...(previous?.comment !== undefined ? { comment: previous.comment } : {}),
    cloud: { account: { uid: f.AccountId ?? '', type: 'AWS Account' }, region, cloud_partition: partition, provider: 'AWS' },
    finding_info: {
      uid: arn,
      uid_alt: f.Id ?? '',
      title: f.Title ?? f.Type ?? 'GuardDuty finding',
      desc: f.Description ?? f.Title ?? '',
      types: [f.Type ?? 'Unknown'],
      created_time_dt: f.CreatedAt ?? '',
      modified_time_dt: f.UpdatedAt ?? '',
    },
    metadata: {
      uid: createHash('sha256').update(`${region}|${arn}`).digest('hex'),
      version: '1.5.0',
      product: { name: 'GuardDuty', vendor_name: 'AWS', uid: `arn:${partition}:securityhub:${region}::productv2/aws/guardduty` },
    },
  };
}

/** Records a GuardDuty finding in the new Security Hub of its region, when the account or its administrator has it on. */
export function importOcsf(store: SecurityHubStore, f: Finding): void {
  const region = f.Region ?? '';
  const account = f.AccountId ?? '';
  const admin = store.administratorOf(account, region);
  if (!store.v2HubOf(account, region) && !(admin && store.v2HubOf(admin, region))) return;
  const findings = store.ocsfFindingsIn(region);
  const k = f.Arn ?? '';
  findings.set(k, guardDutyToOcsf(f, findings.get(k)));
}

function identifierKey(i: OcsfFindingIdentifier): string {
  return key(i.CloudAccountUid ?? '', i.FindingInfoUid ?? '', i.MetadataProductUid ?? '');
}

/** The new Security Hub's finding operations. */
export function ocsfFindingHandlers(store: SecurityHubStore): Record<string, Handler> {
  return {
    BatchUpdateFindingsV2: typed<BatchUpdateFindingsV2Request, BatchUpdateFindingsV2Response>((ctx, input) => {
      if (!store.v2HubOf(ctx.accountId, ctx.region))
        throw new ApiError('AccessDeniedException', `Security Hub is not enabled for account ${ctx.accountId} in ${ctx.region}`);
      const byUid = input.MetadataUids !== undefined && input.MetadataUids.length > 0;
      const byIdentifier = input.FindingIdentifiers !== undefined && input.FindingIdentifiers.length > 0;
      if (byUid === byIdentifier)
        throw new ApiError('ValidationException', 'Provide either MetadataUids or FindingIdentifiers, not both and not neither');
      if (input.Comment === undefined && input.StatusId === undefined && input.SeverityId === undefined)
        throw new ApiError('ValidationException', 'Provide at least one of Comment, SeverityId or StatusId');
      if (input.Comment !== undefined && (input.Comment.length < 1 || input.Comment.length > MAX_COMMENT_CHARS))
        throw new ApiError('ValidationException', `Comment must be 1 to ${MAX_COMMENT_CHARS} characters`);
      if (input.StatusId !== undefined && (!(input.StatusId in STATUS_NAMES) || input.StatusId === 6))
        throw new ApiError('ValidationException', `StatusId ${input.StatusId} is not one of 0, 1, 2, 3, 4, 5, 99`);
      if (input.SeverityId !== undefined && !(input.SeverityId in SEVERITY_NAMES))
        throw new ApiError('ValidationException', `SeverityId ${input.SeverityId} is not one of 0, 1, 2, 3, 4, 5, 6, 99`);
      const findings = store.ocsfFindingsIn(ctx.region);
      const visible = [...findings.values()].filter((f) => {
        const owner = f.cloud.account.uid;
        return owner === ctx.accountId || store.administratorOf(owner, ctx.region) === ctx.accountId;
      });
      const processed: BatchUpdateFindingsV2ProcessedFinding[] = [];
      const unprocessed: BatchUpdateFindingsV2UnprocessedFinding[] = [];
      const apply = (f: OcsfFinding): void => {
        if (input.Comment !== undefined) f.comment = input.Comment;
        if (input.StatusId !== undefined) {
          f.status_id = input.StatusId;
          f.status = STATUS_NAMES[input.StatusId] as string;
        }
        if (input.SeverityId !== undefined) {
          f.severity_id = input.SeverityId;
          f.severity = SEVERITY_NAMES[input.SeverityId] as string;
        }
      };
      if (byIdentifier) {
        const index = new Map(
          visible.map((f) => [
            identifierKey({
              CloudAccountUid: f.cloud.account.uid,
              FindingInfoUid: f.finding_info.uid,
              MetadataProductUid: f.metadata.product.uid,
            }),
            f,
          ]),
        );
        for (const ident of input.FindingIdentifiers ?? []) {
          const f = index.get(identifierKey(ident));
          if (!f) {
            unprocessed.push({ FindingIdentifier: ident, ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Finding not found' });
            continue;
          }
          apply(f);
          processed.push({ FindingIdentifier: ident, MetadataUid: f.metadata.uid });
        }
      } else {
        const index = new Map(visible.map((f) => [f.metadata.uid, f]));
        for (const uid of input.MetadataUids ?? []) {
          const f = index.get(uid);
          if (!f) {
            unprocessed.push({ MetadataUid: uid, ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Finding not found' });
            continue;
          }
          apply(f);
          processed.push({ MetadataUid: uid });
        }
      }
      return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
    }),
  };
}
