/**
 * Settings of `cordon enable` / `cordon coverage` and of the scheduled
 * enabler Lambda, derived from the settings table (src/config/spec.ts):
 * environment variables ({@link ENABLER_ENV}) and CLI flags (flags win),
 * validated by one pure function that reports every problem at once, naming
 * the flag or variable it came from.
 */
import { SettingsError } from '../errors';
import { fromEnv, readSetting, sourceOf, type RawSetting, type SettingIssue } from '../config/read';
import { ENABLER_SETTINGS, type EnablerSettingId, type RegionSelection } from '../config/enabler-spec';
import { splitList } from '../config/schemas';
import type { ProtectionPlan } from './features';

export { DEFAULT_ADMIN_ROLE_NAME, DEFAULT_ENABLE_CONCURRENCY, MAX_ENABLE_CONCURRENCY } from '../config/defaults';
export { ENABLER_ENV, type RegionSelection } from '../config/enabler-spec';
export type { RawSetting } from '../config/read';

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
  /**
   * With opt-in regions, register the security account as AWS Account
   * Management's delegated administrator (opt-in: it grants that account wide
   * control over the organization's accounts and takes the single slot).
   * @default false: the management account reads other accounts' opt-in regions
   */
  readonly registerAccountAdmin: boolean;
}

/** Validated settings of `cordon coverage`. */
export interface CoverageSettings {
  readonly regions: RegionSelection;
  /** Plans expected on; a cell missing one is a gap. Empty: plans are shown, not required. */
  readonly expectedPlans: readonly ProtectionPlan[];
  readonly concurrency: number;
}

/** The enabler's settings that `cordon enable` and the Lambda read (the table's enabler part, but coverage's expected plans). */
type EnableSettingId = Exclude<EnablerSettingId, 'expectedPlans'>;

/** Unvalidated enabler settings, each with its source (`--dry-run` or CORDON_DRY_RUN for `dryRun`…). */
export type RawEnablerSettings = { readonly [K in EnableSettingId]?: RawSetting };

/** The enabler's raw settings from environment variables (empty values count as unset). */
export function rawEnablerSettingsFromEnv(env: NodeJS.ProcessEnv): RawEnablerSettings {
  const ids = Object.keys(ENABLER_SETTINGS).filter((id): id is EnableSettingId => id !== 'expectedPlans');
  return Object.fromEntries(ids.map((id) => [id, fromEnv(ENABLER_SETTINGS[id], env)]).filter(([, raw]) => raw !== undefined));
}

/**
 * Validates raw enabler settings (pure). Every problem is reported at once
 * in one SettingsError whose lines name the flag or variable.
 */
export function validateEnablerSettings(raw: RawEnablerSettings): EnablerSettings {
  const checked = checkEnablerSettings(raw);
  if ('problems' in checked) throw new SettingsError(checked.problems);
  return checked.settings;
}

/** The enabler's settings, or every problem with them (each naming the table entries it concerns). */
export function checkEnablerSettings(
  raw: RawEnablerSettings,
): { readonly settings: EnablerSettings } | { readonly problems: readonly SettingIssue[] } {
  const S = ENABLER_SETTINGS;
  const issues: SettingIssue[] = [];
  const adminAccountId = readSetting(S.adminAccountId, { enabler: 'adminAccountId' }, raw.adminAccountId, issues);
  const adminRoleName = readSetting(S.adminRoleName, { enabler: 'adminRoleName' }, raw.adminRoleName, issues);
  const regions = readRegions(raw.regions, issues);
  const plans = readSetting(S.features, { enabler: 'features' }, raw.features, issues);
  const securityHub = readSetting(S.securityHub, { enabler: 'securityHub' }, raw.securityHub, issues);
  const homeRegion = readSetting(S.homeRegion, { enabler: 'homeRegion' }, raw.homeRegion, issues);
  if (raw.homeRegion && homeRegion !== undefined && regions.kind === 'list' && !regions.regions.includes(homeRegion)) {
    issues.push({
      source: sourceOf(raw.homeRegion.source),
      key: raw.homeRegion.source,
      message: `home region ${homeRegion} is not one of the regions to cover (${regions.regions.join(', ')})`,
      settings: [{ enabler: 'homeRegion' }, { enabler: 'regions' }],
    });
  }
  const concurrency = readSetting(S.concurrency, { enabler: 'concurrency' }, raw.concurrency, issues);
  const dryRun = readSetting(S.dryRun, { enabler: 'dryRun' }, raw.dryRun, issues);
  const registerAccountAdmin = readSetting(S.registerAccountAdmin, { enabler: 'registerAccountAdmin' }, raw.registerAccountAdmin, issues);
  if (issues.length > 0) return { problems: issues };
  return {
    settings: { adminAccountId, adminRoleName, regions, plans, securityHub, homeRegion, concurrency, dryRun, registerAccountAdmin },
  };
}

/** Reads and validates the enabler's settings from the environment (the Lambda's form). */
export function enablerSettingsFromEnv(env: NodeJS.ProcessEnv): EnablerSettings {
  return validateEnablerSettings(rawEnablerSettingsFromEnv(env));
}

/** Validates `cordon coverage` settings (pure): regions, expected plans (none by default), concurrency. */
export function validateCoverageSettings(raw: { regions?: RawSetting; features?: RawSetting; concurrency?: RawSetting }): CoverageSettings {
  const S = ENABLER_SETTINGS;
  const issues: SettingIssue[] = [];
  const regions = readRegions(raw.regions, issues);
  const expectedPlans = readSetting(S.expectedPlans, { enabler: 'expectedPlans' }, raw.features, issues);
  const concurrency = readSetting(S.concurrency, { enabler: 'concurrency' }, raw.concurrency, issues);
  if (issues.length > 0) throw new SettingsError(issues);
  return { regions, expectedPlans, concurrency };
}

/** The regions to cover; a list with bad names still names them, for the home region's check. */
function readRegions(raw: RawSetting | undefined, issues: SettingIssue[]): RegionSelection {
  return readSetting(ENABLER_SETTINGS.regions, { enabler: 'regions' }, raw, issues, (text) => ({
    kind: 'list',
    regions: [...new Set(splitList(text))],
  }));
}
