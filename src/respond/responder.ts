import pLimit from 'p-limit';
import type { AuditRecord } from '../audit/store';
import type { MemberCredentialsCache } from '../aws/credentials';
import { describeError } from '../errors';
import type { Finding } from '../findings/finding';
import type { FindingRef, ForeignFinding, ParsedItem } from '../findings/parse';
import { decide, importedSkipReason, type Decision, type ResponsePolicy } from '../runbooks/decide';
import type { Runbook } from '../runbooks/runbook';
import { releaseFinding, releaseUpdate } from '../release/release';
import { BUILTIN_ACTIONS } from '../runbooks/custom-actions';
import type { FindingUpdate, SecurityHubWriter, UpdateResult } from '../securityhub/writer';
import type { CircuitBreaker } from './circuit';
import {
  hasApplicableStep,
  hasDisruptiveStep,
  resourceLabel,
  runSteps,
  screen,
  type ExecuteDeps,
  type Execution,
  type Screened,
} from './execute';
import { hydrateRefs } from './hydrate';
import { acquireLease, giveBack, leaseKey, type HeldLease } from '../audit/leases';
import type { FindingResult } from './result';
import type { ActionLine } from '../outcome';
import { heldUpdate, securityHubUpdate } from './summary';

/** Everything the responder pipeline needs; built by the CLI or the Lambda handler. */
export interface ResponderDeps extends ExecuteDeps {
  readonly runbooks: readonly Runbook[];
  readonly policy: ResponsePolicy;
  /** Blast-radius caps on automatic containments (custom actions are not capped: an analyst decided). */
  readonly circuit: CircuitBreaker;
  /** Told about findings the circuit breaker held (the Lambda emits a metric, the CLI a warning). */
  readonly onHeld?: (held: ReadonlyArray<{ accountId: string; findingId: string; reason: string }>) => void;
  readonly credentials: MemberCredentialsCache;
  readonly writer: SecurityHubWriter;
  /** Findings handled at once (different resources); the same resource is always handled in order. @default 16 */
  readonly concurrency: number;
  /** Principal recorded in the audit trail. */
  readonly actor?: string;
}

/** The note of findings being acted on: the same for all, so one call per region covers up to 100 of them. */
export const IN_PROGRESS_NOTE = 'cordon is containing this finding now; the outcome follows in a later note.';

type Resolved =
  | { kind: 'finding'; finding: Finding; decision: Decision }
  | { kind: 'foreign'; foreign: ForeignFinding }
  | { kind: 'unreadable'; ref: FindingRef; error: Error }
  /** An imported Security Hub update cordon ignores (not NEW, or its own write coming back): nothing is read or written. */
  | { kind: 'ignored'; ref: FindingRef; reason: string };

/**
 * The pipeline: parsed input → Finding → runbook decision → execution in the
 * member account → audit record → Security Hub update. Results come back in
 * input order, one per finding.
 */
export async function respond(items: readonly ParsedItem[], base: ResponderDeps): Promise<FindingResult[]> {
  // Leases are given back in the background (off the critical path), and all of them before this returns.
  const releases: Array<Promise<void>> = [];
  const deps: ResponderDeps = { ...base, leases: { ...base.leases, deferRelease: (p) => releases.push(p) } };
  try {
    return await respondTo(items, deps);
  } finally {
    await Promise.all(releases);
  }
}

