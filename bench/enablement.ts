/**
 * Benchmark 3, enablement: `cordon enable` (the code the scheduled enabler
 * Lambda runs) turning GuardDuty and Security Hub on across an organization
 * of many accounts in every default region, through the latency and
 * throttling proxy, then a second run that must change nothing. Its
 * sequential baseline in the same run: one region at a time and one account
 * per CreateMembers call (no fan-out, no batching), on an organization of its
 * own (a fresh emulator: it must find nothing enabled), compared per
 * account×region.
 */
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import pLimit from 'p-limit';
import { LOCAL_CREDENTIALS, summarize, type ProxyCall } from '../local-aws';
import { buildOrgClients } from '../src/org/clients';
import { enableOrganization, type EnableSummary } from '../src/org/enable';
import { validateEnablerSettings } from '../src/org/settings';
import { round1, round2, startHarness, withMemory } from './harness';

/** The 17 regions enabled by default in every account (no opt-in). */
export const DEFAULT_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
] as const;

/** Mutating API operations, by name. */
const MUTATING = /^(Create|Enable|Update|Delete|Disable|Register|Start|Put|Batch|Accept|Invite)/;

/** What one enable run measured. */
export interface EnableRunMetrics {
  readonly label: string;
  readonly accounts: number;
  readonly regions: number;
  readonly accountRegions: number;
  readonly concurrency: number;
  readonly membersPerCall: number;
  readonly wallMs: number;
  readonly msPerAccountRegion: number;
  readonly covered: boolean;
  readonly coveredAccountRegions: number;
  readonly calls: {
    readonly total: number;
    readonly mutating: number;
    readonly perAccountRegion: number;
    readonly byService: Readonly<Record<string, number>>;
    readonly byOperation: Readonly<Record<string, number>>;
  };
  readonly assumeRole: number;
  /** GuardDuty and Security Hub CreateMembers calls per region (batches of up to `membersPerCall`). */
  readonly createMembersPerRegion: { readonly guardduty: number; readonly securityhub: number };
  readonly nothingToChange: boolean;
  readonly throttled: number;
  readonly retries: number;
  readonly peakRssMb: number;
}

/** The enablement benchmark's report. */
export interface EnablementReport {
  readonly latencyMs: number;
  readonly buildMs: number;
  readonly cordon: EnableRunMetrics;
  readonly second: EnableRunMetrics;
  readonly baseline: EnableRunMetrics;
  readonly ratios: Readonly<Record<string, number>>;
}

/** Runs the enablement benchmark (each organization in its own emulator). */
export async function runEnablement(options: {
  readonly accounts: number;
  readonly regions: number;
  readonly baselineAccounts: number;
  readonly latencyMs: number;
  readonly progress: (line: string) => void;
}): Promise<EnablementReport> {
  const regions = DEFAULT_REGIONS.slice(0, options.regions);
  if (regions.length < options.regions)
    throw new Error(`the enablement benchmark knows ${DEFAULT_REGIONS.length} default regions, asked for ${options.regions}`);

  options.progress(`enablement: ${options.accounts} accounts × ${regions.length} regions…`);
  const main = await startHarness({ throttle: true, latencyMs: options.latencyMs });
  let cordon: EnableRunMetrics;
  let second: EnableRunMetrics;
  let buildMs: number;
  try {
    const built = performance.now();
    const security = await buildAccounts(main.local.endpoint, options.accounts);
    buildMs = performance.now() - built;
    options.progress(`  organization built in ${Math.round(buildMs / 1000)} s; enabling…`);
    cordon = await measureEnable('cordon', main.proxy, security, regions, options.accounts, { concurrency: 8, membersPerCall: 50 });
    options.progress(`  cordon: ${Math.round(cordon.wallMs / 1000)} s; second run…`);
    second = await measureEnable('cordon, second run (nothing to change)', main.proxy, security, regions, options.accounts, {
      concurrency: 8,
      membersPerCall: 50,
    });
  } finally {
    await main.stop();
  }

  options.progress(
    `enablement baseline: ${options.baselineAccounts} accounts × ${regions.length} regions, one region and one account per call at a time…`,
  );
  const base = await startHarness({ throttle: true, latencyMs: options.latencyMs });
  let baseline: EnableRunMetrics;
  try {
    const security = await buildAccounts(base.local.endpoint, options.baselineAccounts);
    baseline = await measureEnable('baseline (sequential, unbatched)', base.proxy, security, regions, options.baselineAccounts, {
      concurrency: 1,
      membersPerCall: 1,
    });
  } finally {
    await base.stop();
  }
  return {
    latencyMs: options.latencyMs,
    buildMs: Math.round(buildMs),
    cordon,
    second,
    baseline,
    ratios: {
      'baseline/cordon time per account×region': round2(baseline.msPerAccountRegion / cordon.msPerAccountRegion),
      'baseline/cordon calls per account×region': round2(baseline.calls.perAccountRegion / cordon.calls.perAccountRegion),
    },
  };
}

