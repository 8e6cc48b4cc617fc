import * as path from 'node:path';
import { ConfigurationError } from '../errors';
import { DEFAULT_ROLE_NAME, validateRoleSettings } from '../aws/credentials';
import {
  DEFAULT_CIRCUIT_LIMITS,
  DEFAULT_CONCURRENCY,
  DEFAULT_EXEMPT_TAG,
  parseExemptTag,
  type CircuitLimits,
  type ExemptTag,
} from './defaults';
import { DEFAULT_ACTION_THRESHOLD } from '../runbooks/runbook';
import { DEFAULT_AUDIT_FILE } from '../audit/file-store';

/** The responder's settings, from flags and environment variables (flags win). */
export interface ResponderSettings {
  readonly roleName: string;
  readonly externalId: string | undefined;
  readonly runbooksDir: string;
  readonly threshold: number;
  readonly exemptAccounts: ReadonlySet<string>;
  readonly exemptTag: ExemptTag;
  readonly concurrency: number;
  /** `{ kind: 'dynamodb', table, region }` or `{ kind: 'file', file }`. */
  readonly audit:
    { readonly kind: 'dynamodb'; readonly table: string; readonly region: string } | { readonly kind: 'file'; readonly file: string };
  readonly dryRun: boolean;
  /** Blast-radius caps on automatic containments. */
  readonly circuit: CircuitLimits;
}

/** The runbooks shipped with cordon. */
export const DEFAULT_RUNBOOKS_DIR = path.resolve(__dirname, '../../runbooks');

/** Environment variables the responder reads (documented in the README). */
export const RESPONDER_ENV = [
  'CORDON_ROLE_NAME',
  'CORDON_EXTERNAL_ID',
  'CORDON_RUNBOOKS_DIR',
  'CORDON_ACTION_THRESHOLD',
  'CORDON_EXEMPT_ACCOUNTS',
  'CORDON_EXEMPT_TAG',
  'CORDON_CONCURRENCY',
  'CORDON_AUDIT_TABLE',
  'CORDON_AUDIT_FILE',
  'CORDON_DRY_RUN',
  'CORDON_CIRCUIT_ACCOUNT_LIMIT',
  'CORDON_CIRCUIT_ORG_LIMIT',
  'CORDON_CIRCUIT_WINDOW_MINUTES',
] as const;

/**
 * Reads and validates settings; every problem is reported at once in a
 * ConfigurationError that names the flag or variable.
 */
export function responderSettings(
  env: NodeJS.ProcessEnv,
  flags: { roleName?: string; runbooksDir?: string; dryRun?: boolean } = {},
): ResponderSettings {
  const problems: string[] = [];
  const roleName = flags.roleName ?? env.CORDON_ROLE_NAME ?? DEFAULT_ROLE_NAME;
  const externalId = env.CORDON_EXTERNAL_ID || undefined;
  problems.push(
    ...validateRoleSettings({ roleName, externalId }).map(
      (p) => `${flags.roleName ? '--role-name' : 'CORDON_ROLE_NAME'}/CORDON_EXTERNAL_ID: ${p}`,
    ),
  );

  const threshold = numberSetting(env.CORDON_ACTION_THRESHOLD, DEFAULT_ACTION_THRESHOLD, 'CORDON_ACTION_THRESHOLD', 0, 20, false, problems);
  const concurrency = numberSetting(env.CORDON_CONCURRENCY, DEFAULT_CONCURRENCY, 'CORDON_CONCURRENCY', 1, 256, true, problems);

  const circuit: CircuitLimits = {
    perAccount: numberSetting(
      env.CORDON_CIRCUIT_ACCOUNT_LIMIT,
      DEFAULT_CIRCUIT_LIMITS.perAccount,
      'CORDON_CIRCUIT_ACCOUNT_LIMIT',
      1,
      1_000_000,
      true,
      problems,
    ),
    perOrganization: numberSetting(
      env.CORDON_CIRCUIT_ORG_LIMIT,
      DEFAULT_CIRCUIT_LIMITS.perOrganization,
      'CORDON_CIRCUIT_ORG_LIMIT',
      1,
      1_000_000,
      true,
      problems,
    ),
    windowMinutes: numberSetting(
      env.CORDON_CIRCUIT_WINDOW_MINUTES,
      DEFAULT_CIRCUIT_LIMITS.windowMinutes,
      'CORDON_CIRCUIT_WINDOW_MINUTES',
      1,
      7 * 24 * 60,
      true,
      problems,
    ),
  };
  const exemptAccounts = new Set<string>();
  for (const raw of (env.CORDON_EXEMPT_ACCOUNTS ?? '').split(',')) {
    const id = raw.trim();
    if (id === '') continue;
    if (!/^\d{12}$/.test(id)) problems.push(`CORDON_EXEMPT_ACCOUNTS: "${id}" is not a 12-digit account id`);
    else exemptAccounts.add(id);
  }
  let exemptTag = DEFAULT_EXEMPT_TAG;
  if (env.CORDON_EXEMPT_TAG) {
    try {
      exemptTag = parseExemptTag(env.CORDON_EXEMPT_TAG);
    } catch (err) {
      problems.push(`CORDON_EXEMPT_TAG: ${(err as Error).message}`);
    }
  }
  let audit: ResponderSettings['audit'];
  if (env.CORDON_AUDIT_TABLE) {
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) problems.push("CORDON_AUDIT_TABLE is set but AWS_REGION is not: the table's region is unknown");
    if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(env.CORDON_AUDIT_TABLE))
      problems.push(`CORDON_AUDIT_TABLE: "${env.CORDON_AUDIT_TABLE}" is not a valid DynamoDB table name`);
    audit = { kind: 'dynamodb', table: env.CORDON_AUDIT_TABLE, region: region ?? '' };
  } else {
    audit = { kind: 'file', file: path.resolve(env.CORDON_AUDIT_FILE ?? DEFAULT_AUDIT_FILE) };
  }
  const dryRunEnv = (env.CORDON_DRY_RUN ?? '').toLowerCase();
  if (dryRunEnv && !['true', 'false', '1', '0'].includes(dryRunEnv))
    problems.push(`CORDON_DRY_RUN: "${env.CORDON_DRY_RUN}" must be true or false`);
  if (problems.length > 0) throw new ConfigurationError(problems.join('\n'));
  return {
    roleName,
    externalId,
    runbooksDir: path.resolve(flags.runbooksDir ?? env.CORDON_RUNBOOKS_DIR ?? DEFAULT_RUNBOOKS_DIR),
    threshold,
    exemptAccounts,
    exemptTag,
    concurrency,
    audit,
    dryRun: flags.dryRun === true || dryRunEnv === 'true' || dryRunEnv === '1',
    circuit,
  };
}

function numberSetting(
  raw: string | undefined,
  fallback: number,
  name: string,
  min: number,
  max: number,
  integer: boolean,
  problems: string[],
): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    problems.push(`${name}: "${raw}" must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
    return fallback;
  }
  return n;
}