async function respondTo(items: readonly ParsedItem[], deps: ResponderDeps): Promise<FindingResult[]> {
  // Decided from the Security Hub copy alone, before reading GuardDuty.
  const ignored = new Map<FindingRef, string>();
  for (const i of items) {
    const reason = i.kind === 'ref' && i.ref.origin.kind === 'imported' ? importedSkipReason(i.ref.origin) : undefined;
    if (reason && i.kind === 'ref') ignored.set(i.ref, reason);
  }
  const refs = items.flatMap((i) => (i.kind === 'ref' && !ignored.has(i.ref) ? [i.ref] : []));
  const hydrated = refs.length > 0 ? await hydrateRefs(refs, deps.clients, deps.archiver) : new Map<string, Finding | Error>();
  const resolved: Resolved[] = items.map((item) => {
    if (item.kind === 'foreign') return { kind: 'foreign', foreign: item.foreign };
    const reason = item.kind === 'ref' ? ignored.get(item.ref) : undefined;
    if (item.kind === 'ref' && reason) return { kind: 'ignored', ref: item.ref, reason };
    const finding = item.kind === 'finding' ? item.finding : hydrated.get(item.ref.arn);
    if (item.kind === 'ref' && (!finding || finding instanceof Error)) {
      return { kind: 'unreadable', ref: item.ref, error: finding instanceof Error ? finding : new Error('finding not read') };
    }
    const f = finding as Finding;
    return { kind: 'finding', finding: f, decision: decide(f, deps.runbooks, deps.policy) };
  });

  const acting = resolved.flatMap((r) => (r.kind === 'finding' && r.decision.decision === 'act' && !r.decision.builtin ? [r] : []));
  const builtins = await runBuiltins(
    resolved.flatMap((r) => (r.kind === 'finding' && r.decision.builtin ? [r] : [])),
    deps,
  );
  const audited = new Set<Resolved>();
  const executions = await executeAll(acting, deps, audited);

  const partial: Array<
    Omit<FindingResult, 'securityHub'> & { finding?: Finding; exempt: boolean; held?: boolean; update?: FindingUpdate; hubSkip?: string }
  > = resolved.map((r) => {
    if (r.kind === 'foreign') {
      return {
        findingId: r.foreign.id,
        findingArn: r.foreign.id,
        accountId: r.foreign.accountId,
        region: r.foreign.region,
        type: `(not GuardDuty: ${r.foreign.productArn})`,
        severity: null,
        runbook: null,
        decision: 'skip',
        reason: 'not a GuardDuty finding',
        actions: [],
        exempt: false,
      };
    }
    if (r.kind === 'ignored') {
      return {
        findingId: r.ref.findingId,
        findingArn: r.ref.arn,
        accountId: r.ref.accountId,
        region: r.ref.region,
        type: '(imported Security Hub update)',
        severity: null,
        runbook: null,
        decision: 'skip',
        reason: r.reason,
        actions: [],
        exempt: false,
        hubSkip: 'not written: an imported update cordon does not act on (a write would echo)',
      };
    }
    if (r.kind === 'unreadable') {
      return {
        findingId: r.ref.findingId,
        findingArn: r.ref.arn,
        accountId: r.ref.accountId,
        region: r.ref.region,
        type: '(unknown)',
        severity: null,
        runbook: null,
        decision: 'skip',
        reason: r.error.message,
        actions: [{ action: 'guardduty.get-finding', resource: r.ref.arn, status: 'failed', detail: r.error.message }],
        exempt: false,
      };
    }
    const { finding, decision } = r;
    const execution = executions.get(r);
    const base = {
      findingId: finding.id,
      findingArn: finding.arn,
      accountId: finding.accountId,
      region: finding.region,
      type: finding.type,
      severity: finding.severity,
      runbook: decision.runbook?.name ?? null,
      finding,
    };
    const builtin = builtins.get(r);
    if (builtin)
      return {
        ...base,
        runbook: `builtin:${decision.builtin}`,
        decision: 'act',
        reason: decision.reason,
        actions: builtin.actions,
        exempt: false,
        update: builtin.update,
      };
    if (!execution) return { ...base, decision: 'skip', reason: decision.reason, actions: [], exempt: false };
    if (execution.exemptReason) return { ...base, decision: 'skip', reason: execution.exemptReason, actions: [], exempt: true };
    if (execution.heldReason) return { ...base, decision: 'skip', reason: execution.heldReason, actions: [], exempt: false, held: true };
    if (execution.skippedReason) return { ...base, decision: 'skip', reason: execution.skippedReason, actions: [], exempt: false };
    const actions: ActionLine[] = execution.outcomes.map((o) => ({
      action: o.action,
      resource: o.resource,
      status: o.status,
      detail: o.detail,
    }));
    return { ...base, decision: 'act', reason: decision.reason, actions, exempt: false };
  });

  // What acted was audited as each resource finished; the rest (skips, holds, exemptions) now.
  await recordAudit(
    resolved.filter((r) => !audited.has(r)),
    executions,
    deps,
  );

  let written = new Map<string, UpdateResult>();
  if (!deps.dryRun) {
    const updates = partial.flatMap((p) => {
      if (!p.finding) return [];
      if (p.update) return [p.update];
      return [p.held ? heldUpdate(p.finding, p.reason) : securityHubUpdate(p.finding, p, p.exempt)];
    });
    written = await deps.writer.write(updates);
  }
  const held = partial.filter((p) => p.held);
  if (held.length > 0) deps.onHeld?.(held.map((p) => ({ accountId: p.accountId, findingId: p.findingId, reason: p.reason })));
  return partial.map(({ finding, exempt: _exempt, held: _held, update: _update, hubSkip, ...rest }) => ({
    ...rest,
    securityHub: hubSkip
      ? { status: 'skipped', detail: hubSkip }
      : deps.dryRun
        ? { status: 'skipped', detail: 'dry run: Security Hub not written' }
        : finding
          ? (written.get(finding.arn) ?? { status: 'failed', detail: 'no answer from Security Hub' })
          : { status: 'skipped', detail: rest.type.startsWith('(not GuardDuty') ? 'not a GuardDuty finding' : 'finding could not be read' },
  }));
}

