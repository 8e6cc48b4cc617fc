import pLimit, { type LimitFunction } from 'p-limit';
import { giveBack, leaseKey, type HeldLease } from '../audit/leases';
import { CordonError, describeError } from '../errors';
import type { Finding } from '../findings/finding';
import { recordAudit, runbookRecords } from './audit-records';
import type { CircuitRead } from './circuit';
import type { ResponderDeps } from './deps';
import {
  actionContext,
  hasApplicableStep,
  hasDisruptiveStep,
  releasedSkip,
  resourceLabel,
  runSteps,
  screen,
  type Execution,
  type Screened,
} from './execute';
import type { ActionContext } from '../actions/types';
import type { AuditRecord } from '../audit/store';
import type { ResolvedFinding } from './resolve';
import { inProgressUpdate } from './summary';
import { coalescedRun } from './coalesce';
import { mergeTargets, targetsOf, uncontainedLines } from './targets';
import { leaseOptions, leasingOf, letGo, takeLeases, type Leasing } from './batch-leases';

/** What acting on a batch produced. */
export interface Acted {
  /** One execution per finding acted on (or held, exempt, failed). */
  readonly executions: ReadonlyMap<ResolvedFinding, Execution>;
  /** Findings whose audit records are written (as their resource finished); the caller records the rest. */
  readonly audited: ReadonlySet<ResolvedFinding>;
}

/** A finding screened and found not exempt: it acts once its resource's lease is held and the circuit breaker admits it. */
interface Ready {
  readonly resolved: ResolvedFinding;
  readonly screened: Screened;
}

/** A screened finding: ready to act, or decided without acting (exempt, released, or its screening failed). */
type Screening = { readonly ready: Screened } | { readonly decided: Execution };

/** How one finding's run under its resource's lease ended. */
interface Run {
  readonly resolved: ResolvedFinding;
  readonly execution: Execution;
  readonly audited: boolean;
}

/**
 * Acts on the findings a runbook decided to act on: takes each resource's
 * lease while the findings are screened (live exemption tags; the call that
 * takes a lease also says which findings have history to read), lets the
 * circuit breaker admit the automatic ones, then runs each resource's findings
 * in order under its lease, auditing each before the next (the last one's
 * records and the lease's give-back in one write). Different resources run in parallel.
 */
export async function act(findings: readonly ResolvedFinding[], deps: ResponderDeps): Promise<Acted> {
  const limit = pLimit(deps.concurrency);
  // An attack sequence is acted on resource by resource (each screened, admitted, leased and audited on its own).
  const targets = new Map(findings.map((r) => [r, targetsOf(r)] as const));
  const acting = [...targets.values()].flat();
  // The circuit breaker's ledger is read while the findings are screened (independent calls, one round trip saved).
  const ledger = acting.length > 0 ? deps.circuit.read(deps.now()) : { snapshot: undefined };
  // Each resource's lease is taken while its findings are screened: nothing changes before both are done.
  const leases = deps.dryRun ? new Map<string, Leasing>() : takeLeases(acting, deps);
  const screened = await screenAll(acting, deps, limit);
  const decided = new Map<ResolvedFinding, Execution>();
  const ready: Ready[] = [];
  for (const [resolved, s] of screened) {
    if ('decided' in s) decided.set(resolved, s.decided);
    else ready.push({ resolved, screened: s.ready });
  }
  // Decided while the first resources' leases are taken (independent calls, one round trip saved).
  const held = admit(ready, deps, ledger);
  // Analysts see NOTIFIED while cordon acts: written alongside the actions, awaited before the final write.
  const inProgress = held.then((h) =>
    markInProgress(
      ready.filter((x) => !h.has(x.resolved) && hasApplicableStep(x.screened)),
      deps,
    ),
  );
  const groups = byResource(ready);
  // Resources none of whose findings is ready (all exempt, or their screening failed) give their lease back.
  const unneeded = [...leases].filter(([key]) => !groups.has(key)).map(([, leasing]) => letGo(leasing, deps));
  const settled = await Promise.allSettled(
    [...groups].map(([key, group]) =>
      limit(() => actOnResource(group, held, leases.get(key) ?? (deps.dryRun ? undefined : () => leasingOf(key, deps)), deps)),
    ),
  );
  // eslint-disable-next-line cordon/no-unbounded-fan-out -- waits for give-backs already under way (one per resource of the batch)
  await Promise.all(unneeded);
  await inProgress;
  const runs = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
  const executions = new Map([...decided, ...(await held), ...runs.map((run) => [run.resolved, run.execution] as const)]);
  const audited = new Set(runs.flatMap((run) => (run.audited ? [run.resolved] : [])));
  for (const [r, parts] of targets) if (parts.length !== 1 || parts[0] !== r) await joinTargets(r, parts, executions, audited, deps);
  return { executions, audited };
}

