import pLimit from 'p-limit';
import type { AuditRecord, AuditStore } from '../audit/store';
import type { MemberCredentialsCache } from '../aws/credentials';
import { describeError } from '../aws/errors';
import type { Finding } from '../findings/finding';
import type { FindingRef, ForeignFinding, ParsedItem } from '../findings/parse';
import { decide, type Decision, type ResponsePolicy } from '../runbooks/decide';
import type { Runbook } from '../runbooks/runbook';
import type { SecurityHubWriter, UpdateResult } from '../securityhub/writer';
import { resourceLabel, runSteps, screen, type ExecuteDeps, type Execution, type Screened } from './execute';
import { hydrateRefs } from './hydrate';
import type { ActionLine, FindingResult } from './result';
import { securityHubUpdate } from './summary';

/** Everything the responder pipeline needs; built by the CLI or the Lambda handler. */
export interface ResponderDeps extends ExecuteDeps {
  readonly runbooks: readonly Runbook[];
  readonly policy: ResponsePolicy;
  readonly audit: AuditStore;
  readonly credentials: MemberCredentialsCache;
  readonly writer: SecurityHubWriter;
  /** Findings handled at once (different resources); the same resource is always handled in order. @default 16 */
  readonly concurrency: number;
  /** Principal recorded in the audit trail. */
  readonly actor?: string;
}

/** Default number of findings handled at once. */
export const DEFAULT_CONCURRENCY = 16;

type Resolved =
  | { kind: 'finding'; finding: Finding; decision: Decision }
  | { kind: 'foreign'; foreign: ForeignFinding }
  | { kind: 'unreadable'; ref: FindingRef; error: Error };

/**
 * The pipeline: parsed input → Finding → runbook decision → execution in the
 * member account → audit record → Security Hub update. Results come back in
 * input order, one per finding.
 */
export async function respond(items: readonly ParsedItem[], deps: ResponderDeps): Promise<FindingResult[]> {
  const refs = items.flatMap((i) => (i.kind === 'ref' ? [i.ref] : []));
  const hydrated = refs.length > 0 ? await hydrateRefs(refs, deps.clients, deps.archiver) : new Map<string, Finding | Error>();
  const resolved: Resolved[] = items.map((item) => {
    if (item.kind === 'foreign') return { kind: 'foreign', foreign: item.foreign };
    const finding = item.kind === 'finding' ? item.finding : hydrated.get(item.ref.arn);
    if (item.kind === 'ref' && (!finding || finding instanceof Error)) {
      return { kind: 'unreadable', ref: item.ref, error: finding instanceof Error ? finding : new Error('finding not read') };
    }
    const f = finding as Finding;
    return { kind: 'finding', finding: f, decision: decide(f, deps.runbooks, deps.policy) };
  });

  const acting = resolved.flatMap((r) => (r.kind === 'finding' && r.decision.decision === 'act' ? [r] : []));
  const executions = await executeAll(acting, deps);

  const partial: Array<Omit<FindingResult, 'securityHub'> & { finding?: Finding; exempt: boolean }> = resolved.map((r) => {
    if (r.kind === 'foreign') {
      return { findingId: r.foreign.id, findingArn: r.foreign.id, accountId: r.foreign.accountId, region: r.foreign.region, type: `(not GuardDuty: ${r.foreign.productArn})`, severity: null, runbook: null, decision: 'skip', reason: 'not a GuardDuty finding', actions: [], exempt: false };
    }
    if (r.kind === 'unreadable') {
      return { findingId: r.ref.findingId, findingArn: r.ref.arn, accountId: r.ref.accountId, region: r.ref.region, type: '(unknown)', severity: null, runbook: null, decision: 'skip', reason: r.error.message, actions: [{ action: 'guardduty.get-finding', resource: r.ref.arn, status: 'failed', detail: r.error.message }], exempt: false };
    }
    const { finding, decision } = r;
    const execution = executions.get(r);
    const base = { findingId: finding.id, findingArn: finding.arn, accountId: finding.accountId, region: finding.region, type: finding.type, severity: finding.severity, runbook: decision.runbook?.name ?? null, finding };
    if (!execution) return { ...base, decision: 'skip', reason: decision.reason, actions: [], exempt: false };
    if (execution.exemptReason) return { ...base, decision: 'skip', reason: execution.exemptReason, actions: [], exempt: true };
    const actions: ActionLine[] = execution.outcomes.map((o) => ({ action: o.action, resource: o.resource, status: o.status, detail: o.detail }));
    return { ...base, decision: 'act', reason: decision.reason, actions, exempt: false };
  });

  await recordAudit(resolved, executions, deps);

  let written = new Map<string, UpdateResult>();
  if (!deps.dryRun) {
    const updates = partial.flatMap((p) => (p.finding ? [securityHubUpdate(p.finding, p, p.exempt)] : []));
    written = await deps.writer.write(updates);
  }
  return partial.map(({ finding, exempt: _exempt, ...rest }) => ({
    ...rest,
    securityHub: deps.dryRun
      ? { status: 'skipped', detail: 'dry run: Security Hub not written' }
      : finding
        ? (written.get(finding.arn) ?? { status: 'failed', detail: 'no answer from Security Hub' })
        : { status: 'skipped', detail: rest.type.startsWith('(not GuardDuty') ? 'not a GuardDuty finding' : 'finding could not be read' },
  }));
}

