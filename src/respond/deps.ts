import type { MemberCredentialsCache } from '../aws/credentials';
import type { IntelLists } from '../intel/lists';
import type { ResponsePolicy } from '../runbooks/decide';
import type { Runbook } from '../runbooks/runbook';
import type { SecurityHubWriter } from '../securityhub/writer';
import type { CircuitBreaker } from './circuit';
import type { ExecuteDeps } from './execute';
import type { ResultReport } from './metrics';
import type { FindingResult } from './result';

/** Tells people what cordon did with each finding: called once per batch, after Security Hub is written; never throws. */
export interface Notifier {
  notify(results: readonly FindingResult[]): Promise<void>;
}

/** Everything the responder pipeline needs; built by the CLI or the Lambda handler. */
export interface ResponderDeps extends ExecuteDeps {
  readonly runbooks: readonly Runbook[];
  readonly policy: ResponsePolicy;
  /** Blast-radius caps on automatic containments (custom actions are not capped: an analyst decided). */
  readonly circuit: CircuitBreaker;
  /** Told about findings the circuit breaker held (the Lambda emits a metric, the CLI a warning). */
  readonly onHeld?: (held: ReadonlyArray<{ accountId: string; findingId: string; reason: string }>) => void;
  /** Told every batch's results, with when each finding was last updated and when the actions ended (the Lambda's metrics). */
  readonly onResults?: (reports: readonly ResultReport[]) => void;
  readonly credentials: MemberCredentialsCache;
  readonly writer: SecurityHubWriter;
  /** Findings handled at once (different resources); the same resource is always handled in order. @default 16 */
  readonly concurrency: number;
  /** Publishes what was contained, held or failed (src/notify). @default none */
  readonly notifier?: Notifier;
  /** Principal recorded in the audit trail. */
  readonly actor?: string;
  /** cordon's threat and trusted lists (the list bucket is set): the findings' indicators are shared there. @default not shared */
  readonly intel?: IntelLists;
}
