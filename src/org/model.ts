/**
 * The types that flow through organization enablement and coverage:
 * discover → read region state → plan → apply → report. Each arrow is a
 * function with one of these as input and output.
 */
import type { ProtectionPlan } from './features';
import type { OrganizationPolicy } from './policies';

/** An account of the organization as Organizations lists it. */
export interface OrgAccount {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  /** `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`… (Organizations' `State`, or the older `Status`). */
  readonly state: string;
}

/** Opt-in status of a region for an account; UNKNOWN when the Account API would not tell. */
export type RegionOptState = 'ENABLED' | 'ENABLED_BY_DEFAULT' | 'DISABLED' | 'ENABLING' | 'DISABLING' | 'UNKNOWN';

/** Who runs cordon: the management account does everything; the security account only its own part. */
export type CallerRole = 'management' | 'admin';

/** The organization, its accounts and the regions to cover, as discovered. */
export interface Organization {
  readonly callerAccountId: string;
  readonly callerRole: CallerRole;
  /** The caller's AWS partition (`aws`, `aws-us-gov`, `aws-cn`), from its identity ARN. */
  readonly partition: string;
  /** The role assumed in the security account (management caller only; undefined when the caller is the security account). */
  readonly adminRoleArn: string | undefined;
  readonly managementAccountId: string;
  readonly adminAccountId: string;
  /** Active accounts, the ones to cover (management and admin included). */
  readonly accounts: readonly OrgAccount[];
  /** Accounts skipped because they are not ACTIVE (suspended, pending closure). */
  readonly skipped: readonly OrgAccount[];
  /** Regions to cover, sorted. */
  readonly regions: readonly string[];
  /** Security Hub aggregation region. */
  readonly homeRegion: string;
  /** Opt-in status per account and region; regions absent from an account's map are ENABLED_BY_DEFAULT. */
  readonly regionStatus: ReadonlyMap<string, ReadonlyMap<string, RegionOptState>>;
  /** Regions to cover that are not on by default: their opt-in status is asked account by account. */
  readonly optInRegions: readonly string[];
  /** Service principals with trusted access (management caller only; undefined otherwise). */
  readonly trustedAccess: ReadonlySet<string> | undefined;
  /**
   * AWS Account Management's delegated administrators (at most one): the
   * account that may read other accounts' region opt-in besides the
   * management account. Read by a management caller registering the security
   * account there (`registerAccountAdmin`); undefined otherwise.
   */
  readonly accountManagementAdmins: ReadonlySet<string> | undefined;
  /** Attached GuardDuty organization policies; undefined when they could not be read (a warning says why). */
  readonly guardDutyPolicies: readonly OrganizationPolicy[] | undefined;
  /** Attached Security Hub organization policies; undefined when not read (Security Hub not managed, or a warning says why). */
  readonly securityHubPolicies: readonly OrganizationPolicy[] | undefined;
  /** Accounts whose opt-in status of some region to cover is still unknown after asking (a warning names them). */
  readonly unknownOptIn: readonly string[];
  /** Things discovery could not find out (no AWS state changed because of them). */
  readonly warnings: readonly string[];
}

/** Opt-in status of `region` for `accountId`. */
export function regionOptState(org: Pick<Organization, 'regionStatus'>, accountId: string, region: string): RegionOptState {
  return org.regionStatus.get(accountId)?.get(region) ?? 'ENABLED_BY_DEFAULT';
}

/** True when the account has the region enabled: GuardDuty can run there. */
export function regionEnabled(state: RegionOptState): boolean {
  return state === 'ENABLED' || state === 'ENABLED_BY_DEFAULT';
}

/** True when the account is known not to have the region enabled (UNKNOWN is neither enabled nor disabled). */
export function regionDisabled(state: RegionOptState): boolean {
  return state === 'DISABLED' || state === 'ENABLING' || state === 'DISABLING';
}

/** Who is a service's delegated administrator in a region. */
export type DelegatedAdmin =
  | { readonly status: 'self' }
  | { readonly status: 'none' }
  | { readonly status: 'other'; readonly accountId: string }
  /** The caller may not ask (the security account cannot list administrators). */
  | { readonly status: 'unknown' }
  /** The management account asked and the call failed. */
  | { readonly status: 'error'; readonly error: string };

/** The security account's GuardDuty detector in a region. */
export interface DetectorState {
  readonly id: string;
  readonly enabled: boolean;
  readonly publishingFrequency: string | undefined;
  /** Feature name → enabled, with additional configuration names that are enabled. */
  readonly features: ReadonlyMap<string, { readonly enabled: boolean; readonly additional: ReadonlySet<string> }>;
}