async function executeAll(
  acting: ReadonlyArray<Resolved & { kind: 'finding' }>,
  deps: ResponderDeps,
  audited: Set<Resolved>,
): Promise<Map<Resolved, Execution>> {
  const limit = pLimit(deps.concurrency);
  // 1. Screen (read-only: live exemption tags), all findings in parallel.
  const screened = new Map<Resolved, Screened>();
  const executions = new Map<Resolved, Execution>();
  await Promise.allSettled(
    acting.map((r) =>
      limit(async () => {
        deps.credentials.labelNextSession(r.finding.accountId, r.finding.region, r.finding.id);
        try {
          screened.set(r, await screen(r.finding, r.decision.runbook as Runbook, deps));
        } catch (err) {
          executions.set(r, failedExecution(r.finding, err));
        }
      }),
    ),
  );
  // 2. Findings about the same resource run one after another (a duplicate
  // sees the first one's work and reports "already"); different resources in
  // parallel. Across processes and Lambda environments a lease on the
  // resource does the same: a second delivery of a finding waits for the
  // first to finish and record what it did.
  const groups = new Map<string, Array<Resolved & { kind: 'finding' }>>();
  for (const r of acting) {
    const verdict = screened.get(r)?.verdict;
    // Exempt, released, or its exemption check failed: decided without acting.
    if (verdict && !executions.has(r)) executions.set(r, verdict);
    if (!screened.get(r) || verdict || executions.has(r)) continue;
    const key = leaseKey(r.finding.accountId, r.finding.region, resourceLabel(r.finding));
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const leaseOptions = { ...deps.leases, store: deps.audit };
  const release = async (lease: HeldLease | Error | undefined): Promise<void> => {
    if (lease && !(lease instanceof Error)) await giveBack(lease, leaseOptions);
  };
  // 3. The circuit breaker: automatic containments beyond the caps are held
  // (custom actions are not capped: an analyst decided). It decides while the
  // first resources' leases are taken (independent calls, one round trip saved).
  // Only what can disrupt a workload counts: a storm of blocked scanners must not use up the cap a crypto-miner's isolation needs.
  const automatic = acting.filter((r) => {
    const s = screened.get(r);
    return s && !s.verdict && r.finding.origin.kind !== 'custom-action' && hasDisruptiveStep(s);
  });
  const admitted = (async (): Promise<void> => {
    try {
      const verdicts = await deps.circuit.admit(
        automatic.map((r) => ({
          accountId: r.finding.accountId,
          region: r.finding.region,
          findingId: r.finding.id,
          resource: resourceLabel(r.finding),
        })),
        deps.now(),
        deps.dryRun,
        deps.leases?.deferRelease,
      );
      automatic.forEach((r, i) => {
        const verdict = verdicts[i];
        if (verdict && !verdict.admitted) executions.set(r, { exemptReason: undefined, heldReason: verdict.reason, outcomes: [] });
      });
    } catch (err) {
      // Without its ledger the breaker cannot count: hold every automatic containment rather than act blind.
      for (const r of automatic)
        executions.set(r, {
          exemptReason: undefined,
          heldReason: `circuit-open: the circuit breaker's ledger could not be read (${describeError(err)}); not acting automatically`,
          outcomes: [],
        });
    }
  })();
  // 4. Analysts see NOTIFIED while cordon acts: written alongside the actions, awaited before the final write.
  const inProgress = admitted.then(async () => {
    const toAct = acting.filter((r) => {
      const s = screened.get(r);
      return s && !s.verdict && !executions.has(r) && hasApplicableStep(s);
    });
    if (deps.dryRun || toAct.length === 0) return;
    await deps.writer
      .write(
        toAct.map((r) => ({
          findingArn: r.finding.arn,
          region: r.finding.region,
          partition: r.finding.partition,
          workflow: 'NOTIFIED' as const,
          note: IN_PROGRESS_NOTE,
          fields: { cordon_result: 'in-progress' },
        })),
      )
      .then(
        () => undefined,
        () => undefined,
      );
  });
  // 5. Act, each resource under its lease, taken when its turn comes (a lease
  // is held only while its resource is worked on, never while it waits behind
  // others in this batch: a duplicate elsewhere would wait for nothing).
  await Promise.allSettled(
    [...groups].map(([key, all]) =>
      limit(async () => {
        const lease = deps.dryRun
          ? undefined
          : await acquireLease(key, leaseOptions).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
        await admitted;
        const group = all.filter((r) => !executions.has(r));
        if (group.length === 0) return release(lease);
        if (lease instanceof Error) {
          for (const r of group) executions.set(r, failedExecution(r.finding, lease));
          return;
        }
        try {
          for (const r of group) {
            try {
              executions.set(r, await runSteps(screened.get(r) as Screened));
            } catch (err) {
              executions.set(r, failedExecution(r.finding, err));
            }
            // Recorded before the next finding about this resource runs (a
            // duplicate in the same batch reads what this one did: its
            // snapshots, which DescribeSnapshots may not list yet), before
            // the lease is given back, and before the next resource: a crash
            // later in the batch loses nothing of it.
            try {
              await recordAudit([r], executions, deps);
              audited.add(r);
            } catch (err) {
              // The changes are made but their record is not: say so on the outcome, loudly.
              const e = executions.get(r);
              executions.set(r, {
                exemptReason: undefined,
                outcomes: [
                  ...(e?.outcomes ?? []),
                  {
                    action: 'audit',
                    resource: resourceLabel(r.finding),
                    status: 'failed',
                    detail: `the audit trail could not be written (${describeError(err)}): release cannot undo these changes`,
                  },
                ],
              });
            }
          }
        } finally {
          await release(lease);
        }
      }),
    ),
  );
  await inProgress;
  return executions;
}

function failedExecution(finding: Finding, err: unknown): Execution {
  return {
    exemptReason: undefined,
    outcomes: [{ action: 'runbook', resource: resourceLabel(finding), status: 'failed', detail: describeError(err) }],
  };
}

async function recordAudit(resolved: readonly Resolved[], executions: Map<Resolved, Execution>, deps: ResponderDeps): Promise<void> {
  if (deps.dryRun) return;
  const at = deps.now().toISOString();
  const records: AuditRecord[] = [];
  for (const r of resolved) {
    if (r.kind !== 'finding') continue;
    const execution = executions.get(r);
    const base = {
      findingId: r.finding.id,
      findingArn: r.finding.arn,
      accountId: r.finding.accountId,
      region: r.finding.region,
      findingType: r.finding.type,
      runbook: r.decision.runbook?.name ?? null,
      at,
      actor: 'respond' as const,
      by: deps.actor,
      subject: resourceLabel(r.finding),
    };
    if (r.decision.builtin) continue; // built-ins audit themselves
    if (!execution || execution.exemptReason || execution.heldReason || execution.skippedReason) {
      records.push({
        ...base,
        action: 'decision',
        resource: resourceLabel(r.finding),
        status: 'skipped',
        detail: execution?.exemptReason ?? execution?.heldReason ?? execution?.skippedReason ?? r.decision.reason,
      });
      continue;
    }
    const steps = r.decision.runbook?.actions ?? [];
    for (const o of execution.outcomes) {
      const step = steps.find((st) => st.action === o.action);
      const request = step ? { action: step.action, params: step.with ?? {}, dryRun: deps.dryRun } : undefined;
      records.push({
        ...base,
        action: o.action,
        resource: o.resource,
        status: o.status,
        detail: o.detail,
        ...(request ? { request } : {}),
        prior: o.prior,
        changed: o.changed,
      });
    }
  }
  await deps.audit.append(records);
}

/**
 * The built-in custom actions. False positive: archive the GuardDuty finding
 * and suppress it in Security Hub with the analyst's note. Release: undo what
 * cordon changed for the finding (src/release). Both are audited.
 */
async function runBuiltins(
  findings: ReadonlyArray<Resolved & { kind: 'finding' }>,
  deps: ResponderDeps,
): Promise<Map<Resolved, { actions: ActionLine[]; update: FindingUpdate | undefined }>> {
  const done = new Map<Resolved, { actions: ActionLine[]; update: FindingUpdate | undefined }>();
  const audit: AuditRecord[] = [];
  const at = deps.now().toISOString();
  await Promise.all(
    findings.map(async (r) => {
      const f = r.finding;
      if (r.decision.builtin === 'release') {
        const release = await releaseFinding(f.id, deps, { dryRun: deps.dryRun, force: false, reactivateKeys: false }).catch(
          (err: unknown) => ({
            findingId: f.id,
            findingArn: f.arn,
            accountId: f.accountId,
            region: f.region,
            findingType: f.type,
            actions: [{ action: 'release', resource: resourceLabel(f), status: 'failed' as const, detail: describeError(err) }],
            summary: `release failed: ${describeError(err)}`,
          }),
        );
        const actions =
          release.actions.length > 0
            ? release.actions.map(line)
            : [{ action: 'release', resource: resourceLabel(f), status: 'skipped' as const, detail: release.summary }];
        done.set(r, { actions, update: releaseUpdate({ ...release, findingArn: f.arn, region: f.region }) });
        return;
      }
      // False positive.
      const note = f.origin.kind === 'custom-action' ? f.origin.analystNote : undefined;
      let action: ActionLine;
      if (f.archived) action = { action: 'guardduty.archive', resource: f.id, status: 'already', detail: 'already archived in GuardDuty' };
      else if (deps.dryRun)
        action = { action: 'guardduty.archive', resource: f.id, status: 'planned', detail: 'would archive in the administrator detector' };
      else {
        try {
          await deps.archiver.archive(f);
          action = { action: 'guardduty.archive', resource: f.id, status: 'done', detail: 'archived in the administrator detector' };
        } catch (err) {
          action = { action: 'guardduty.archive', resource: f.id, status: 'failed', detail: describeError(err) };
        }
      }
      audit.push({
        findingId: f.id,
        findingArn: f.arn,
        accountId: f.accountId,
        region: f.region,
        findingType: f.type,
        runbook: null,
        action: action.action,
        resource: action.resource,
        status: action.status,
        detail: `${BUILTIN_ACTIONS.falsePositive.name}: ${action.detail}${note ? ` (analyst note: ${note})` : ''}`,
        at,
        actor: 'respond',
        by: deps.actor,
      });
      done.set(r, {
        actions: [action],
        update: {
          findingArn: f.arn,
          region: f.region,
          partition: f.partition,
          workflow: action.status === 'failed' ? 'NOTIFIED' : 'SUPPRESSED',
          // cordon's part first: a long analyst note is what gets cut at Security Hub's limit.
          note: `An analyst marked this finding a false positive (custom action "${BUILTIN_ACTIONS.falsePositive.name}"). ${action.status === 'failed' ? `cordon could NOT archive it in GuardDuty: ${action.detail}.` : 'cordon archived it in GuardDuty.'}${note ? ` Analyst's note: ${note}` : ''}`,
          fields: { cordon_result: action.status === 'failed' ? 'failed' : 'false-positive' },
        },
      });
    }),
  );
  if (!deps.dryRun) await deps.audit.append(audit);
  return done;
}

function line(o: ActionLine): ActionLine {
  return { action: o.action, resource: o.resource, status: o.status, detail: o.detail };
}
