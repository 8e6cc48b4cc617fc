/**
 * GuardDuty state of the emulator: detectors per (account, region), findings
 * per detector, the organization's delegated administrator per region and the
 * administrator → member relationships.
 */
import type { Finding } from '@aws-sdk/client-guardduty';

import { ApiError } from '../errors';
import { hexId, iso, key } from '../util';

/** A feature's state on a detector. */
export interface FeatureState {
  status: 'ENABLED' | 'DISABLED';
  updatedAt: Date;
  additional: Map<string, { status: 'ENABLED' | 'DISABLED'; updatedAt: Date }>;
}

/** A detector. */
export interface Detector {
  readonly id: string;
  readonly accountId: string;
  readonly region: string;
  status: 'ENABLED' | 'DISABLED';
  findingPublishingFrequency: string;
  readonly features: Map<string, FeatureState>;
  tags: Record<string, string>;
  readonly createdAt: string;
  updatedAt: string;
}

/** An administrator → member relationship. */
export interface MemberRecord {
  readonly accountId: string;
  readonly administratorId: string;
  email: string;
  relationshipStatus: 'Created' | 'Invited' | 'Enabled' | 'Disabled' | 'Removed' | 'Resigned';
  invitedAt: string | undefined;
  updatedAt: string;
}

/** The delegated administrator's organization configuration in a region. */
export interface OrgConfiguration {
  autoEnableOrganizationMembers: 'NEW' | 'ALL' | 'NONE';
  readonly features: Map<string, { autoEnable: 'NEW' | 'ALL' | 'NONE'; additional: Map<string, 'NEW' | 'ALL' | 'NONE'> }>;
}

/** The organization's delegated administrator in one region. */
export interface OrgAdmin {
  readonly adminAccountId: string;
  readonly managementAccountId: string | undefined;
}

/** Features GuardDuty turns on with every detector (foundational data sources). */
export const FOUNDATIONAL_FEATURES = ['CLOUD_TRAIL', 'DNS_LOGS', 'FLOW_LOGS'] as const;

/** Optional protection plans, off unless requested. */
export const OPTIONAL_FEATURES = [
  'S3_DATA_EVENTS',
  'EKS_AUDIT_LOGS',
  'EBS_MALWARE_PROTECTION',
  'RDS_LOGIN_EVENTS',
  'LAMBDA_NETWORK_LOGS',
  'RUNTIME_MONITORING',
] as const;

/**
 * Protection plans GuardDuty does not offer in some regions, from the GuardDuty
 * user guide's "Region-specific feature availability"
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_regions.html):
 * "RDS Protection is not supported in Asia Pacific (Taipei) (ap-east-2)
 * Region." A detector there has no such feature, and a request naming it is
 * rejected. Kept apart from cordon's own table (src/org/features.ts) on
 * purpose: the emulator checks cordon, it does not copy it.
 */
export const FEATURES_NOT_OFFERED: Readonly<Record<string, readonly string[]>> = {
  RDS_LOGIN_EVENTS: ['ap-east-2'],
};

/** True when GuardDuty offers the feature in the region. */
export function featureOffered(feature: string, region: string): boolean {
  return !(FEATURES_NOT_OFFERED[feature] ?? []).includes(region);
}

/** The optional protection plans GuardDuty offers in a region. */
export function optionalFeaturesIn(region: string): string[] {
  return OPTIONAL_FEATURES.filter((f) => featureOffered(f, region));
}

/**
 * Rejects a request naming a feature GuardDuty does not offer in the region.
 * AWS's exact answer is not documented; the emulator rejects (the stricter
 * choice) so that a caller must consult the availability table.
 */
export function assertFeaturesOffered(features: ReadonlyArray<{ readonly Name?: string }> | undefined, region: string): void {
  const missing = (features ?? []).map((f) => f.Name ?? '').filter((name) => name !== '' && !featureOffered(name, region));
  if (missing.length > 0) {
    throw new ApiError(
      'BadRequestException',
      `The request is rejected because ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not available in ${region}.`,
    );
  }
}

/** All GuardDuty state of one emulator. */
export class GuardDutyStore {
  private readonly detectors = new Map<string, Detector>();
  private readonly detectorsById = new Map<string, Detector>();
  private readonly findings = new Map<string, Map<string, Finding>>();
  private readonly orgAdmins = new Map<string, OrgAdmin>();
  private readonly members = new Map<string, Map<string, MemberRecord>>();
  private readonly orgConfigs = new Map<string, OrgConfiguration>();