/**
 * The detector's enabled features → their enabled additional configuration:
 * the shape `planOn` (features.ts) reads, and a member's features have, so
 * the detector and members are judged by one rule.
 */
export function enabledFeatures(detector: DetectorState): ReadonlyMap<string, ReadonlySet<string>> {
  return new Map([...detector.features].filter(([, f]) => f.enabled).map(([name, f]) => [name, f.additional]));
}

/** The delegated administrator's GuardDuty organization configuration in a region. */
export interface GuardDutyOrgConfig {
  readonly autoEnableMembers: string;
  /** Feature name → auto-enable mode (`ALL`, `NEW`, `NONE`), with its additional configuration's modes. */
  readonly features: ReadonlyMap<string, { readonly autoEnable: string; readonly additional: ReadonlyMap<string, string> }>;
}

/** A GuardDuty member as the administrator sees it. */
export interface GuardDutyMember {
  readonly relationship: string;
  /** Enabled features (GuardDuty names) → their enabled additional configuration; read for Enabled members. */
  readonly features: ReadonlyMap<string, ReadonlySet<string>>;
}

/** GuardDuty in one region, from the management and security accounts' points of view. */
export interface GuardDutyRegionState {
  readonly delegatedAdmin: DelegatedAdmin;
  readonly detector: DetectorState | undefined;
  /** Undefined when the security account is not (yet) the delegated administrator. */
  readonly orgConfig: GuardDutyOrgConfig | undefined;
  readonly members: ReadonlyMap<string, GuardDutyMember>;
  /**
   * Why the security account's side (detector, configuration, members) could
   * not be read — AssumeRole refused, AccessDenied…; those fields are then
   * empty and nothing is planned as the security account.
   */
  readonly readError: string | undefined;
}

/** Security Hub in one region. */
export interface SecurityHubRegionState {
  readonly delegatedAdmin: DelegatedAdmin;
  readonly hubEnabled: boolean;
  /** Undefined when the security account is not (yet) the administrator or has no hub. */
  readonly autoEnable: boolean | undefined;
  /** Member account → member status (`Enabled`, `Created`…). */
  readonly members: ReadonlyMap<string, string>;
  /** The account's finding aggregator, read in the home region only. */
  readonly aggregator: { readonly arn: string; readonly region: string; readonly linkingMode: string } | undefined;
  /** `LOCAL` or `CENTRAL` (central configuration), as the administrator reads it here; undefined before it is the administrator. */
  readonly configurationType: 'LOCAL' | 'CENTRAL' | undefined;
  /** `DEFAULT` or `NONE`: whether accounts that join get the paid default standards (local configuration). */
  readonly autoEnableStandards: string | undefined;
  /** True when the management account has Security Hub here (management caller only; undefined otherwise). */
  readonly managementHub: boolean | undefined;
  /** True when the new Security Hub (v2) is on in the security account here; undefined when it could not be asked. */
  readonly v2: boolean | undefined;
  /** Why the security account's side could not be read (see {@link GuardDutyRegionState.readError}). */
  readonly readError: string | undefined;
}

/** Everything read in one region. */
export interface RegionState {
  readonly region: string;
  readonly guardDuty: GuardDutyRegionState;
  /** Undefined when Security Hub is not managed. */
  readonly securityHub: SecurityHubRegionState | undefined;
}

/** Organization-wide change, made once by the management account: trusted access for a service. */
export interface TrustedAccessStep {
  readonly kind: 'trusted-access';
  readonly servicePrincipal: string;
}

/** Organization-wide change: register the security account as AWS Account Management's delegated administrator. */
export interface AccountAdminStep {
  readonly kind: 'account-admin';
  readonly adminAccountId: string;
}

/** An organization-wide change (management account, before the regions). */
export type OrganizationStep = TrustedAccessStep | AccountAdminStep;

