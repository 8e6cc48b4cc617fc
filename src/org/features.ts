/**
 * GuardDuty protection plans as cordon names them on the command line, and
 * the feature-level configuration (`Features`, never the deprecated
 * `DataSources`) each one stands for.
 */
import type {
  MemberFeaturesConfiguration,
  OrganizationFeatureConfiguration,
  OrgFeature,
  OrgFeatureAdditionalConfiguration,
} from '@aws-sdk/client-guardduty';

/** A protection plan cordon can turn on. */
export interface ProtectionPlan {
  /** Name on the command line and in `CORDON_FEATURES`. */
  readonly key: string;
  /** GuardDuty's feature name. */
  readonly feature: OrgFeature;
  /** Additional configuration turned on with the plan (agent management for runtime monitoring). */
  readonly additional: readonly OrgFeatureAdditionalConfiguration[];
  /** What it protects, for `--help`. */
  readonly summary: string;
}

/** Every protection plan, in display order. Foundational sources (CloudTrail, DNS, VPC flow logs) are always on. */
export const PROTECTION_PLANS: readonly ProtectionPlan[] = [
  { key: 's3', feature: 'S3_DATA_EVENTS', additional: [], summary: 'S3 Protection (S3 data events)' },
  { key: 'eks', feature: 'EKS_AUDIT_LOGS', additional: [], summary: 'EKS Protection (EKS audit logs)' },
  { key: 'malware', feature: 'EBS_MALWARE_PROTECTION', additional: [], summary: 'Malware Protection for EC2 (EBS scans on findings)' },
  { key: 'rds', feature: 'RDS_LOGIN_EVENTS', additional: [], summary: 'RDS Protection (Aurora/RDS login events)' },
  { key: 'lambda', feature: 'LAMBDA_NETWORK_LOGS', additional: [], summary: 'Lambda Protection (Lambda network activity)' },
  {
    key: 'runtime',
    feature: 'RUNTIME_MONITORING',
    additional: ['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT'],
    summary: 'Runtime Monitoring with automated agents (EKS, ECS Fargate, EC2)',
  },
];

/**
 * Plans on by default. Runtime Monitoring is left out: it deploys a security
 * agent into every EKS cluster, ECS task and EC2 instance, a change to
 * production workloads that an operator should choose explicitly.
 */
export const DEFAULT_PLAN_KEYS: readonly string[] = ['s3', 'eks', 'malware', 'rds', 'lambda'];

/** The plan with a cordon key or a GuardDuty feature name (case-insensitive). */
export function findPlan(name: string): ProtectionPlan | undefined {
  const wanted = name.trim().toLowerCase();
  return PROTECTION_PLANS.find((p) => p.key === wanted || p.feature.toLowerCase() === wanted);
}

/** The cordon key of a GuardDuty feature name, or the name itself when cordon does not manage it. */
export function planKeyOf(feature: string): string {
  return PROTECTION_PLANS.find((p) => p.feature === feature)?.key ?? feature;
}

/** True when `plan` is on in `enabled` (feature name → its enabled additional configuration). */
export function planOn(enabled: ReadonlyMap<string, ReadonlySet<string>>, plan: ProtectionPlan): boolean {
  const extra = enabled.get(plan.feature);
  return extra !== undefined && plan.additional.every((a) => extra.has(a));
}

/**
 * Protection plans GuardDuty does not offer in some regions, by GuardDuty
 * feature name, from the GuardDuty user guide's "Region-specific feature
 * availability" (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_regions.html):
 * "RDS Protection is not supported in Asia Pacific (Taipei) (ap-east-2)
 * Region." A plan not offered in a region is neither asked for there nor
 * counted as missing; the report says so once per region. Update this table
 * when that page changes.
 */
export const PLANS_NOT_OFFERED: Readonly<Partial<Record<OrgFeature, readonly string[]>>> = {
  RDS_LOGIN_EVENTS: ['ap-east-2'],
};

/** True when GuardDuty offers the plan in the region (pure). */
export function planOffered(plan: ProtectionPlan, region: string): boolean {
  return !(PLANS_NOT_OFFERED[plan.feature] ?? []).includes(region);
}

/** The plans GuardDuty offers in a region, and those it does not (pure). */
export function plansIn(
  plans: readonly ProtectionPlan[],
  region: string,
): { readonly offered: readonly ProtectionPlan[]; readonly notOffered: readonly ProtectionPlan[] } {
  return { offered: plans.filter((p) => planOffered(p, region)), notOffered: plans.filter((p) => !planOffered(p, region)) };
}

/**
 * Detector-level configuration of plans: the security account's own detector
 * (Create/UpdateDetector) and members' detectors (UpdateMemberDetectors).
 * Typed as the member shape: plans name organization features, which every
 * detector accepts too (the detector's feature names are a superset).
 */
export function detectorFeatures(plans: readonly ProtectionPlan[]): MemberFeaturesConfiguration[] {
  return plans.map((p) => ({
    Name: p.feature,
    Status: 'ENABLED',
    AdditionalConfiguration: p.additional.length > 0 ? p.additional.map((a) => ({ Name: a, Status: 'ENABLED' })) : undefined,
  }));
}

/** Organization-level configuration of plans: on for every member, existing and new. */
export function organizationFeatures(plans: readonly ProtectionPlan[]): OrganizationFeatureConfiguration[] {
  return plans.map((p) => ({
    Name: p.feature,
    AutoEnable: 'ALL',
    AdditionalConfiguration: p.additional.length > 0 ? p.additional.map((a) => ({ Name: a, AutoEnable: 'ALL' })) : undefined,
  }));
}
