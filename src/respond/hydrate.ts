import { GetFindingsCommand, GuardDutyClient } from '@aws-sdk/client-guardduty';
import { describeError } from '../errors';
import type { Finding } from '../findings/finding';
import { guardDutyFindingSchema } from '../findings/guardduty-schema';
import { camelCaseKeys, normalizeGuardDutyFinding } from '../findings/normalize';
import type { FindingRef } from '../findings/parse';
import type { GuardDutyArchiver } from '../guardduty/archiver';
import type { ClientFactory } from '../aws/clients';

/** GuardDuty accepts at most this many ids per GetFindings call. */
export const MAX_GET_FINDINGS_IDS = 50;

/**
 * Reads the full GuardDuty findings that Security Hub findings point to, from
 * the administrator's detector in each finding's region (the ASFF copy lacks
 * details such as every network interface). One call per 50 ids per region.
 * Returns a Finding, or the reason it could not be read, per finding ARN.
 */
export async function hydrateRefs(
  refs: readonly FindingRef[],
  clients: ClientFactory,
  archiver: GuardDutyArchiver,
): Promise<Map<string, Finding | Error>> {
  const out = new Map<string, Finding | Error>();
  const byRegion = new Map<string, FindingRef[]>();
  for (const ref of refs) byRegion.set(ref.region, [...(byRegion.get(ref.region) ?? []), ref]);
  // eslint-disable-next-line cordon/no-unbounded-fan-out -- one GetFindings loop per region: as many as AWS has regions
  await Promise.allSettled(
    [...byRegion].map(async ([region, list]) => {
      try {
        const detectorId = await archiver.detectorId(region);
        const client = clients.home(GuardDutyClient, region);
        for (let i = 0; i < list.length; i += MAX_GET_FINDINGS_IDS) {
          const chunk = list.slice(i, i + MAX_GET_FINDINGS_IDS);
          const res = await client.send(
            new GetFindingsCommand({ DetectorId: detectorId, FindingIds: [...new Set(chunk.map((r) => r.findingId))] }),
          );
          for (const ref of chunk) {
            const raw = res.Findings?.find((f) => f.Id === ref.findingId);
            if (!raw) {
              out.set(
                ref.arn,
                new Error(`GuardDuty finding ${ref.findingId} not found in the administrator detector ${detectorId} in ${region}`),
              );
              continue;
            }
            const parsed = guardDutyFindingSchema.safeParse(camelCaseKeys(raw));
            out.set(
              ref.arn,
              parsed.success
                ? normalizeGuardDutyFinding(parsed.data, ref.origin)
                : new Error(`GuardDuty returned a finding cordon cannot read: ${parsed.error.issues[0]?.message ?? 'invalid'}`),
            );
          }
        }
      } catch (err) {
        for (const ref of list)
          if (!out.has(ref.arn))
            out.set(ref.arn, new Error(`cannot read GuardDuty finding ${ref.findingId} in ${region}: ${describeError(err)}`));
      }
    }),
  );
  return out;
}