/** A change in one region. `as` says whose credentials make it. */
export type RegionStep =
  | { readonly kind: 'gd-designate-admin'; readonly as: 'management'; readonly adminAccountId: string }
  /**
   * The security account's detector: adopted (and updated) when designating
   * the administrator created it or another run did, else created.
   */
  | {
      readonly kind: 'gd-create-detector';
      readonly as: 'admin';
      readonly plans: readonly ProtectionPlan[];
      readonly publishingFrequency: string;
      /** The same plan designates the administrator, which creates the detector: wait for it (bounded) instead of creating one. */
      readonly afterDesignation: boolean;
    }
  | {
      readonly kind: 'gd-update-detector';
      readonly as: 'admin';
      readonly enable: boolean;
      readonly publishingFrequency: string | undefined;
      readonly plans: readonly ProtectionPlan[];
    }
  | { readonly kind: 'gd-add-members'; readonly as: 'admin'; readonly accountIds: readonly string[] }
  /** Members whose monitoring was stopped (relationship Disabled). */
  | { readonly kind: 'gd-start-monitoring'; readonly as: 'admin'; readonly accountIds: readonly string[] }
  /** Enabled members missing a requested protection plan. */
  | {
      readonly kind: 'gd-member-plans';
      readonly as: 'admin';
      readonly accountIds: readonly string[];
      readonly plans: readonly ProtectionPlan[];
    }
  | { readonly kind: 'gd-org-config'; readonly as: 'admin'; readonly plans: readonly ProtectionPlan[] }
  | { readonly kind: 'sh-designate-admin'; readonly as: 'management'; readonly adminAccountId: string }
  /** Security Hub in the management account itself: AWS never enables it there through membership. */
  | { readonly kind: 'sh-enable-management-hub'; readonly as: 'management' }
  | { readonly kind: 'sh-enable-hub'; readonly as: 'admin' }
  | { readonly kind: 'sh-add-members'; readonly as: 'admin'; readonly accountIds: readonly string[] }
  /** Local configuration: auto-enable new accounts, without the paid default standards. */
  | { readonly kind: 'sh-org-config'; readonly as: 'admin' }
  | { readonly kind: 'sh-aggregator'; readonly as: 'admin' }
  /** Start central configuration (home region). */
  | { readonly kind: 'sh-central-config'; readonly as: 'admin' }
  /** A configuration policy that enables Security Hub without standards, associated with the root (home region). */
  | { readonly kind: 'sh-central-policy'; readonly as: 'admin' };

/** How the organization's Security Hub is managed, which decides what cordon may change. */
export type SecurityHubMode =
  /** Local configuration: cordon adds members and sets auto-enable, region by region. */
  | 'local'
  /** Central configuration: configuration policies decide; cordon adds no members and sets no auto-enable. */
  | 'central'
  /** Nothing set up yet: cordon starts central configuration from the home region (this run). */
  | 'start-central'
  /** Security Hub organization policies decide; cordon adds no members and sets no auto-enable. */
  | 'policies';

/** What to change in one region, or why nothing can be done there. */
export interface RegionPlan {
  readonly region: string;
  readonly steps: readonly RegionStep[];
  /** Set when the region cannot be worked on at all (not enabled in the calling or the security account…). */
  readonly blocked: string | undefined;
  /**
   * Parts of the region this run cannot work on, with what to do (the
   * security account's side unreadable, another GuardDuty administrator…):
   * errors in the report; the rest of the region is still planned.
   */
  readonly problems: readonly string[];
  /** Things left as they are on purpose (another administrator, an aggregator elsewhere…). */
  readonly notes: readonly string[];
  /** True when a service control policy denies the security account's calls here (`blocked` says so). */
  readonly deniedByScp: boolean;
}

/** The outcome of one change. */
export interface StepOutcome {
  readonly step: string;
  /** `skipped`: not attempted because an earlier step of the same service failed. */
  readonly status: 'done' | 'planned' | 'failed' | 'skipped';
  readonly detail?: string;
}

/** GuardDuty status of one account in one region. */
export type CoverageStatus =
  /** The delegated administrator itself, detector enabled. */
  | 'administrator'
  | 'member-enabled'
  | 'not-a-member'
  | 'detector-disabled'
  | 'region-not-enabled'
  /** The region could not be read, or the account's opt-in status is unknown and it is not a member. */
  | 'unknown';

/** One account in one region. */
export interface CoverageCell {
  readonly accountId: string;
  readonly accountName: string;
  readonly region: string;
  readonly status: CoverageStatus;
  /** Why, in words (relationship status, error…). */
  readonly detail: string;
  /** Protection plans on (cordon keys; GuardDuty names for plans cordon does not manage). */
  readonly plans: readonly string[];
  /** Expected plans that are off. */
  readonly missingPlans: readonly string[];
  /** True when the cell needs attention: targeted and not covered, or missing an expected plan. */
  readonly gap: boolean;
}