async function executeAll(acting: ReadonlyArray<Resolved & { kind: 'finding' }>, deps: ResponderDeps): Promise<Map<Resolved, Execution>> {
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
  // 2. Analysts see NOTIFIED while cordon acts: written alongside the actions, awaited before the final write.
  const toAct = acting.filter((r) => screened.get(r) && !screened.get(r)?.verdict);
  const inProgress =
    deps.dryRun || toAct.length === 0
      ? Promise.resolve()
      : deps.writer
          .write(toAct.map((r) => ({ findingArn: r.finding.arn, region: r.finding.region, partition: r.finding.partition, workflow: 'NOTIFIED' as const, note: `cordon is running runbook ${r.decision.runbook?.name} on this finding.`, fields: { cordon_result: 'in-progress' } })))
          .then(
            () => undefined,
            () => undefined,
          );
  // 3. Act. Findings about the same resource run one after another (a
  // duplicate sees the first one's work and reports "already"); different resources in parallel.
  const groups = new Map<string, Array<Resolved & { kind: 'finding' }>>();
  for (const r of acting) {
    if (!screened.has(r)) continue;
    const key = `${r.finding.accountId}|${r.finding.region}|${resourceLabel(r.finding)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  await Promise.allSettled(
    [...groups.values()].map((group) =>
      limit(async () => {
        for (const r of group) {
          try {
            executions.set(r, await runSteps(screened.get(r) as Screened));
          } catch (err) {
            executions.set(r, failedExecution(r.finding, err));
          }
        }
      }),
    ),
  );
  await inProgress;
  return executions;
}

function failedExecution(finding: Finding, err: unknown): Execution {
  return { exemptReason: undefined, outcomes: [{ action: 'runbook', resource: resourceLabel(finding), status: 'failed', detail: describeError(err) }] };
}

async function recordAudit(resolved: readonly Resolved[], executions: Map<Resolved, Execution>, deps: ResponderDeps): Promise<void> {
  if (deps.dryRun) return;
  const at = deps.now().toISOString();
  const records: AuditRecord[] = [];
  for (const r of resolved) {
    if (r.kind !== 'finding') continue;
    const execution = executions.get(r);
    const base = { findingId: r.finding.id, findingArn: r.finding.arn, accountId: r.finding.accountId, region: r.finding.region, findingType: r.finding.type, runbook: r.decision.runbook?.name ?? null, at, actor: 'respond' as const, by: deps.actor };
    if (!execution || execution.exemptReason) {
      records.push({ ...base, action: 'decision', resource: resourceLabel(r.finding), status: 'skipped', detail: execution?.exemptReason ?? r.decision.reason });
      continue;
    }
    for (const o of execution.outcomes) records.push({ ...base, action: o.action, resource: o.resource, status: o.status, detail: o.detail, prior: o.prior, changed: o.changed });
  }
  await deps.audit.append(records);
}
