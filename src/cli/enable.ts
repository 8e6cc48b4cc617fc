import { ConfigurationError, describeError } from '../errors';
import { requireCallerCredentials } from '../aws/caller-credentials';
import { buildOrgClients } from '../org/clients';
import { enableOrganization } from '../org/enable';
import { PROTECTION_PLANS, DEFAULT_PLAN_KEYS } from '../org/features';
import { streamProgress } from '../org/progress';
import { formatEnableSummary } from '../org/report';
import {
  DEFAULT_ADMIN_ROLE_NAME,
  DEFAULT_ENABLE_CONCURRENCY,
  rawEnablerSettingsFromEnv,
  validateEnablerSettings,
  type RawSetting,
} from '../org/settings';
import { parseFlags } from './args';
import type { CliIo } from './io';

const HELP = `usage: npx cordon enable --admin-account ID [--regions LIST|all] [--features LIST|all|none]
                          [--security-hub|--no-security-hub] [--home-region REGION]
                          [--admin-role-name NAME] [--concurrency N] [--dry-run] [--json]

Turns GuardDuty on in every active account and every region of the AWS
Organization, with the security account as delegated administrator, and keeps
it on: trusted access, delegated administrator, the security account's
detector (findings published every 15 minutes), every account as a member
(batches of 50), organization auto-enable ALL with the protection plans, and
members missing a plan or whose monitoring was stopped repaired; Security Hub
likewise, with a finding aggregator in the home region. With opt-in regions,
the security account is also made AWS Account Management's delegated
administrator so that it can tell which accounts enabled them.

Run it with the management account's credentials: it assumes
--admin-role-name in the security account for that account's part. If it
cannot, the management part is still done; then run it again with the
security account's own credentials (same flags) for the rest. A second run
changes nothing. A region no account has enabled is reported, not a gap.

  --admin-account ID      the security account (CORDON_ADMIN_ACCOUNT_ID)
  --admin-role-name NAME  role assumed in it (CORDON_ADMIN_ROLE_NAME, default ${DEFAULT_ADMIN_ROLE_NAME})
  --regions LIST|all      comma-separated regions, or all (CORDON_REGIONS; default: every
                          region enabled for the calling account)
  --features LIST         protection plans: ${PROTECTION_PLANS.map((p) => p.key).join(', ')}, all or none
                          (CORDON_FEATURES; default ${DEFAULT_PLAN_KEYS.join(',')})
  --no-security-hub       leave Security Hub alone (CORDON_SECURITY_HUB=false)
  --home-region REGION    Security Hub aggregation region (CORDON_HOME_REGION; default AWS_REGION)
  --concurrency N         regions worked on at once, 1-64 (CORDON_CONCURRENCY, default ${DEFAULT_ENABLE_CONCURRENCY})
  --dry-run               print the plan; change nothing (CORDON_DRY_RUN=true)
  --json                  print the summary as one JSON object

Exit: 0 every targeted account and region covered with every plan (dry run:
nothing blocks the plan), 1 gaps or failures (listed), 2 bad flags or
configuration (nothing changed).`;

/** `cordon enable`: argument parsing and printing; the work is in src/org. */
export async function runEnable(argv: string[], io: CliIo): Promise<number> {
  let settings: ReturnType<typeof validateEnablerSettings>;
  let json: boolean;
  try {
    const { values } = parseFlags(
      'enable',
      argv,
      {
        'admin-account': { type: 'string' },
        'admin-role-name': { type: 'string' },
        regions: { type: 'string' },
        features: { type: 'string' },
        'security-hub': { type: 'boolean' },
        'no-security-hub': { type: 'boolean' },
        'home-region': { type: 'string' },
        concurrency: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      false,
    );
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (values['security-hub'] && values['no-security-hub'])
      throw new ConfigurationError('enable: --security-hub and --no-security-hub contradict each other');
    const flag = (name: string, value: string | undefined): RawSetting | undefined =>
      value === undefined ? undefined : { value, source: `--${name}` };
    const env = rawEnablerSettingsFromEnv(io.env);
    const securityHub = values['no-security-hub']
      ? { value: 'false', source: '--no-security-hub' }
      : values['security-hub']
        ? { value: 'true', source: '--security-hub' }
        : env.securityHub;
    settings = validateEnablerSettings({
      adminAccountId: flag('admin-account', values['admin-account']) ?? env.adminAccountId,
      adminRoleName: flag('admin-role-name', values['admin-role-name']) ?? env.adminRoleName,
      regions: flag('regions', values.regions) ?? env.regions,
      features: flag('features', values.features) ?? env.features,
      securityHub,
      homeRegion: flag('home-region', values['home-region']) ?? env.homeRegion,
      concurrency: flag('concurrency', values.concurrency) ?? env.concurrency,
      dryRun: values['dry-run'] === true ? { value: 'true', source: '--dry-run' } : env.dryRun,
    });
    json = values.json === true;
    await requireCallerCredentials();
  } catch (err) {
    io.stderr.write(`cordon enable: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return 2;
  }
  const clients = buildOrgClients(settings);
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  try {
    const summary = await enableOrganization(settings, {
      clients,
      callerRegion: io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      progress: streamProgress((text) => io.stderr.write(text), tty, 'cordon enable'),
    });
    io.stdout.write(json ? `${JSON.stringify(summary)}\n` : formatEnableSummary(summary));
    return summary.covered ? 0 : 1;
  } catch (err) {
    io.stderr.write(`cordon enable: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return err instanceof ConfigurationError ? 2 : 1;
  } finally {
    clients.close();
  }
}