/**
 * An organization of `accounts` accounts (the management account, moto's
 * default, plus `accounts - 1` created ones), built directly against the
 * endpoint (not measured). Returns the security account: the first created.
 */
async function buildAccounts(endpoint: string, accounts: number): Promise<string> {
  const org = new OrganizationsClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  try {
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const limit = pLimit(8);
    const ids = await Promise.all(
      Array.from({ length: accounts - 1 }, (_, i) =>
        limit(
          async () =>
            (await org.send(new CreateAccountCommand({ AccountName: `bench-${i}`, Email: `bench-${i}@example.com` }))).CreateAccountStatus
              ?.AccountId ?? '',
        ),
      ),
    );
    const security = ids[0];
    if (!security) throw new Error('the enablement benchmark needs at least 2 accounts');
    return security;
  } finally {
    org.destroy();
  }
}

async function measureEnable(
  label: string,
  proxy: { calls(): readonly ProxyCall[]; resetCalls(): void },
  security: string,
  regions: readonly string[],
  accounts: number,
  shape: { readonly concurrency: number; readonly membersPerCall: number },
): Promise<EnableRunMetrics> {
  const settings = validateEnablerSettings({
    adminAccountId: { value: security, source: 'bench' },
    regions: { value: regions.join(','), source: 'bench' },
    homeRegion: { value: 'us-east-1', source: 'bench' },
    concurrency: { value: String(shape.concurrency), source: 'bench' },
  });
  const clients = buildOrgClients({
    adminAccountId: settings.adminAccountId,
    adminRoleName: settings.adminRoleName,
    concurrency: settings.concurrency,
  });
  proxy.resetCalls();
  let summary: EnableSummary;
  let wallMs: number;
  let peakRssMb: number;
  try {
    const started = performance.now();
    const measured = await withMemory(() =>
      enableOrganization(settings, { clients, callerRegion: 'us-east-1', batchSize: shape.membersPerCall }),
    );
    wallMs = performance.now() - started;
    summary = measured.value;
    peakRssMb = measured.peakRssMb;
  } finally {
    clients.close();
  }
  const calls = proxy.calls();
  const traffic = summarize(calls);
  // Keyed `service:Operation` in the JSON report.
  const byOperation: Record<string, number> = Object.fromEntries(
    Object.entries(traffic.byOperation).map(([op, n]) => [op.replace(' ', ':'), n]),
  );
  const accountRegions = accounts * regions.length;
  return {
    label,
    accounts,
    regions: regions.length,
    accountRegions,
    concurrency: shape.concurrency,
    membersPerCall: shape.membersPerCall,
    wallMs: Math.round(wallMs),
    msPerAccountRegion: round2(wallMs / accountRegions),
    covered: summary.covered,
    coveredAccountRegions: summary.regions.reduce((n, r) => n + r.covered, 0),
    calls: {
      total: calls.length,
      mutating: calls.filter((c) => MUTATING.test(c.operation) && c.attempt <= 1).length,
      perAccountRegion: round2(calls.length / accountRegions),
      byService: traffic.byService,
      byOperation,
    },
    assumeRole: calls.filter((c) => c.service === 'sts' && c.operation === 'AssumeRole' && c.attempt <= 1).length,
    createMembersPerRegion: {
      guardduty: round1((byOperation['guardduty:CreateMembers'] ?? 0) / regions.length),
      securityhub: round1((byOperation['securityhub:CreateMembers'] ?? 0) / regions.length),
    },
    nothingToChange: summary.nothingToChange,
    throttled: traffic.byOutcome.throttled ?? 0,
    retries: traffic.retries,
    peakRssMb: round1(peakRssMb),
  };
}
