/**
 * Defaults and value types of cordon's settings that code outside the
 * settings table also needs: the pipeline (exemption tag, circuit limits),
 * the enabler, and the stacks. The table itself is ./spec.ts; this module
 * sits below the pipeline so that config never imports respond.
 */
import * as path from 'node:path';

/** The runbooks shipped with cordon (`CORDON_RUNBOOKS_DIR`, `--runbooks`). */
export const DEFAULT_RUNBOOKS_DIR = path.resolve(__dirname, '../../runbooks');

/** The tag that exempts a resource from containment (`CORDON_EXEMPT_TAG`, default `cordon:exempt=true`; `none`: no tag exempts). */
export interface ExemptTag {
  readonly key: string;
  readonly value: string;
}

/** Default exemption tag. */
export const DEFAULT_EXEMPT_TAG: ExemptTag = { key: 'cordon:exempt', value: 'true' };

/**
 * Parses `key=value` (or a bare key, meaning value `true`); `none` turns
 * exemption by tag off (undefined): whoever can tag a resource can exempt
 * it, unless the optional service control policy guards cordon's tags.
 */
export function parseExemptTag(text: string): ExemptTag | undefined {
  if (text.trim() === 'none') return undefined;
  const [key, ...rest] = text.split('=');
  const k = (key ?? '').trim();
  if (!k || k.length > 128) throw new Error(`exempt tag "${text}" must be key=value with a key of 1-128 characters`);
  return { key: k, value: rest.length > 0 ? rest.join('=').trim() : 'true' };
}

/** Caps on automatic containments per rolling window: the blast-radius circuit breaker. */
export interface CircuitLimits {
  /** Distinct resources contained automatically per account per window. */
  readonly perAccount: number;
  /** Distinct resources contained automatically across the organization per window. */
  readonly perOrganization: number;
  readonly windowMinutes: number;
}

/** Defaults: 5 resources per account and 50 per organization per rolling hour. */
export const DEFAULT_CIRCUIT_LIMITS: CircuitLimits = { perAccount: 5, perOrganization: 50, windowMinutes: 60 };

/** Default number of findings handled at once. */
export const DEFAULT_CONCURRENCY = 16;

/** Role cordon assumes in the security (delegated administrator) account when run from the management account. */
export const DEFAULT_ADMIN_ROLE_NAME = 'cordon-enabler';

/** Regions the enabler works on in parallel by default. */
export const DEFAULT_ENABLE_CONCURRENCY = 8;

/** Upper bound of the enabler's `--concurrency`. */
export const MAX_ENABLE_CONCURRENCY = 64;

/** Default name of the responder Lambda's role in the security account (`cordon:functionRoleName`). */
export const DEFAULT_RESPONDER_FUNCTION_ROLE_NAME = 'cordon-responder-lambda';

/** Default name of the enabler Lambda's role in the management account (`cordon:enablerFunctionRoleName`). */
export const DEFAULT_ENABLER_FUNCTION_ROLE_NAME = 'cordon-enabler-lambda';

/** Example organization id: valid in form, never a real organization. */
export const PLACEHOLDER_ORGANIZATION_ID = 'o-exampleorgid';
/** Example organization root id: valid in form, never a real root. */
export const PLACEHOLDER_ROOT_ID = 'r-exampleroot';

/**
 * Default SQS messages per responder invocation. Security Hub's BatchUpdateFindings takes 100
 * findings a call and cordon groups identical updates, so a batch of 100 costs a few calls where
 * batches of 10 cost about one call per finding.
 */
export const DEFAULT_BATCH_SIZE = 100;
/** Default seconds SQS gathers a batch (Lambda requires at least 1 for batches above 10). */
export const DEFAULT_MAX_BATCHING_WINDOW_SECONDS = 2;

/** Responder Lambdas polling the findings queue at once, at most (the SQS event source's maximum concurrency; AWS's minimum is 2). */
export const DEFAULT_MAX_CONCURRENCY = 5;
/** Largest batch Lambda accepts without a batching window (SQS event sources). */
export const MAX_BATCH_SIZE_WITHOUT_WINDOW = 10;
/** Upper bound of `cordon:batchSize` (Lambda allows 10,000 for standard queues; a failed batch is retried whole). */
export const MAX_BATCH_SIZE = 1000;
/** Default schedule of the enabler. */
export const DEFAULT_ENABLER_SCHEDULE = 'rate(12 hours)';
/** Shortest interval between two enabler runs, in minutes (a run may take the Lambda's 15 minutes and calls every region). */
export const MIN_ENABLER_INTERVAL_MINUTES = 60;
/** CloudWatch Logs' accepted retention periods, in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** Name of the StackSet that deploys the member role (and of its stack in each account): `cordon doctor` lists its instances. */
export const MEMBER_ROLE_STACK_SET_NAME = 'cordon-member-role';

/** Name of the responder stack (`--stack` of `cordon doctor` by default). */
export const RESPONDER_STACK_NAME = 'cordon-responder';

/** Default member role name (CLI `--role-name`, env `CORDON_ROLE_NAME`). */
export const DEFAULT_ROLE_NAME = 'cordon-responder';

/** Default audit file of the CLI, relative to the working directory. */
export const DEFAULT_AUDIT_FILE = '.cordon/audit.jsonl';

/** Days an indicator seen in a finding stays on cordon's threat list (`CORDON_INTEL_TTL_DAYS`). */
export const DEFAULT_INTEL_TTL_DAYS = 30;