/**
 * An attack sequence's targets become its one execution again: what no
 * target's run recorded yet (targets held, exempt or released; resources
 * cordon cannot contain) is audited now, each under its own resource.
 */
async function joinTargets(
  r: ResolvedFinding,
  parts: readonly ResolvedFinding[],
  executions: Map<ResolvedFinding, Execution>,
  audited: Set<ResolvedFinding>,
  deps: ResponderDeps,
): Promise<void> {
  const joined = parts.map((target) => ({ target, execution: executions.get(target) ?? failedExecution(target.finding, 'not run') }));
  const unrecorded = [
    ...joined.filter((j) => !audited.has(j.target)).map((j) => ({ resolved: j.target, execution: j.execution })),
    ...(uncontainedLines(r).length > 0 ? [{ resolved: r, execution: { exemptReason: undefined, outcomes: uncontainedLines(r) } }] : []),
  ];
  for (const part of parts) executions.delete(part);
  executions.set(r, mergeTargets(r, joined));
  try {
    await recordAudit(unrecorded, deps);
    audited.add(r);
  } catch {
    // Left to the responder's own record of unaudited findings, which reports a failure to write.
  }
}

/** Screens every finding (read-only: live exemption tags), in parallel; the map is in input order. */
async function screenAll(
  acting: readonly ResolvedFinding[],
  deps: ResponderDeps,
  limit: LimitFunction,
): Promise<Map<ResolvedFinding, Screening>> {
  return new Map(await Promise.all(acting.map(async (r) => [r, await limit(() => screenOne(r, deps))] as const)));
}

async function screenOne(r: ResolvedFinding, deps: ResponderDeps): Promise<Screening> {
  try {
    deps.credentials.labelNextSession(r.finding.accountId, r.finding.region, r.finding.id);
    if (!r.decision.runbook) throw new CordonError(`no runbook to act on finding ${r.finding.id}`);
    const screened = await screen(r.finding, r.decision.runbook, deps);
    return screened.verdict ? { decided: screened.verdict } : { ready: screened };
  } catch (err) {
    return { decided: failedExecution(r.finding, err) };
  }
}

/**
 * The findings the circuit breaker holds (automatic containments beyond the
 * caps). Custom actions are not capped (an analyst decided), and only what
 * can disrupt a workload counts: a storm of blocked scanners must not use up
 * the cap a crypto-miner's isolation needs.
 */
async function admit(ready: readonly Ready[], deps: ResponderDeps, ledger: CircuitRead): Promise<Map<ResolvedFinding, Execution>> {
  const automatic = ready.filter((x) => x.resolved.finding.origin.kind !== 'custom-action' && hasDisruptiveStep(x.screened));
  const held = new Map<ResolvedFinding, Execution>();
  try {
    const candidates = automatic.map(({ resolved: { finding } }) => ({
      accountId: finding.accountId,
      region: finding.region,
      findingId: finding.id,
      resource: resourceLabel(finding),
    }));
    const verdicts = await deps.circuit.admit(candidates, deps.now(), deps.dryRun, deps.leases?.deferRelease, ledger);
    automatic.forEach((x, i) => {
      const verdict = verdicts[i];
      if (verdict && !verdict.admitted) held.set(x.resolved, heldExecution(verdict.reason));
    });
  } catch (err) {
    // Without its ledger (read, or its verdicts recorded: a timeout, contention past its budget) the breaker cannot count:
    // hold every automatic containment rather than act blind.
    const why = `circuit-open: the circuit breaker could not read its ledger or record its verdicts (${describeError(err)}); not acting automatically`;
    for (const x of automatic) held.set(x.resolved, heldExecution(why));
  }
  return held;
}

