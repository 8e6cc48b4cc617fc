import type { FindingUpdate, UpdateResult } from '../securityhub/writer';
import type { BuiltinRun } from './builtins';
import type { Execution } from './execute';
import type { Resolved, ResolvedFinding } from './resolve';
import { actionLine, type FindingResult } from './result';
import { openChannels, RESIDUAL_CHANNELS, type ResidualChannel } from '../outcome';
import type { Finding } from '../findings/finding';
import { heldUpdate, securityHubUpdate } from './summary';

/** A finding's result line before Security Hub is written, and what Security Hub gets for it. */
export interface Shaped {
  readonly result: Omit<FindingResult, 'securityHub'>;
  readonly securityHub: SecurityHubPlan;
  /** Set when the circuit breaker held the finding: the caller is told (`onHeld`). */
  readonly held: boolean;
}

/**
 * What Security Hub gets for a result: an update; nothing, because there is
 * no GuardDuty finding to update (`none`); or nothing, even outside a dry
 * run, because a write would echo (`never`: an imported update cordon ignores).
 */
export type SecurityHubPlan =
  { readonly kind: 'update'; readonly update: FindingUpdate } | { readonly kind: 'none' | 'never'; readonly detail: string };

/** The result lines of a batch, in input order (pure): what was done with each finding, and why. */
export function shapeAll(
  resolved: readonly Resolved[],
  builtins: ReadonlyMap<ResolvedFinding, BuiltinRun>,
  executions: ReadonlyMap<ResolvedFinding, Execution>,
): Shaped[] {
  return resolved.map((r): Shaped => {
    switch (r.kind) {
      case 'finding':
        return shapeFinding(r, builtins.get(r), executions.get(r));
      case 'foreign': {
        const { foreign: f } = r;
        const about = { findingId: f.id, findingArn: f.id, accountId: f.accountId, region: f.region };
        return notActed(about, `(not GuardDuty: ${f.productArn})`, 'not a GuardDuty finding', [], {
          kind: 'none',
          detail: 'not a GuardDuty finding',
        });
      }
      case 'ignored':
        return notActed(refOf(r.ref), '(imported Security Hub update)', r.reason, [], {
          kind: 'never',
          detail: 'not written: an imported update cordon does not act on (a write would echo)',
        });
      case 'unreadable': {
        const { message } = r.error;
        const failed = { action: 'guardduty.get-finding', resource: r.ref.arn, status: 'failed' as const, detail: message };
        return notActed(refOf(r.ref), '(unknown)', message, [failed], { kind: 'none', detail: 'finding could not be read' });
      }
    }
  });
}

/** How the Security Hub write went for a result (`written`: the writer's answers by finding ARN). */
export function securityHubResult(
  shaped: Shaped,
  written: ReadonlyMap<string, UpdateResult>,
  dryRun: boolean,
): FindingResult['securityHub'] {
  const plan = shaped.securityHub;
  if (plan.kind === 'never') return { status: 'skipped', detail: plan.detail };
  if (dryRun) return { status: 'skipped', detail: 'dry run: Security Hub not written' };
  if (plan.kind === 'none') return { status: 'skipped', detail: plan.detail };
  return written.get(shaped.result.findingArn) ?? { status: 'failed', detail: 'no answer from Security Hub' };
}

/** What a finding's result says, by what happened to it: a built-in ran, it was skipped, exempt, held, or acted on. */
function shapeFinding(r: ResolvedFinding, builtin: BuiltinRun | undefined, execution: Execution | undefined): Shaped {
  const { finding, decision } = r;
  const about = { findingId: finding.id, findingArn: finding.arn, accountId: finding.accountId, region: finding.region };
  const line = { ...about, type: finding.type, severity: finding.severity, runbook: decision.runbook?.name ?? null };
  const skip = (reason: string, flags: { exempt?: boolean; held?: boolean } = {}): Shaped => {
    const result = { ...line, decision: 'skip' as const, reason, actions: [] };
    const update = flags.held ? heldUpdate(finding, reason) : securityHubUpdate(finding, result, flags.exempt ?? false);
    return { result, securityHub: { kind: 'update', update }, held: flags.held ?? false };
  };
  if (builtin) {
    const result = {
      ...line,
      runbook: `builtin:${decision.builtin}`,
      decision: 'act' as const,
      reason: decision.reason,
      actions: builtin.actions,
    };
    return { result, securityHub: { kind: 'update', update: builtin.update ?? securityHubUpdate(finding, result, false) }, held: false };
  }
  // A sample finding changes nothing in AWS, Security Hub included: its Security Hub copy is a sample too.
  if (finding.sample) {
    const result = { ...line, decision: 'skip' as const, reason: decision.reason, actions: [] };
    return { result, securityHub: { kind: 'none', detail: 'sample finding: Security Hub not written' }, held: false };
  }
  if (!execution) return skip(decision.reason);
  if (execution.exemptReason) return skip(execution.exemptReason, { exempt: true });
  if (execution.heldReason) return skip(execution.heldReason, { held: true });
  if (execution.skippedReason) return skip(execution.skippedReason);
  const remains = execution.remains ?? openChannels(execution.outcomes).map((c) => residualNote(c, finding));
  const result = {
    ...line,
    decision: 'act' as const,
    reason: decision.reason,
    actions: execution.outcomes.map(actionLine),
    ...(remains.length > 0 ? { remains } : {}),
  };
  return { result, securityHub: { kind: 'update', update: securityHubUpdate(finding, result, false) }, held: false };
}

/**
 * The note of a channel left open: RESIDUAL_CHANNELS' text, naming the
 * database user to rotate when the finding names one (an RDS login finding's
 * note is its own, not shared with other findings).
 */
function residualNote(channel: ResidualChannel, finding: Finding): string {
  const user = finding.database?.user;
  if (channel !== 'database-credentials' || !user) return RESIDUAL_CHANNELS[channel];
  // The user name is the login attempt's (an attacker may choose it): printable, short.
  const shown = user.replace(/[^\x20-\x7e]/g, '?').slice(0, 63);
  return `the password of database user "${shown}" is unchanged (cordon cannot change a database password): rotate it`;
}

/** A line about something cordon did not act on and knows no GuardDuty finding of (not read, ignored, another product's). */
function notActed(
  about: Pick<FindingResult, 'findingId' | 'findingArn' | 'accountId' | 'region'>,
  type: string,
  reason: string,
  actions: FindingResult['actions'],
  securityHub: SecurityHubPlan,
): Shaped {
  return { result: { ...about, type, severity: null, runbook: null, decision: 'skip', reason, actions }, securityHub, held: false };
}

function refOf(ref: { readonly findingId: string; readonly arn: string; readonly accountId: string; readonly region: string }) {
  return { findingId: ref.findingId, findingArn: ref.arn, accountId: ref.accountId, region: ref.region };
}
