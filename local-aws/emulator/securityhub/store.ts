/**
 * Security Hub state of the emulator: hubs per (account, region), findings per
 * region keyed by (ProductArn, Id), custom action targets, the organization's
 * administrator per region and its members, and finding aggregators.
 */
import type { AwsSecurityFinding, Policy } from '@aws-sdk/client-securityhub';

import { ApiError } from '../errors';
import { key } from '../util';

/** An enabled hub. */
export interface Hub {
  readonly accountId: string;
  readonly region: string;
  readonly hubArn: string;
  readonly subscribedAt: string;
  autoEnableControls: boolean;
  controlFindingGenerator: 'STANDARD_CONTROL' | 'SECURITY_CONTROL';
  /** ARNs of the standards enabled in the account (paid checks: what an operator must choose). */
  readonly standards: Set<string>;
}

/**
 * The standards Security Hub CSPM calls default: "AWS Foundational Security
 * Best Practices v1.0.0 and Center for Internet Security (CIS) AWS
 * Foundations Benchmark v1.2.0"
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-auto-enabled-standards.html).
 */
export function defaultStandards(region: string): string[] {
  return [
    `arn:aws:securityhub:${region}::standards/aws-foundational-security-best-practices/v/1.0.0`,
    'arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0',
  ];
}

/** The organization's central configuration: its delegated administrator and home region. */
export interface CentralConfiguration {
  readonly adminAccountId: string;
  readonly homeRegion: string;
}

/** A configuration policy (central configuration). */
export interface ConfigurationPolicyRecord {
  readonly id: string;
  readonly arn: string;
  readonly name: string;
  readonly description: string | undefined;
  readonly policy: Policy;
  readonly createdAt: Date;
}

/** A target's association with a configuration policy or with self-managed behaviour. */
export interface PolicyAssociation {
  /** A configuration policy's id, or `SELF_MANAGED_SECURITY_HUB`. */
  readonly policyId: string;
  readonly targetId: string;
  readonly targetType: 'ACCOUNT' | 'ORGANIZATIONAL_UNIT' | 'ROOT';
  readonly updatedAt: Date;
}

/** A stored finding and which customer-controlled fields BatchUpdateFindings has set. */
export interface StoredFinding {
  finding: AwsSecurityFinding;
  readonly customerUpdated: Set<string>;
}

/** A custom action target. */
export interface ActionTargetRecord {
  readonly arn: string;
  readonly name: string;
  readonly description: string;
}

/** An administrator → member relationship. */
export interface HubMember {
  readonly accountId: string;
  readonly administratorId: string;
  email: string | undefined;
  memberStatus: 'Created' | 'Invited' | 'Enabled' | 'Removed' | 'Resigned' | 'Deleted' | 'AccountSuspended';
  readonly invitedAt: Date;
  updatedAt: Date;
}

/** A finding aggregator (one per account). */
export interface Aggregator {
  readonly arn: string;
  readonly accountId: string;
  readonly homeRegion: string;
  linkingMode: string;
  regions: string[];
}

/** The administrator's organization configuration in a region. */
export interface HubOrgConfig {
  autoEnable: boolean;
  /** The organization's accounts when AutoEnable was turned on: AutoEnable enrolls only accounts that join after. */
  accountsWhenAutoEnabled: ReadonlySet<string>;
  autoEnableStandards: 'NONE' | 'DEFAULT';
  configurationType: 'CENTRAL' | 'LOCAL';
}

/** A finding of the new Security Hub: an OCSF Detection Finding as the emulator keeps it (the fields cordon and its tests read). */
export interface OcsfFinding {
  class_uid: 2004;
  class_name: 'Detection Finding';
  activity_id: number;
  status_id: number;
  status: string;
  severity_id: number;
  severity: string;
  comment?: string;
  cloud: { account: { uid: string; type: 'AWS Account' }; region: string; cloud_partition: string; provider: 'AWS' };
  finding_info: {
    uid: string;
    uid_alt: string;
    title: string;
    desc: string;
    types: string[];
    created_time_dt: string;
    modified_time_dt: string;
  };
  metadata: { uid: string; version: string; product: { name: 'GuardDuty'; vendor_name: 'AWS'; uid: string } };
}

/** All Security Hub state of one emulator. */
export class SecurityHubStore {
  private readonly hubs = new Map<string, Hub>();
  private readonly findings = new Map<string, Map<string, StoredFinding>>();
  private readonly actionTargets = new Map<string, Map<string, ActionTargetRecord>>();
  private readonly orgAdmins = new Map<string, { adminAccountId: string; managementAccountId: string | undefined }>();
  private readonly members = new Map<string, Map<string, HubMember>>();
  private readonly aggregators = new Map<string, Aggregator>();
  private readonly orgConfigs = new Map<string, HubOrgConfig>();
  private readonly v2Hubs = new Map<string, { readonly arn: string; readonly subscribedAt: string }>();
  private readonly ocsfFindings = new Map<string, Map<string, OcsfFinding>>();
  /** The organization's central configuration, once started. */
  public central: CentralConfiguration | undefined;
  /** Configuration policies, by id. */
  public readonly configurationPolicies = new Map<string, ConfigurationPolicyRecord>();
  /** Configuration policy associations, by target id. */
  public readonly associations = new Map<string, PolicyAssociation>();