/** Notes in Security Hub that cordon is acting on these findings (best effort: the final write says what happened). */
async function markInProgress(acting: readonly Ready[], deps: ResponderDeps): Promise<void> {
  if (deps.dryRun || acting.length === 0) return;
  // The targets of an attack sequence share its finding: one note for it.
  const findings = [...new Map(acting.map((x) => [x.resolved.finding.arn, x.resolved.finding])).values()];
  await deps.writer.write(findings.map((f) => inProgressUpdate(f))).catch(() => undefined);
}

/**
 * Findings by the resource they act on, in input order. Findings about the
 * same resource run one after another (a duplicate sees the first one's work
 * and reports "already"); across processes and Lambda environments the
 * lease on this key does the same.
 */
function byResource(ready: readonly Ready[]): Map<string, Ready[]> {
  const groups = new Map<string, Ready[]>();
  for (const x of ready) {
    const key = leaseKey(x.resolved.finding.accountId, x.resolved.finding.region, resourceLabel(x.resolved.finding));
    groups.set(key, [...(groups.get(key) ?? []), x]);
  }
  return groups;
}

/**
 * How long before screening began a give-back still makes the screened reads
 * suspect (they may have been answered before that holder's changes): clocks
 * of Lambda environments agree far better than this.
 */
const GIVE_BACK_MARGIN_MS = 60_000;

/**
 * Runs one resource's admitted findings in order under its lease. Findings
 * the breaker held do not run; the lease is given back with the last
 * finding's records in one write.
 */
async function actOnResource(
  group: readonly Ready[],
  held: Promise<ReadonlyMap<ResolvedFinding, Execution>>,
  taking: Leasing | (() => Leasing) | undefined,
  deps: ResponderDeps,
): Promise<Run[]> {
  const options = leaseOptions(deps);
  const holds = await held;
  const admitted = group.filter((x) => !holds.has(x.resolved));
  if (admitted.length === 0) {
    if (typeof taking !== 'function') await letGo(taking, deps);
    return [];
  }
  // Taken now (its turn came) unless it was asked for with the screening.
  const leasing = typeof taking === 'function' ? taking() : taking;
  const lease = leasing ? await leasing.lease : undefined;
  if (lease instanceof Error)
    return admitted.map((x) => ({ resolved: x.resolved, execution: failedExecution(x.resolved.finding, lease), audited: false }));
  let givenBack = false;
  const written: string[] = [];
  // Each finding's whole history after its run, when known: the lease's item carries it back.
  const histories = new Map<string, readonly AuditRecord[]>();
  try {
    const runs: Run[] = [];
    for (const [i, x] of admitted.entries()) {
      const { ctx, read } = contextUnderLease(x, i, admitted, lease, histories, deps);
      const last = i === admitted.length - 1;
      const run = await runAndRecord(x, ctx, deps, async (records) => {
        const { finding } = x.resolved;
        written.push(finding.id);
        // An attack sequence's targets share its finding id: each resource's item would carry only its part.
        const before = finding.sequence === undefined ? await read() : undefined;
        const carry = (into: Map<string, readonly AuditRecord[]>) => {
          if (before) into.set(finding.id, [...before, ...records]);
          else into.delete(finding.id);
          return into;
        };
        if (!last || !lease) {
          await deps.audit.append(records);
          // Carried only once written: the item never claims a record the trail lacks.
          carry(histories);
          return;
        }
        givenBack = true;
        return lease
          .releaseWith(records, written, (r) => deps.audit.append(r), carry(new Map(histories)))
          .catch((err: unknown) => {
            givenBack = false;
            throw err;
          });
      });
      runs.push(run);
    }
    return runs;
  } finally {
    if (lease && !givenBack) await giveBack(lease, options, written);
  }
}

/**
 * The context a finding runs with under its resource's lease, and its
 * history before the run when known (`read`: what the lease's item carried,
 * or what an action read from the trail; undefined when nothing needed it).
 * Its history: none when the lease's trace says no record of it was ever
 * written under the lease (and the trace covers the finding's lifetime), the
 * item's when it carries it (or, for a finding delivered twice in the batch,
 * what the first delivery's run left, `written`), else read from the trail. The reads of screening
 * stand unless another delivery may have changed the resource since (a
 * give-back after screening began, an earlier finding of this batch, or a
 * store that keeps no trace): then everything is read again.
 */