  /** The detector of an account in a region, if any. */
  public detectorOf(accountId: string, region: string): Detector | undefined {
    return this.detectors.get(key(accountId, region));
  }

  /** Create a detector (callers check that none exists when AWS would refuse). */
  public createDetector(accountId: string, region: string, now: Date, enabled = true): Detector {
    const stamp = iso(now);
    const features = new Map<string, FeatureState>();
    for (const name of FOUNDATIONAL_FEATURES) features.set(name, { status: 'ENABLED', updatedAt: now, additional: new Map() });
    for (const name of optionalFeaturesIn(region)) features.set(name, { status: 'DISABLED', updatedAt: now, additional: new Map() });
    const detector: Detector = {
      id: hexId(32),
      accountId,
      region,
      status: enabled ? 'ENABLED' : 'DISABLED',
      findingPublishingFrequency: 'SIX_HOURS',
      features,
      tags: {},
      createdAt: stamp,
      updatedAt: stamp,
    };
    this.detectors.set(key(accountId, region), detector);
    this.detectorsById.set(detector.id, detector);
    return detector;
  }

  /** The detector of an account, creating it when absent. */
  public ensureDetector(accountId: string, region: string, now: Date): Detector {
    return this.detectorOf(accountId, region) ?? this.createDetector(accountId, region, now);
  }

  /** Remove a detector and its findings. */
  public deleteDetector(detector: Detector): void {
    this.detectors.delete(key(detector.accountId, detector.region));
    this.detectorsById.delete(detector.id);
    this.findings.delete(key(detector.accountId, detector.region));
  }

  /**
   * The caller's own detector with that id, or AWS's BadRequestException
   * (GuardDuty answers this way for an id that is unknown or not the caller's).
   */
  public ownedDetector(detectorId: string, accountId: string, region: string): Detector {
    const detector = this.detectorsById.get(detectorId);
    if (!detector || detector.accountId !== accountId || detector.region !== region) {
      throw new ApiError(
        'BadRequestException',
        'The request is rejected because the input detectorId is not owned by the current account.',
      );
    }
    return detector;
  }

  /** Findings stored in an account's detector in a region (insertion order). */
  public findingsOf(accountId: string, region: string): Map<string, Finding> {
    const k = key(accountId, region);
    let map = this.findings.get(k);
    if (!map) {
      map = new Map();
      this.findings.set(k, map);
    }
    return map;
  }

  /** The delegated administrator of a region, if any. */
  public orgAdmin(region: string): OrgAdmin | undefined {
    return this.orgAdmins.get(region);
  }

  /** Record (or clear) the delegated administrator of a region. */
  public setOrgAdmin(region: string, admin: OrgAdmin | undefined): void {
    if (admin) this.orgAdmins.set(region, admin);
    else this.orgAdmins.delete(region);
  }

  /** Every region's delegated administrator. */
  public allOrgAdmins(): ReadonlyMap<string, OrgAdmin> {
    return this.orgAdmins;
  }

  /** Members of an administrator in a region. */
  public membersOf(adminAccountId: string, region: string): Map<string, MemberRecord> {
    const k = key(adminAccountId, region);
    let map = this.members.get(k);
    if (!map) {
      map = new Map();
      this.members.set(k, map);
    }
    return map;
  }

  /** The administrator an account is a member of in a region (any relationship), if any. */
  public membershipOf(memberAccountId: string, region: string): MemberRecord | undefined {
    for (const [k, map] of this.members) {
      if (!k.endsWith(`|${region}`)) continue;
      const record = map.get(memberAccountId);
      if (record) return record;
    }
    return undefined;
  }

  /** The administrator whose enabled member the account is, if any. */
  public administratorOf(memberAccountId: string, region: string): string | undefined {
    const record = this.membershipOf(memberAccountId, region);
    return record?.relationshipStatus === 'Enabled' ? record.administratorId : undefined;
  }

  /** The organization configuration of an administrator in a region (defaults: NONE). */
  public orgConfig(adminAccountId: string, region: string): OrgConfiguration {
    const k = key(adminAccountId, region);
    let config = this.orgConfigs.get(k);
    if (!config) {
      config = { autoEnableOrganizationMembers: 'NONE', features: new Map() };
      this.orgConfigs.set(k, config);
    }
    return config;
  }
}
