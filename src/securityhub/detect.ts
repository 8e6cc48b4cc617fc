/**
 * Which Security Hub a region has: Security Hub CSPM (ASFF findings,
 * BatchUpdateFindings; DescribeHub answers) and the new Security Hub (OCSF
 * findings, BatchUpdateFindingsV2; DescribeSecurityHubV2 answers). An account
 * may have both. Read once per region and cached by the caller that builds one
 * detector per process (a Lambda container, a CLI run).
 */
import { DescribeHubCommand, DescribeSecurityHubV2Command, type SecurityHubClient } from '@aws-sdk/client-securityhub';

/** What a region has. */
export interface SecurityHubEditions {
  /** Security Hub CSPM is enabled (DescribeHub answers). */
  readonly cspm: boolean;
  /** The new Security Hub is enabled (DescribeSecurityHubV2 answers). */
  readonly v2: boolean;
}

/** DescribeHub's answer when the account is not subscribed to Security Hub CSPM. */
const CSPM_OFF = new Set(['InvalidAccessException', 'ResourceNotFoundException']);
/** DescribeSecurityHubV2's answer when the new Security Hub is not enabled. */
const V2_OFF = new Set(['ResourceNotFoundException', 'InvalidAccessException']);

/** Reads which Security Hub `client`'s account and region has; other errors (AccessDenied, throttling) are thrown. */
export async function readSecurityHubEditions(client: SecurityHubClient): Promise<SecurityHubEditions> {
  const [cspm, v2] = await Promise.all([
    enabled(() => client.send(new DescribeHubCommand({})), CSPM_OFF),
    enabled(() => client.send(new DescribeSecurityHubV2Command({})), V2_OFF),
  ]);
  return { cspm, v2 };
}

async function enabled(call: () => Promise<unknown>, off: ReadonlySet<string>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (err) {
    if (err instanceof Error && off.has(err.name)) return false;
    throw err;
  }
}

/**
 * {@link readSecurityHubEditions} once per region: concurrent callers share
 * one read; a failed read is forgotten, so that the next finding tries again.
 */
export class SecurityHubDetector {
  private readonly cache = new Map<string, Promise<SecurityHubEditions>>();

  public constructor(private readonly clientFor: (region: string) => SecurityHubClient) {}

  /** Reads made so far (for tests: one per region). */
  public reads = 0;

  public editions(region: string): Promise<SecurityHubEditions> {
    let pending = this.cache.get(region);
    if (!pending) {
      this.reads += 1;
      pending = readSecurityHubEditions(this.clientFor(region));
      pending.catch(() => this.cache.delete(region));
      this.cache.set(region, pending);
    }
    return pending;
  }
}
