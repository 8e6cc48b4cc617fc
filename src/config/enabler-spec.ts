/**
 * The enabler's settings (\`enable\`, \`coverage\` and the enabler Lambda): the
 * second part of cordon's settings table (see \`spec.ts\`).
 */
import { z } from 'zod';
import { DEFAULT_PLAN_KEYS, PROTECTION_PLANS } from '../org/features';
import { DEFAULT_ADMIN_ROLE_NAME, DEFAULT_ENABLE_CONCURRENCY, MAX_ENABLE_CONCURRENCY } from './defaults';
import { accountId, booleanText, numberText, regionName, splitList } from './schemas';
import { runtime, trimmedRoleName, ROLE_NAME_RULE, protectionPlans, unknownPlan, DEFAULT_PLANS, notBoolean, dryRunSetting } from './spec';

/** Which regions the enabler covers. */
export type RegionSelection =
  /** Every region enabled for the caller's account (Account API ListRegions: ENABLED, ENABLED_BY_DEFAULT). */
  | { readonly kind: 'enabled' }
  /** Every region the Account API knows; those not enabled are reported as such. */
  | { readonly kind: 'all' }
  /** These regions. */
  | { readonly kind: 'list'; readonly regions: readonly string[] };

/** The enabler's settings: `enable`, `coverage` and the enabler Lambda. */
export const ENABLER_SETTINGS = {
  adminAccountId: runtime({
    summary: 'the security account (GuardDuty and Security Hub delegated administrator)',
    env: 'CORDON_ADMIN_ACCOUNT_ID',
    flag: { name: '--admin-account', value: 'ID' },
    schema: z.string().trim().pipe(accountId),
    invalid: (v) => `"${v}" is not a 12-digit account id`,
    default: '',
    defaultText: 'none (required)',
    required: 'the security account',
  }),
  adminRoleName: runtime({
    summary: 'role assumed in the security account when the caller is another account',
    env: 'CORDON_ADMIN_ROLE_NAME',
    flag: { name: '--admin-role-name', value: 'NAME' },
    schema: trimmedRoleName,
    invalid: (v) => `"${v}" is not a valid IAM role name (${ROLE_NAME_RULE})`,
    default: DEFAULT_ADMIN_ROLE_NAME,
    defaultText: DEFAULT_ADMIN_ROLE_NAME,
  }),
  regions: runtime({
    summary: 'regions to cover: comma-separated, all, or enabled',
    env: 'CORDON_REGIONS',
    flag: { name: '--regions', value: 'LIST|all' },
    schema: z.preprocess(
      (value) => {
        if (typeof value !== 'string') return value;
        const text = value.trim();
        return text === 'all' || text === 'enabled' ? { kind: text } : { kind: 'list', regions: splitList(text) };
      },
      z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('all') }),
        z.object({ kind: z.literal('enabled') }),
        z.object({
          kind: z.literal('list'),
          regions: z
            .array(regionName)
            .min(1, { error: 'expected a comma-separated list of regions, "all" or "enabled"' })
            .transform((names) => [...new Set(names)]),
        }),
      ]),
    ),
    invalid: (r) => `"${r}" is not a region name (e.g. us-east-1), "all" or "enabled"`,
    default: { kind: 'enabled' } as RegionSelection,
    defaultText: 'every region enabled for the calling account',
  }),
  features: runtime({
    summary: `protection plans to turn on: ${PROTECTION_PLANS.map((p) => p.key).join(', ')}, all or none`,
    env: 'CORDON_FEATURES',
    flag: { name: '--features', value: 'LIST' },
    schema: protectionPlans,
    invalid: unknownPlan,
    default: DEFAULT_PLANS,
    defaultText: DEFAULT_PLAN_KEYS.join(','),
  }),
  securityHub: runtime({
    summary: 'also set up Security Hub (administrator, members, auto-enable, aggregator)',
    env: 'CORDON_SECURITY_HUB',
    flag: { name: '--security-hub', negation: '--no-security-hub' },
    schema: booleanText,
    invalid: notBoolean,
    default: true,
    defaultText: 'true',
  }),
  homeRegion: runtime({
    summary: 'Security Hub aggregation region',
    env: 'CORDON_HOME_REGION',
    flag: { name: '--home-region', value: 'REGION' },
    schema: z.string().trim().pipe(regionName).optional(),
    invalid: (v) => `"${v}" is not a region name (e.g. us-east-1)`,
    default: undefined,
    defaultText: 'AWS_REGION when covered, else the first region covered',
  }),
  concurrency: runtime({
    summary: `regions worked on at once, 1-${MAX_ENABLE_CONCURRENCY}`,
    env: 'CORDON_CONCURRENCY',
    flag: { name: '--concurrency', value: 'N' },
    schema: numberText(1, MAX_ENABLE_CONCURRENCY, true),
    invalid: (v) => `"${v}" must be a whole number from 1 to ${MAX_ENABLE_CONCURRENCY}`,
    default: DEFAULT_ENABLE_CONCURRENCY,
    defaultText: String(DEFAULT_ENABLE_CONCURRENCY),
  }),
  dryRun: dryRunSetting('print the plan; change nothing'),
  registerAccountAdmin: runtime({
    summary:
      "with opt-in regions, also register the security account as AWS Account Management's delegated administrator (wide account control, the organization's single slot), so that it can read other accounts' opt-in regions itself; otherwise the management account reads them",
    env: 'CORDON_REGISTER_ACCOUNT_ADMIN',
    flag: { name: '--register-account-admin' },
    schema: booleanText,
    invalid: notBoolean,
    default: false,
    defaultText: 'false',
  }),
  expectedPlans: runtime({
    summary: `for \`coverage\`: protection plans every covered account must have (${PROTECTION_PLANS.map((p) => p.key).join(', ')} or all); an account missing one is a gap`,
    flag: { name: '--features', value: 'LIST' },
    schema: protectionPlans,
    invalid: unknownPlan,
    default: [],
    defaultText: 'none required',
  }),
};

/** An enabler setting's name in the table. */
export type EnablerSettingId = keyof typeof ENABLER_SETTINGS;

/** The enabler's environment variables, in table order. */
export const ENABLER_ENV = Object.values(ENABLER_SETTINGS).flatMap((s) => (s.env === undefined ? [] : [s.env]));
