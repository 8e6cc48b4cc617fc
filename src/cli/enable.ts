import { ConfigurationError, describeError } from '../errors';
import { requireCallerCredentials } from '../aws/caller-credentials';
import { buildOrgClients } from '../org/clients';
import { enableOrganization } from '../org/enable';
import { streamProgress } from '../org/progress';
import { formatEnableSummary } from '../org/report';
import { validateEnablerSettings } from '../org/settings';
import { ENABLER_SETTINGS } from '../config/spec';
import type { CliIo } from './io';
import { command, commandHelp, parseCommand, withEnv } from './options';

/** `cordon enable`: its options and help. */
export const ENABLE_COMMAND = command({
  name: 'enable',
  summary: 'turn GuardDuty (and Security Hub) on in every account and region of the organization',
  options: {
    adminAccountId: { setting: ENABLER_SETTINGS.adminAccountId, help: 'the security account' },
    regions: { setting: ENABLER_SETTINGS.regions, help: 'comma-separated regions, or all' },
    features: { setting: ENABLER_SETTINGS.features },
    securityHub: { setting: ENABLER_SETTINGS.securityHub },
    homeRegion: { setting: ENABLER_SETTINGS.homeRegion },
    adminRoleName: { setting: ENABLER_SETTINGS.adminRoleName, help: 'role assumed in it' },
    concurrency: { setting: ENABLER_SETTINGS.concurrency },
    dryRun: { setting: ENABLER_SETTINGS.dryRun },
    registerAccountAdmin: { setting: ENABLER_SETTINGS.registerAccountAdmin },
    json: { flag: '--json', help: 'print the summary as one JSON object' },
  },
  description: `Turns GuardDuty on in every active account and every region of the AWS
Organization, with the security account as delegated administrator, and keeps
it on, in one run from nothing: the delegated administrator (which gives
GuardDuty its trusted access and the security account its detector, which
cordon sets up: findings published every 15 minutes), trusted access for
Malware Protection and, with opt-in regions, AWS Account Management; then
organization auto-enable ALL with the protection plans GuardDuty offers in
the region, before every account is added as a member (batches of 50), and
members missing a plan or whose monitoring was stopped repaired. Security Hub
as the organization manages it: central configuration, started from the home
region for an organization with none (AWS's recommendation; a policy that
enables it without standards), or local configuration (members, auto-enable
without default standards), with a finding aggregator in the home region.
--register-account-admin also registers the security account as AWS Account
Management's delegated administrator so that it can read other accounts'
opt-in regions (otherwise the management account reads them).

Run it with the management account's credentials: it assumes
--admin-role-name in the security account for that account's part. If it
cannot, the management part is still done; then run it again with the
security account's own credentials (same flags) for the rest. A second run
changes nothing. A region no account has enabled is reported, not a gap; a
region a service control policy denies is reported once.`,
  exit: `Exit: 0 every targeted account and region covered with every plan (dry run:
nothing blocks the plan), 1 gaps or failures (listed), 2 bad flags or
configuration (nothing changed).`,
});

/** `cordon enable`: argument parsing and printing; the work is in src/org. */
export async function runEnable(argv: string[], io: CliIo): Promise<number> {
  let settings: ReturnType<typeof validateEnablerSettings>;
  let json: boolean;
  try {
    const parsed = parseCommand(ENABLE_COMMAND, argv);
    if (parsed.help) {
      io.stdout.write(`${commandHelp(ENABLE_COMMAND)}\n`);
      return 0;
    }
    settings = validateEnablerSettings(withEnv(ENABLE_COMMAND, parsed, io.env));
    json = parsed.options.json;
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
