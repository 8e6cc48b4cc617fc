import { requireCallerCredentials } from '../aws/caller-credentials';
import type { AuditRecord } from '../audit/store';
import { responderSettings } from '../config/settings';
import { RESPONDER_SETTINGS } from '../config/spec';
import { ConfigurationError, describeError } from '../errors';
import { parseIndicator, type Indicator } from '../intel/indicators';
import { addReferences, removeReferences, THREAT_LIST_ACTION, TRUSTED_LIST_ACTION, type EntryChange, type ListName } from '../intel/ledger';
import { ledgerRows, type IntelLists, type Published } from '../intel/lists';
import { regionSummary } from '../intel/references';
import { buildResponder, type Responder } from '../respond/wiring';
import type { CliIo } from './io';
import { INTEL_COMMANDS } from './commands';
import { groupHelp, parseCommand } from './options';

/** What a subcommand runs with. */
interface Run {
  readonly intel: IntelLists;
  readonly responder: Responder;
  readonly json: boolean;
  readonly io: CliIo;
}

/** `cordon intel list|add|remove|sync`: cordon's lists in the security account. Exit 0 done, 1 a region failed, 2 bad input. */
export async function runIntel(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  let run: Run;
  let work: () => Promise<number>;
  try {
    if (!sub || sub === '--help' || sub === '-h') {
      io.stdout.write(`${groupHelp(INTEL_COMMANDS)}\n`);
      return sub ? 0 : 2;
    }
    const spec = INTEL_COMMANDS.find((c) => c.name === `intel ${sub}`);
    if (!spec) throw new ConfigurationError(`intel: unknown subcommand "${sub}" (expected list, add, remove or sync)`);
    const parsed = parseCommand(spec, rest);
    if (parsed.help) {
      io.stdout.write(`${groupHelp([spec])}\n`);
      return 0;
    }
    const options = parsed.options as { json?: boolean; list?: string; days?: string };
    const dryRun = (parsed.settings as { dryRun?: unknown }).dryRun !== undefined;
    const settings = responderSettings(io.env, { dryRun });
    if (!settings.intel.bucket)
      throw new ConfigurationError(
        `${RESPONDER_SETTINGS.intelBucket.env} is not set: the bucket of cordon's lists (the responder stack's output)`,
      );
    const list = listOf(options.list);
    const values = (): Indicator[] => indicatorsOf(parsed.positionals, settings.intel.bucket ?? '', io.env, list);
    const days = daysOf(options.days, settings.intel.ttlDays);
    // Every input is checked before any AWS call.
    const indicators = sub === 'add' || sub === 'remove' ? values() : [];
    if (sub !== 'add' && options.days !== undefined) throw new ConfigurationError(`intel ${sub}: --days is for intel add`);
    await requireCallerCredentials();
    const responder = buildResponder(settings, { actor: 'cli' });
    const intel = responder.deps.intel as IntelLists;
    run = { intel, responder, json: options.json === true, io };
    work = {
      list: () => listRows(run, settings.intel.regions),
      add: () => change(run, list, indicators, days),
      remove: () => change(run, list, indicators, undefined),
      sync: () => sync(run),
    }[sub as 'list' | 'add' | 'remove' | 'sync'];
  } catch (err) {
    io.stderr.write(`cordon intel: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return 2;
  }
  try {
    return await work();
  } catch (err) {
    io.stderr.write(`cordon intel: ${describeError(err)}\n`);
    return 1;
  } finally {
    run.responder.close();
  }
}

function listOf(text: string | undefined): ListName {
  if (text === undefined || text === 'threat') return 'threat';
  if (text === 'trusted') return 'trusted';
  throw new ConfigurationError(`intel: --list "${text}" must be threat or trusted`);
}

function daysOf(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 365)
    throw new ConfigurationError(`intel add: --days "${text}" must be a whole number from 1 to 365`);
  return n;
}

/** Every value read as an indicator, or a ConfigurationError naming every bad one and why (nothing is changed). */
function indicatorsOf(values: readonly string[], bucket: string, env: NodeJS.ProcessEnv, list: ListName): Indicator[] {
  if (values.length === 0) throw new ConfigurationError('intel: name at least one address, CIDR range or domain');
  const guard = { ownHosts: new Set([...hostsOf(env), `${bucket}.s3.amazonaws.com`]) };
  const read = values.map((v) => parseIndicator(v, guard, { wildcards: true }));
  const bad = read.flatMap((r) => (r.ok ? [] : [`  ${r.refusal.value}: ${r.refusal.reason}`]));
  if (bad.length > 0) throw new ConfigurationError(`intel: refused (nothing changed on the ${list} list):\n${bad.join('\n')}`);
  return read.flatMap((r) => (r.ok ? [r.indicator] : []));
}

/** The hosts of the endpoints in the environment (cordon's own). */
function hostsOf(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name, value]) => name.startsWith('AWS_ENDPOINT_URL') && value)
    .flatMap(([, value]) => {
      try {
        return [new URL(value as string).hostname.toLowerCase()];
      } catch {
        return [];
      }
    });
}

async function listRows(run: Run, regions: readonly string[]): Promise<number> {
  const rows = ledgerRows(await run.intel.read(), new Date().toISOString(), regions);
  if (run.json) {
    for (const row of rows) run.io.stdout.write(`${JSON.stringify(row)}\n`);
    return 0;
  }
  if (rows.length === 0) run.io.stdout.write(`cordon's lists in s3://${run.intel.bucket} are empty.\n`);
  for (const r of rows) {
    const sync =
      r.notInGuardDuty ??
      (r.pending.length > 0
        ? `in sync: ${r.inSync.join(', ') || 'none'}; pending: ${r.pending.join(', ')}`
        : `in sync: ${r.inSync.join(', ') || 'no region yet'}`);
    run.io.stdout.write(`${r.list.padEnd(8)} ${r.value.padEnd(40)} until ${r.expiresAt}  ${sync}\n           from ${r.from.join('; ')}\n`);
  }
  return 0;
}

async function change(run: Run, list: ListName, indicators: readonly Indicator[], days: number | undefined): Promise<number> {
  const who = `cli:${run.io.env.USER ?? 'unknown'}`;
  const { changes } = await run.intel.change((ledger, nowIso) =>
    days === undefined
      ? removeReferences(ledger, (entry, _ref, key) => entry.list === list && indicators.some((i) => key === `${list}|${i.value}`), nowIso)
      : addReferences(ledger, list, indicators, { source: 'manual', id: who, addedAt: nowIso, ttlMs: days * 86_400_000 }),
  );
  const published = changes.length > 0 ? await run.intel.publish() : { syncs: [] };
  const lines = changes.map((c) => lineOf(c, published, run.intel.dryRun));
  if (!run.intel.dryRun) await run.responder.deps.audit.append(lines.map((l) => record(l, run, days === undefined)));
  for (const l of lines)
    run.io.stdout.write(run.json ? `${JSON.stringify(l)}\n` : `${l.status.padEnd(7)} ${l.list} ${l.value}: ${l.detail}\n`);
  if (changes.length === 0) run.io.stdout.write(run.json ? '' : `nothing to change on the ${list} list\n`);
  return published.syncs.some((s) => s.status === 'failed') ? 1 : 0;
}

interface Line {
  readonly value: string;
  readonly list: ListName;
  readonly status: 'done' | 'planned' | 'failed';
  readonly detail: string;
  readonly expiresAt?: string;
}

function lineOf(c: EntryChange, published: Pick<Published, 'syncs'>, dryRun: boolean): Line {
  const failed = published.syncs.some((s) => s.list === c.list && s.status === 'failed');
  const what = c.effect === 'removed' || c.effect === 'kept' ? 'taken off' : c.effect === 'added' ? 'added' : 'listed until a later date';
  return {
    value: c.indicator.value,
    list: c.list,
    status: failed ? 'failed' : dryRun ? 'planned' : 'done',
    detail: `${dryRun ? 'would be ' : ''}${what}${c.expiresAt ? ` (until ${c.expiresAt})` : ''}${c.indicator.kind === 'ipv6' ? "; cordon's ledger only: GuardDuty lists accept IPv4 only" : ''}; GuardDuty: ${regionSummary(published, c.list)}`,
    ...(c.expiresAt ? { expiresAt: c.expiresAt } : {}),
  };
}

/** The audit record of a change by hand (no finding: `findingId` names the lists). */
function record(l: Line, run: Run, removal: boolean): AuditRecord {
  return {
    findingId: 'cordon-intel',
    findingArn: '',
    accountId: '',
    region: '',
    findingType: 'intel',
    runbook: null,
    action: l.list === 'threat' ? THREAT_LIST_ACTION : TRUSTED_LIST_ACTION,
    resource: l.value,
    status: l.status,
    detail: `by hand: ${l.detail}`,
    changed: { list: l.list, ...(l.expiresAt ? { expiresAt: l.expiresAt } : {}) },
    at: new Date().toISOString(),
    actor: removal ? 'release' : 'respond',
    by: `cli:${run.io.env.USER ?? 'unknown'}`,
  };
}

async function sync(run: Run): Promise<number> {
  const published = await run.intel.publish([], true);
  for (const s of published.syncs)
    run.io.stdout.write(
      run.json ? `${JSON.stringify(s)}\n` : `${s.status.padEnd(11)} ${s.region} ${s.list} (${s.format} list): ${s.detail}\n`,
    );
  return published.syncs.some((s) => s.status === 'failed') ? 1 : 0;
}
