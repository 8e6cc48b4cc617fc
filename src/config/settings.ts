/**
 * The responder's settings, derived from the settings table (./spec.ts):
 * flags win over environment variables, which win over the defaults.
 */
import * as path from 'node:path';
import { SettingsError } from '../errors';
import type { CircuitLimits, ExemptTag } from './defaults';
import { readSetting, type RawSetting, type SettingIssue, fromEnv } from './read';
import { RESPONDER_SETTINGS, type ResponderSettingId } from './spec';

export { DEFAULT_RUNBOOKS_DIR } from './defaults';
export { RESPONDER_ENV } from './spec';

/** The responder's settings, from flags and environment variables (flags win). */
export interface ResponderSettings {
  readonly roleName: string;
  readonly externalId: string | undefined;
  readonly runbooksDir: string;
  readonly threshold: number;
  readonly exemptAccounts: ReadonlySet<string>;
  /** ARN patterns of resources never contained (`CORDON_EXEMPT_RESOURCE_ARNS`). */
  readonly exemptResourceArns: readonly string[];
  /** OU (or root) ids whose accounts are never contained (`CORDON_EXEMPT_OUS`). */
  readonly exemptOus: ReadonlySet<string>;
  /** Undefined: no tag exempts (`CORDON_EXEMPT_TAG=none`). */
  readonly exemptTag: ExemptTag | undefined;
  readonly concurrency: number;
  /** `{ kind: 'dynamodb', table, region }` or `{ kind: 'file', file }`. */
  readonly audit:
    { readonly kind: 'dynamodb'; readonly table: string; readonly region: string } | { readonly kind: 'file'; readonly file: string };
  readonly dryRun: boolean;
  /** Event bus notifications go to (`CORDON_NOTIFY_BUS`, in `AWS_REGION`); none: nothing is published. */
  readonly notify: { readonly bus: string; readonly region: string } | undefined;
  /** Blast-radius caps on automatic containments. */
  readonly circuit: CircuitLimits;
  /** cordon's threat and trusted lists: their bucket (undefined: not shared), how long a finding's indicators stay, which regions get them. */
  readonly intel: {
    readonly bucket: string | undefined;
    /** The bucket's region: the responder's own (`AWS_REGION`), where the stack creates it. */
    readonly bucketRegion: string;
    readonly ttlDays: number;
    readonly regions: readonly string[];
  };
}

/** The flags of the responder's commands that are settings. */
export interface ResponderFlags {
  roleName?: string;
  runbooksDir?: string;
  dryRun?: boolean;
}

/**
 * Reads and validates settings; every problem is reported at once in a
 * SettingsError that names the flag or variable.
 */
export function responderSettings(env: NodeJS.ProcessEnv, flags: ResponderFlags = {}): ResponderSettings {
  const checked = checkResponderSettings(env, flags);
  if ('problems' in checked) throw new SettingsError(checked.problems);
  return checked.settings;
}

