/**
 * Settings of `cordon enable` / `cordon coverage` and of the scheduled
 * enabler Lambda: environment variables ({@link ENABLER_ENV}) and CLI flags
 * (flags win), validated by one pure function that reports every problem at
 * once, naming the flag or variable it came from.
 */
import { ConfigurationError } from '../errors';
import { DEFAULT_PLAN_KEYS, findPlan, PROTECTION_PLANS, type ProtectionPlan } from './features';

/** Environment variables the enabler reads (the Lambda's configuration). */
export const ENABLER_ENV = [
  'CORDON_ADMIN_ACCOUNT_ID',
  'CORDON_ADMIN_ROLE_NAME',
  'CORDON_REGIONS',
  'CORDON_FEATURES',
  'CORDON_SECURITY_HUB',
  'CORDON_HOME_REGION',
  'CORDON_CONCURRENCY',
  /** `true`: plan and report, change nothing (the Lambda's dry run). */
  'CORDON_DRY_RUN',
] as const;

/** Role cordon assumes in the security (delegated administrator) account when run from the management account. */
export const DEFAULT_ADMIN_ROLE_NAME = 'cordon-enabler';

/** Regions worked on in parallel by default. */
export const DEFAULT_ENABLE_CONCURRENCY = 8;

/** Upper bound of `--concurrency`. */
export const MAX_ENABLE_CONCURRENCY = 64;

/** Which regions to cover. */
export type RegionSelection =
  /** Every region enabled for the caller's account (Account API ListRegions: ENABLED, ENABLED_BY_DEFAULT). */
  | { readonly kind: 'enabled' }
  /** Every region the Account API knows; those not enabled are reported as such. */
  | { readonly kind: 'all' }
  /** These regions. */
  | { readonly kind: 'list'; readonly regions: readonly string[] };

/** Validated settings of `cordon enable` and the enabler Lambda. */
export interface EnablerSettings {
  /** The security account: GuardDuty and Security Hub delegated administrator. */
  readonly adminAccountId: string;
  /** Role assumed in the admin account when the caller is not that account. @default 'cordon-enabler' */
  readonly adminRoleName: string;
  /** @default { kind: 'enabled' } */
  readonly regions: RegionSelection;
  /** Protection plans to auto-enable organization-wide. @default s3, eks, malware, rds, lambda */
  readonly plans: readonly ProtectionPlan[];
  /** Also set up Security Hub (admin, members, auto-enable, aggregator). @default true */
  readonly securityHub: boolean;
  /** Security Hub aggregation region. @default the caller's region (AWS_REGION) when covered, else the first region covered */
  readonly homeRegion: string | undefined;
  /** Regions (and discovery lookups) in flight at once. @default 8 */
  readonly concurrency: number;
  /** Plan only: no mutating call. @default false */
  readonly dryRun: boolean;
}

/** Validated settings of `cordon coverage`. */
export interface CoverageSettings {
  readonly regions: RegionSelection;
  /** Plans expected on; a cell missing one is a gap. Empty: plans are shown, not required. */
  readonly expectedPlans: readonly ProtectionPlan[];
  readonly concurrency: number;
}

/** One raw value and where it came from (`--regions`, `CORDON_REGIONS`…), for messages. */
export interface RawSetting {
  readonly value: string;
  readonly source: string;
}

/** Unvalidated enabler settings, each with its source. */
export interface RawEnablerSettings {
  readonly adminAccountId?: RawSetting;
  readonly adminRoleName?: RawSetting;
  readonly regions?: RawSetting;
  readonly features?: RawSetting;
  readonly securityHub?: RawSetting;
  readonly homeRegion?: RawSetting;
  readonly concurrency?: RawSetting;
  /** `true`/`false` (also `1`/`0`); `--dry-run` or CORDON_DRY_RUN. */
  readonly dryRun?: RawSetting;
}

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** Region names: `us-east-1`, `ap-southeast-7`, `us-gov-west-1`. */
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** The enabler's raw settings from environment variables (empty values count as unset). */
export function rawEnablerSettingsFromEnv(env: NodeJS.ProcessEnv): RawEnablerSettings {
  const pick = (name: (typeof ENABLER_ENV)[number]): RawSetting | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : { value, source: name };
  };
  return {
    adminAccountId: pick('CORDON_ADMIN_ACCOUNT_ID'),
    adminRoleName: pick('CORDON_ADMIN_ROLE_NAME'),
    regions: pick('CORDON_REGIONS'),
    features: pick('CORDON_FEATURES'),
    securityHub: pick('CORDON_SECURITY_HUB'),
    homeRegion: pick('CORDON_HOME_REGION'),
    concurrency: pick('CORDON_CONCURRENCY'),
    dryRun: pick('CORDON_DRY_RUN'),
  };
}

/**
 * Validates raw enabler settings (pure). Every problem is reported at once
 * in one ConfigurationError whose lines name the flag or variable.
 */