  /** The hub of an account in a region, if enabled. */
  public hubOf(accountId: string, region: string): Hub | undefined {
    return this.hubs.get(key(accountId, region));
  }

  /** Enable a hub (idempotent for seeding; the API handler refuses a second one). */
  public enableHub(accountId: string, region: string, now: Date): Hub {
    const existing = this.hubOf(accountId, region);
    if (existing) return existing;
    const hub: Hub = {
      accountId,
      region,
      hubArn: `arn:aws:securityhub:${region}:${accountId}:hub/default`,
      subscribedAt: now.toISOString(),
      autoEnableControls: true,
      controlFindingGenerator: 'SECURITY_CONTROL',
      standards: new Set(),
    };
    this.hubs.set(key(accountId, region), hub);
    return hub;
  }

  /** Disable a hub. */
  public disableHub(accountId: string, region: string): void {
    this.hubs.delete(key(accountId, region));
  }

  /** The caller's hub, or AWS's InvalidAccessException for an unsubscribed account. */
  public requireHub(accountId: string, region: string): Hub {
    const hub = this.hubOf(accountId, region);
    if (!hub) {
      throw new ApiError(
        'InvalidAccessException',
        `Account ${accountId} is not subscribed to AWS Security Hub in ${region} (emulator: call EnableSecurityHub, or seedOrganization)`,
      );
    }
    return hub;
  }

  /** Findings imported in a region, keyed by ProductArn + Id. */
  public findingsIn(region: string): Map<string, StoredFinding> {
    let map = this.findings.get(region);
    if (!map) {
      map = new Map();
      this.findings.set(region, map);
    }
    return map;
  }

  /** Action targets of an account in a region, keyed by ARN. */
  public actionTargetsOf(accountId: string, region: string): Map<string, ActionTargetRecord> {
    const k = key(accountId, region);
    let map = this.actionTargets.get(k);
    if (!map) {
      map = new Map();
      this.actionTargets.set(k, map);
    }
    return map;
  }

  /** The organization's Security Hub administrator in a region. */
  public orgAdmin(region: string): { adminAccountId: string; managementAccountId: string | undefined } | undefined {
    return this.orgAdmins.get(region);
  }

  /** Record or clear the administrator of a region. */
  public setOrgAdmin(region: string, admin: { adminAccountId: string; managementAccountId: string | undefined } | undefined): void {
    if (admin) this.orgAdmins.set(region, admin);
    else this.orgAdmins.delete(region);
  }

  /** Every region's administrator. */
  public allOrgAdmins(): ReadonlyMap<string, { adminAccountId: string; managementAccountId: string | undefined }> {
    return this.orgAdmins;
  }

  /** Members of an administrator in a region. */
  public membersOf(adminAccountId: string, region: string): Map<string, HubMember> {
    const k = key(adminAccountId, region);
    let map = this.members.get(k);
    if (!map) {
      map = new Map();
      this.members.set(k, map);
    }
    return map;
  }

  /** The administrator whose enabled member the account is in a region, if any. */
  public administratorOf(memberAccountId: string, region: string): string | undefined {
    for (const [k, map] of this.members) {
      if (!k.endsWith(`|${region}`)) continue;
      const m = map.get(memberAccountId);
      if (m?.memberStatus === 'Enabled') return m.administratorId;
    }
    return undefined;
  }

  /** The finding aggregator of an account, if any. */
  public aggregatorOf(accountId: string): Aggregator | undefined {
    return this.aggregators.get(accountId);
  }

  /** Set or remove an account's aggregator. */
  public setAggregator(accountId: string, aggregator: Aggregator | undefined): void {
    if (aggregator) this.aggregators.set(accountId, aggregator);
    else this.aggregators.delete(accountId);
  }

  /** The new Security Hub (v2) of an account in a region, if enabled. */
  public v2HubOf(accountId: string, region: string): { readonly arn: string; readonly subscribedAt: string } | undefined {
    return this.v2Hubs.get(key(accountId, region));
  }

  /** The new Security Hub's findings in a region, by GuardDuty finding ARN. */
  public ocsfFindingsIn(region: string): Map<string, OcsfFinding> {
    let findings = this.ocsfFindings.get(region);
    if (!findings) {
      findings = new Map();
      this.ocsfFindings.set(region, findings);
    }
    return findings;
  }

  /** Enable the new Security Hub (v2) in an account and region. */
  public enableV2Hub(accountId: string, region: string, now: Date): { readonly arn: string; readonly subscribedAt: string } {
    const hub = this.v2HubOf(accountId, region) ?? {
      arn: `arn:aws:securityhub:${region}:${accountId}:hubv2/${accountId}`,
      subscribedAt: now.toISOString(),
    };
    this.v2Hubs.set(key(accountId, region), hub);
    return hub;
  }

  /** The organization configuration of an administrator in a region. */
  public orgConfig(adminAccountId: string, region: string): HubOrgConfig {
    const k = key(adminAccountId, region);
    let config = this.orgConfigs.get(k);
    if (!config) {
      config = { autoEnable: false, accountsWhenAutoEnabled: new Set(), autoEnableStandards: 'DEFAULT', configurationType: 'LOCAL' };
      this.orgConfigs.set(k, config);
    }
    return config;
  }
}