/** The responder's settings, or every problem with them (each naming the table entries it concerns). */
export function checkResponderSettings(
  env: NodeJS.ProcessEnv,
  flags: ResponderFlags = {},
): { readonly settings: ResponderSettings } | { readonly problems: readonly SettingIssue[] } {
  const S = RESPONDER_SETTINGS;
  const issues: SettingIssue[] = [];
  const flag = (id: ResponderSettingId, value: string | undefined): RawSetting | undefined => {
    const name = S[id].flag?.name;
    return value === undefined || name === undefined ? undefined : { value, source: name };
  };
  const raw = (id: ResponderSettingId, given?: RawSetting): RawSetting | undefined => given ?? fromEnv(S[id], env);

  // The member role's name and external id are checked together (its trust uses both) and reported under one label.
  const roleRaw = raw('roleName', flag('roleName', flags.roleName));
  const roleIssues: SettingIssue[] = [];
  const roleName = readSetting(S.roleName, { responder: 'roleName' }, roleRaw, roleIssues);
  const externalId = readSetting(S.externalId, { responder: 'externalId' }, raw('externalId'), roleIssues);
  const roleKey = `${roleRaw?.source ?? S.roleName.env}/${S.externalId.env}`;
  for (const issue of roleIssues)
    issues.push({ ...issue, key: roleKey, settings: [{ responder: 'roleName' }, { responder: 'externalId' }] });

  const threshold = readSetting(S.threshold, { responder: 'threshold' }, raw('threshold'), issues);
  const concurrency = readSetting(S.concurrency, { responder: 'concurrency' }, raw('concurrency'), issues);
  const circuit: CircuitLimits = {
    perAccount: readSetting(S.circuitAccountLimit, { responder: 'circuitAccountLimit' }, raw('circuitAccountLimit'), issues),
    perOrganization: readSetting(S.circuitOrgLimit, { responder: 'circuitOrgLimit' }, raw('circuitOrgLimit'), issues),
    windowMinutes: readSetting(S.circuitWindowMinutes, { responder: 'circuitWindowMinutes' }, raw('circuitWindowMinutes'), issues),
  };
  const exemptAccounts = readSetting(S.exemptAccounts, { responder: 'exemptAccounts' }, raw('exemptAccounts'), issues);
  const exemptResourceArns = readSetting(S.exemptResourceArns, { responder: 'exemptResourceArns' }, raw('exemptResourceArns'), issues);
  const exemptOus = readSetting(S.exemptOus, { responder: 'exemptOus' }, raw('exemptOus'), issues);
  const exemptTag = readSetting(S.exemptTag, { responder: 'exemptTag' }, raw('exemptTag'), issues);

  let audit: ResponderSettings['audit'];
  const tableRaw = raw('auditTable');
  if (tableRaw !== undefined) {
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) {
      issues.push({
        source: 'missing',
        key: 'AWS_REGION',
        message: `${S.auditTable.env} is set but AWS_REGION is not: the table's region is unknown`,
        standalone: true,
        settings: [{ responder: 'auditTable' }],
      });
    }
    readSetting(S.auditTable, { responder: 'auditTable' }, tableRaw, issues);
    audit = { kind: 'dynamodb', table: tableRaw.value, region: region ?? '' };
  } else {
    audit = { kind: 'file', file: path.resolve(readSetting(S.auditFile, { responder: 'auditFile' }, raw('auditFile'), issues)) };
  }
  const intel = {
    bucket: readSetting(S.intelBucket, { responder: 'intelBucket' }, raw('intelBucket'), issues),
    bucketRegion: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ttlDays: readSetting(S.intelTtlDays, { responder: 'intelTtlDays' }, raw('intelTtlDays'), issues),
    regions: readSetting(S.intelRegions, { responder: 'intelRegions' }, raw('intelRegions'), issues),
  };
  const dryRunFlag = flags.dryRun === true ? flag('dryRun', 'true') : undefined;
  const dryRun = readSetting(S.dryRun, { responder: 'dryRun' }, raw('dryRun', dryRunFlag), issues);
  const notifyBus = readSetting(S.notifyBus, { responder: 'notifyBus' }, raw('notifyBus'), issues);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (notifyBus !== undefined && !region)
    issues.push({
      source: 'missing',
      key: 'AWS_REGION',
      message: `${S.notifyBus.env} is set but AWS_REGION is not: the bus's region is unknown`,
      standalone: true,
      settings: [{ responder: 'notifyBus' }],
    });
  const notify = notifyBus !== undefined && region ? { bus: notifyBus, region } : undefined;
  const runbooksDir = path.resolve(
    readSetting(S.runbooksDir, { responder: 'runbooksDir' }, raw('runbooksDir', flag('runbooksDir', flags.runbooksDir)), issues),
  );
  if (issues.length > 0) return { problems: issues };
  return {
    settings: {
      roleName,
      externalId,
      runbooksDir,
      threshold,
      exemptAccounts,
      exemptResourceArns,
      exemptOus,
      exemptTag,
      concurrency,
      audit,
      dryRun,
      notify,
      circuit,
      intel,
    },
  };
}