export function validateEnablerSettings(raw: RawEnablerSettings): EnablerSettings {
  const problems: string[] = [];
  let adminAccountId = '';
  if (!raw.adminAccountId) {
    problems.push('the security account is required: --admin-account ID or CORDON_ADMIN_ACCOUNT_ID');
  } else if (!ACCOUNT_ID.test(raw.adminAccountId.value.trim())) {
    problems.push(`${raw.adminAccountId.source}: "${raw.adminAccountId.value}" is not a 12-digit account id`);
  } else {
    adminAccountId = raw.adminAccountId.value.trim();
  }
  const adminRoleName = raw.adminRoleName?.value.trim() ?? DEFAULT_ADMIN_ROLE_NAME;
  if (raw.adminRoleName && !ROLE_NAME.test(adminRoleName)) {
    problems.push(
      `${raw.adminRoleName.source}: "${raw.adminRoleName.value}" is not a valid IAM role name (1-64 of letters, digits and +=,.@_-)`,
    );
  }
  const regions = parseRegions(raw.regions, problems);
  const plans = parsePlans(raw.features, DEFAULT_PLAN_KEYS, problems);
  const securityHub = parseBoolean(raw.securityHub, true, problems);
  let homeRegion: string | undefined;
  if (raw.homeRegion) {
    homeRegion = raw.homeRegion.value.trim();
    if (!REGION_NAME.test(homeRegion)) {
      problems.push(`${raw.homeRegion.source}: "${raw.homeRegion.value}" is not a region name (e.g. us-east-1)`);
    } else if (regions.kind === 'list' && !regions.regions.includes(homeRegion)) {
      problems.push(
        `${raw.homeRegion.source}: home region ${homeRegion} is not one of the regions to cover (${regions.regions.join(', ')})`,
      );
    }
  }
  const concurrency = parseConcurrency(raw.concurrency, problems);
  const dryRun = parseBoolean(raw.dryRun, false, problems);
  if (problems.length > 0) throw new ConfigurationError(problems.join('\n'));
  return { adminAccountId, adminRoleName, regions, plans, securityHub, homeRegion, concurrency, dryRun };
}

/** Reads and validates the enabler's settings from the environment (the Lambda's form). */
export function enablerSettingsFromEnv(env: NodeJS.ProcessEnv): EnablerSettings {
  return validateEnablerSettings(rawEnablerSettingsFromEnv(env));
}

/** Validates `cordon coverage` settings (pure): regions, expected plans (none by default), concurrency. */
export function validateCoverageSettings(raw: { regions?: RawSetting; features?: RawSetting; concurrency?: RawSetting }): CoverageSettings {
  const problems: string[] = [];
  const regions = parseRegions(raw.regions, problems);
  const expectedPlans = raw.features ? parsePlans(raw.features, [], problems) : [];
  const concurrency = parseConcurrency(raw.concurrency, problems);
  if (problems.length > 0) throw new ConfigurationError(problems.join('\n'));
  return { regions, expectedPlans, concurrency };
}

function parseRegions(raw: RawSetting | undefined, problems: string[]): RegionSelection {
  if (!raw) return { kind: 'enabled' };
  const text = raw.value.trim();
  if (text === 'all') return { kind: 'all' };
  if (text === 'enabled') return { kind: 'enabled' };
  const names = text
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  const bad = names.filter((r) => !REGION_NAME.test(r));
  if (names.length === 0) problems.push(`${raw.source}: expected a comma-separated list of regions, "all" or "enabled"`);
  for (const r of bad) problems.push(`${raw.source}: "${r}" is not a region name (e.g. us-east-1), "all" or "enabled"`);
  return { kind: 'list', regions: [...new Set(names)] };
}

function parsePlans(raw: RawSetting | undefined, defaults: readonly string[], problems: string[]): ProtectionPlan[] {
  const text = raw?.value.trim().toLowerCase();
  if (text === undefined) return defaults.map((k) => findPlan(k)).filter((p): p is ProtectionPlan => p !== undefined);
  if (text === 'none') return [];
  if (text === 'all') return [...PROTECTION_PLANS];
  const plans: ProtectionPlan[] = [];
  const before = problems.length;
  for (const name of text
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '')) {
    const plan = findPlan(name);
    if (!plan) {
      problems.push(
        `${raw?.source ?? 'features'}: unknown protection plan "${name}" (expected ${PROTECTION_PLANS.map((p) => p.key).join(', ')}, all or none)`,
      );
    } else if (!plans.includes(plan)) {
      plans.push(plan);
    }
  }
  if (plans.length === 0 && problems.length === before)
    problems.push(`${raw?.source ?? 'features'}: expected a comma-separated list of protection plans, all or none`);
  return plans;
}

function parseBoolean(raw: RawSetting | undefined, fallback: boolean, problems: string[]): boolean {
  if (!raw) return fallback;
  const text = raw.value.trim().toLowerCase();
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  problems.push(`${raw.source}: "${raw.value}" must be true or false`);
  return fallback;
}

function parseConcurrency(raw: RawSetting | undefined, problems: string[]): number {
  if (!raw) return DEFAULT_ENABLE_CONCURRENCY;
  const n = Number(raw.value.trim());
  if (raw.value.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_ENABLE_CONCURRENCY) {
    problems.push(`${raw.source}: "${raw.value}" must be a whole number from 1 to ${MAX_ENABLE_CONCURRENCY}`);
    return DEFAULT_ENABLE_CONCURRENCY;
  }
  return n;
}
