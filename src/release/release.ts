import { ACTIONS } from '../actions/registry';
import type { ActionOutcome, UndoContext } from '../actions/types';
import type { AuditRecord, AuditStore } from '../audit/store';
import type { ClientFactory } from '../aws/clients';
import type { MemberCredentialsCache } from '../aws/credentials';
import { describeError } from '../aws/errors';
import { summarizeActions } from '../respond/summary';
import type { FindingUpdate } from '../securityhub/writer';

/** How a release runs. */
export interface ReleaseOptions {
  /** Report what would be restored (`planned`); change nothing and record nothing. */
  readonly dryRun: boolean;
  /** Restore even resources someone changed since cordon acted. */
  readonly force: boolean;
  /** Turn access keys cordon deactivated back on (off by default). */
  readonly reactivateKeys: boolean;
}

/** What a release needs: the audit trail and the member accounts. */
export interface ReleaseDeps {
  readonly audit: AuditStore;
  readonly clients: ClientFactory;
  readonly credentials: MemberCredentialsCache;
  readonly now: () => Date;
  readonly actor?: string;
}

/** The outcome of releasing one finding. */
export interface Release {
  readonly findingId: string;
  /** From the audit trail; undefined when cordon never recorded anything for the finding. */
  readonly findingArn: string | undefined;
  readonly accountId: string | undefined;
  readonly region: string | undefined;
  readonly findingType: string | undefined;
  /** One line per change cordon had made (restored, already restored, kept, refused, failed), last change first. */
  readonly actions: readonly ActionOutcome[];
  /** A one-line account of the release. */
  readonly summary: string;
}

/**
 * Undoes what cordon changed for one finding, from its audit records: each
 * `done` change of a `respond` run, last first, through its action's undo.
 * Changes a previous release already restored are reported `already`;
 * evidence (snapshots, tags) and unsafe restores are kept and say why. The
 * release's own outcomes are audited with actor `release` (not in dry-run).
 */
export async function releaseFinding(findingId: string, deps: ReleaseDeps, options: ReleaseOptions): Promise<Release> {
  const records = await deps.audit.forFinding(findingId);
  const first = records[0];
  const base = { findingId, findingArn: first?.findingArn, accountId: first?.accountId, region: first?.region, findingType: first?.findingType };
  // Per resource, an episode opens with cordon's first change and closes with
  // a release. A resource changed again within an episode (a re-applied
  // change) is restored from the first change's prior state: later ones
  // recorded cordon's own state as "prior".
  const open = new Map<string, AuditRecord>();
  const closed = new Map<string, string>();
  for (const r of records) {
    if (r.status !== 'done') continue;
    const key = `${r.action}|${r.resource}`;
    if (r.actor === 'release') {
      if (open.delete(key)) closed.set(key, r.at);
    } else if (!open.has(key)) {
      open.set(key, r);
    }
  }
  const changes = [...open.values()].reverse();
  if (!first || (changes.length === 0 && closed.size === 0)) {
    const why = first ? 'cordon changed nothing for this finding (every action was skipped, already done or failed)' : `no audit record of this finding in ${deps.audit.description}`;
    return { ...base, actions: [], summary: `nothing to release: ${why}` };
  }

  const accountId = first.accountId;
  const region = first.region;
  deps.credentials.labelNextSession(accountId, region, `release-${findingId}`);
  const ctx: UndoContext = { ...options, member: (ctor) => deps.clients.member(ctor, accountId, region) };
  const outcomes: ActionOutcome[] = [];
  for (const [key, at] of closed) {
    if (open.has(key)) continue;
    const [action = '', resource = ''] = key.split('|');
    outcomes.push({ action, resource, status: 'already', detail: `restored by the release of ${at}` });
  }
  for (const change of changes) {
    const action = ACTIONS.get(change.action);
    if (!action) {
      outcomes.push({ action: change.action, resource: change.resource, status: 'failed', detail: `action ${change.action} is unknown to this version of cordon: restore by hand (${change.detail})` });
    } else if (action.undo.kind === 'keep') {
      outcomes.push({ action: change.action, resource: change.resource, status: 'skipped', detail: action.undo.reason });
    } else {
      try {
        outcomes.push(...(await action.undo.run(ctx, { resource: change.resource, prior: change.prior ?? {}, changed: change.changed ?? {} })));
      } catch (err) {
        outcomes.push({ action: change.action, resource: change.resource, status: 'failed', detail: describeError(err) });
      }
    }
  }
  if (!options.dryRun) {
    const at = deps.now().toISOString();
    const audit: AuditRecord[] = outcomes.map((o) => ({
      findingId,
      findingArn: first.findingArn,
      accountId,
      region,
      findingType: first.findingType,
      runbook: first.runbook,
      action: o.action,
      resource: o.resource,
      status: o.status,
      detail: o.detail,
      prior: o.prior,
      changed: o.changed,
      at,
      actor: 'release',
      by: deps.actor,
    }));
    await deps.audit.append(audit);
  }
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  return { ...base, actions: outcomes, summary: `${options.dryRun ? 'release planned' : 'released'}: ${summarizeActions(outcomes)}${failed > 0 ? ` (${failed} not restored: see details)` : ''}` };
}

/** The Security Hub note of a release (workflow unchanged: the analyst decides what the finding is now). */
export function releaseUpdate(release: Release): FindingUpdate | undefined {
  if (!release.findingArn || !release.region) return undefined;
  const partition = release.findingArn.split(':')[1] ?? 'aws';
  const failed = release.actions.some((a) => a.status === 'failed');
  return {
    findingArn: release.findingArn,
    region: release.region,
    partition,
    workflow: failed ? 'NOTIFIED' : undefined,
    note: `cordon ${release.summary}.${failed ? ' Some changes were NOT restored: act manually.' : ''} Snapshots and tags are kept as evidence. Details in cordon's audit trail.`,
    fields: { cordon_result: failed ? 'release-incomplete' : 'released' },
  };
}