function contextUnderLease(
  x: Ready,
  index: number,
  admitted: readonly Ready[],
  lease: HeldLease | undefined,
  written: ReadonlyMap<string, readonly AuditRecord[]>,
  deps: ResponderDeps,
): { ctx: ActionContext; read: () => Promise<readonly AuditRecord[] | undefined> } {
  const { finding } = x.resolved;
  const trace = lease?.trace;
  // An earlier finding of this batch with the same id wrote records the item does not carry yet: its history as
  // written under this lease (`written`), else the trail.
  const earlier = admitted.slice(0, index).some((e) => e.resolved.finding.id === finding.id);
  const traced = trace !== undefined && !trace.findings.has(finding.id) && (finding.createdAt ?? '') >= trace.since && !earlier;
  const carried = earlier ? written.get(finding.id) : trace?.histories?.get(finding.id);
  const known = traced ? Promise.resolve([]) : carried ? Promise.resolve(carried) : undefined;
  // Without a trace (a store that keeps none), another holder may have acted unseen: read everything again.
  const recent = !trace || (trace.givenBackAtMs !== undefined && trace.givenBackAtMs >= x.screened.startedAtMs - GIVE_BACK_MARGIN_MS);
  const base = index === 0 && !recent ? x.screened.ctx : actionContext(finding, deps, known);
  let history = known;
  // Complete only when the lease's item kept its histories: a holder that never gave it back (taken over) may have
  // changed the resource without writing its records.
  const historyComplete = known !== undefined && trace?.histories !== undefined;
  const ctx = { ...base, historyComplete, history: () => (history ??= base.history()) };
  return { ctx, read: async () => history?.catch(() => undefined) };
}

/**
 * Runs a finding's steps and records them (with `write`) before the next
 * finding about this resource runs (a duplicate in the same batch reads what
 * this one did: its snapshots, which DescribeSnapshots may not list yet),
 * before the lease is given back, and before the next resource: a crash later
 * in the batch loses nothing of it. A release recorded since screening stands.
 */
async function runAndRecord(
  { resolved, screened }: Ready,
  ctx: ActionContext,
  deps: ResponderDeps,
  write: (records: ReturnType<typeof runbookRecords>) => Promise<void>,
): Promise<Run> {
  const execution = await (async () =>
    (await releasedSkip(resolved.finding, ctx)) ?? (await coalesced(resolved, screened, ctx)) ?? runSteps(screened, ctx))().catch(
    (err: unknown) => failedExecution(resolved.finding, err),
  );
  try {
    if (!deps.dryRun) await write(runbookRecords(resolved, execution, { at: deps.now().toISOString(), by: deps.actor }, deps.dryRun));
    return { resolved, execution, audited: true };
  } catch (err) {
    // The changes are made but their record is not: say so on the outcome, loudly.
    const unrecorded = {
      action: 'audit',
      resource: resourceLabel(resolved.finding),
      status: 'failed' as const,
      detail: `the audit trail could not be written (${describeError(err)}): release cannot undo these changes`,
    };
    return { resolved, execution: { exemptReason: undefined, outcomes: [...execution.outcomes, unrecorded] }, audited: false };
  }
}

/**
 * Another delivery's run of this finding, close behind this one and from the
 * same inputs, when the history is known complete (see `coalescedRun`):
 * reported rather than made again.
 */
async function coalesced(resolved: ResolvedFinding, screened: Screened, ctx: ActionContext): Promise<Execution | undefined> {
  const { runbook } = resolved.decision;
  if (!ctx.historyComplete || !runbook) return undefined;
  return coalescedRun(resolved.finding, runbook, await ctx.history(), screened.startedAtMs);
}

function failedExecution(finding: Finding, err: unknown): Execution {
  return {
    exemptReason: undefined,
    outcomes: [{ action: 'runbook', resource: resourceLabel(finding), status: 'failed', detail: describeError(err) }],
  };
}

function heldExecution(reason: string): Execution {
  return { exemptReason: undefined, heldReason: reason, outcomes: [] };
}
