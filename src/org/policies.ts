/**
 * AWS Organizations policies that enable GuardDuty or Security Hub for the
 * organization (`GUARDDUTY_POLICY`, `SECURITYHUB_POLICY`): which exist and
 * are attached, and which GuardDuty protection plans a GuardDuty policy
 * manages. cordon leaves what such a policy manages to it: "Managed
 * protection plans are read-only in the console and API"
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-organization-policies-considerations.html).
 * Read-only.
 */
import {
  DescribePolicyCommand,
  OrganizationsClient,
  paginateListPolicies,
  paginateListTargetsForPolicy,
  type PolicyType,
} from '@aws-sdk/client-organizations';

import { PROTECTION_PLANS } from './features';

/** An attached policy of one of the two types. */
export interface OrganizationPolicy {
  readonly id: string;
  readonly name: string;
  readonly type: 'GUARDDUTY_POLICY' | 'SECURITYHUB_POLICY';
  /** GuardDuty features (`S3_DATA_EVENTS`…) the policy manages; empty for a Security Hub policy. */
  readonly managedFeatures: readonly string[];
}

/**
 * The GuardDuty features a GuardDuty policy's content names (pure): its keys
 * are the features' names in lower case (`s3_data_events`,
 * `ebs_malware_protection`…, per
 * https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_guardduty.html),
 * at whatever depth the default and region blocks put them. Content that is
 * not JSON names none.
 */
export function guardDutyPolicyFeatures(content: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    // Organizations only stores valid documents; anything else manages nothing cordon knows of.
    return [];
  }
  const keys = new Set(keysOf(parsed).map((k) => k.toUpperCase()));
  return PROTECTION_PLANS.map((p) => p.feature).filter((f) => keys.has(f));
}

function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]);
}

/** The attached policies of `type`, with what a GuardDuty policy manages. */
export async function readOrganizationPolicies(orgs: OrganizationsClient, type: OrganizationPolicy['type']): Promise<OrganizationPolicy[]> {
  const found: OrganizationPolicy[] = [];
  for await (const page of paginateListPolicies({ client: orgs }, { Filter: type as PolicyType })) {
    for (const summary of page.Policies ?? []) {
      const id = summary.Id ?? '';
      let attached = false;
      for await (const targets of paginateListTargetsForPolicy({ client: orgs }, { PolicyId: id })) {
        if ((targets.Targets ?? []).length > 0) attached = true;
      }
      if (!attached) continue;
      const content =
        type === 'GUARDDUTY_POLICY' ? ((await orgs.send(new DescribePolicyCommand({ PolicyId: id }))).Policy?.Content ?? '') : '';
      found.push({
        id,
        name: summary.Name ?? id,
        type,
        managedFeatures: type === 'GUARDDUTY_POLICY' ? guardDutyPolicyFeatures(content) : [],
      });
    }
  }
  return found;
}
