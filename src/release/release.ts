import { ACTIONS } from '../actions/registry';
import { readUndoRecord } from '../actions/define';
import { REFUSED, type UndoContext } from '../actions/types';
import { type ActionOutcome } from '../outcome';
import type { AuditRecord, AuditStore, LeaseStore } from '../audit/store';
import type { ClientFactory } from '../aws/clients';
import type { MemberCredentialsCache } from '../aws/credentials';
import { describeError } from '../errors';
import { iamLeaseKey, leaseKey, withLease, type LeaseOptions } from '../audit/leases';
import { summarizeActions } from '../outcome';
import type { FindingUpdate } from '../securityhub/writer';
import type { IntelLists } from '../intel/lists';
import { forgetFinding } from '../intel/references';

/** How a release runs. */
export interface ReleaseOptions {
  /** Report what would be restored (`planned`); change nothing and record nothing. */
  readonly dryRun: boolean;
  /** Restore even resources someone changed since cordon acted. */
  readonly force: boolean;
  /** Turn access keys cordon deactivated back on (off by default). */
  readonly reactivateKeys: boolean;
}

/** What a release needs: the audit trail (and its leases) and the member accounts. */
export interface ReleaseDeps {
  readonly audit: AuditStore & LeaseStore;
  /** How the lease on the finding's resource waits. @default LEASE_WAIT_MS */
  readonly leases?: Omit<LeaseOptions, 'store'>;
  readonly clients: ClientFactory;
  readonly credentials: MemberCredentialsCache;
  readonly now: () => Date;
  readonly actor?: string;
  /** cordon's threat list: the indicators only this finding listed leave it. @default not shared */
  readonly intel?: IntelLists;
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
  const base = {
    findingId,
    findingArn: first?.findingArn,
    accountId: first?.accountId,
    region: first?.region,
    findingType: first?.findingType,
  };
  // Per resource, an episode opens with cordon's first change and closes with
  // a release. A resource changed again within an episode (a re-applied
  // change) is restored from the first change's prior state: later ones
  // recorded cordon's own state as "prior".
  const open = new Map<string, AuditRecord>();
  const closed = new Map<string, string>();
  for (const r of records) {
    // Its threat-list reasons are the ledger's, taken off below (other findings' reasons stay).
    if (r.status !== 'done' || r.action.startsWith('intel.')) continue;
    const key = `${r.action}|${r.resource}`;
    if (r.actor === 'release') {
      if (open.delete(key)) closed.set(key, r.at);
    } else if (!open.has(key)) {
      open.set(key, r);
    }
  }
  const changes = [...open.values()].reverse();
  const listed = deps.intel && records.some((r) => r.action.startsWith('intel.') && r.status !== 'skipped' && r.status !== 'failed');
  const indicators = listed && deps.intel ? await forgetFinding(deps.intel, findingId) : [];
  if (!first || (changes.length === 0 && closed.size === 0 && indicators.length === 0)) {
    const why = first
      ? 'cordon changed nothing for this finding (every action was skipped, already done or failed)'
      : `no audit record of this finding in ${deps.audit.description}`;
    // A finding that found its resources already contained still counted as
    // relying on them: record that it no longer does, so others can be released.
    if (first && !options.dryRun) await deps.audit.append(releaseMarkers(records, deps));
    return { ...base, actions: [], summary: `nothing to release: ${why}` };
  }

  const accountId = first.accountId;
  const region = first.region;
  deps.credentials.labelNextSession(accountId, region, `release-${findingId}`);
  const ctx: UndoContext = {
    ...options,
    member: (ctor) => deps.clients.member(ctor, accountId, region),
    // The responder's lease on the same principal: a release never interleaves with a containment's read-modify-write.
    exclusivePrincipal: (principal, work) =>
      options.dryRun ? work() : withLease(iamLeaseKey(accountId, principal), { ...deps.leases, store: deps.audit }, work),
  };
  // One at a time with the responder on these resources (a containment in
  // another process or Lambda), and recorded before the leases are given back.
  // An attack sequence has several; they are taken in one order (sorted), so two releases never wait on each other.
  const subjects = [...new Set(records.flatMap((r) => (r.subject ? [r.subject] : [])))].sort();
  const subject = subjects[0];
  const run = async (): Promise<ActionOutcome[]> => {
    const outcomes = [...(await undoChanges(findingId, accountId, region, open, closed, changes, ctx, deps, options)), ...indicators];
    if (!options.dryRun) {
      const at = deps.now().toISOString();
      await deps.audit.append(
        outcomes.map((o) => ({
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
          actor: 'release' as const,
          by: deps.actor,
          ...(subject ? { subject } : {}),
        })),
      );
      await deps.audit.append(releaseMarkers(records, deps));
    }
    return outcomes;
  };
  const leased = (keys: readonly string[]): Promise<ActionOutcome[]> => {
    const [first, ...rest] = keys;
    // The resource's lease is traced (as the responder takes it): its item learns that this finding has records.
    return first
      ? withLease(leaseKey(accountId, region, first), { ...deps.leases, store: deps.audit }, () => leased(rest), [findingId])
      : run();
  };
  const outcomes = options.dryRun ? await run() : await leased(subjects);
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  return {
    ...base,
    actions: outcomes,
    summary: `${options.dryRun ? 'release planned' : 'released'}: ${summarizeActions(outcomes)}${failed > 0 ? ` (${failed} not restored: see details)` : ''}`,
  };
}

/**
 * Undoes each open change, last first. A change that other findings still
 * rely on (their last record of it is a containment: done, or found already
 * in place) is refused unless forced, naming them: releasing one of two
 * findings about one instance must not open the instance for the other.
 */
async function undoChanges(
  findingId: string,
  accountId: string,
  region: string,
  open: ReadonlyMap<string, AuditRecord>,
  closed: ReadonlyMap<string, string>,
  changes: readonly AuditRecord[],
  ctx: UndoContext,
  deps: ReleaseDeps,
  options: ReleaseOptions,
): Promise<ActionOutcome[]> {
  const outcomes: ActionOutcome[] = [];
  for (const [key, at] of closed) {
    if (open.has(key)) continue;
    const [action = '', resource = ''] = key.split('|');
    outcomes.push({ action, resource, status: 'already', detail: `restored by the release of ${at}` });
  }
  for (const change of changes) {
    const action = ACTIONS.get(change.action);
    if (!action) {
      outcomes.push({
        action: change.action,
        resource: change.resource,
        status: 'failed',
        detail: `action ${change.action} is unknown to this version of cordon: restore by hand (${change.detail})`,
      });
      continue;
    }
    if (action.undo.kind === 'keep') {
      outcomes.push({ action: change.action, resource: change.resource, status: 'skipped', detail: action.undo.reason });
      continue;
    }
    // Never undo from a record this version cannot read: --force does not override it.
    const read = readUndoRecord(action, change);
    if (!read.ok) {
      outcomes.push({
        action: change.action,
        resource: change.resource,
        status: 'failed',
        detail: `${REFUSED} cannot read the audit record of ${change.action} on ${change.resource} (${read.problems.join('; ')}): written by another version of cordon or edited by hand; restore by hand (${change.detail})`,
      });
      continue;
    }
    try {
      const others = reliantFindings(await deps.audit.forResource(accountId, region, change.action, change.resource), findingId, change);
      if (others.length > 0 && !options.force) {
        outcomes.push({
          action: change.action,
          resource: change.resource,
          status: 'failed',
          detail: `${REFUSED} ${others.length === 1 ? 'finding' : 'findings'} ${others.join(', ')} still ${others.length === 1 ? 'relies' : 'rely'} on this containment: release ${others.length === 1 ? 'it' : 'them'} first, or rerun with --force`,
        });
        continue;
      }
      outcomes.push(...(await action.undo.run(ctx, read.record)));
    } catch (err) {
      outcomes.push({ action: change.action, resource: change.resource, status: 'failed', detail: describeError(err) });
    }
  }
  return outcomes;
}

/**
 * Other findings whose last record of a resource (records oldest first) is a
 * containment in place (pure). Given the `change` about to be undone, a finding
 * whose last record came before that change, with no release of the resource
 * in between, relied on the state the change replaced, which the undo puts
 * back: it does not count. (A revocation cut-off moved forward for a later
 * finding: releasing the later finding restores the earlier cut-off the first
 * one relies on. A second finding that only tagged a protected instance:
 * releasing it leaves the protection the first one turned on.)
 */
export function reliantFindings(records: readonly AuditRecord[], exceptFindingId: string, change?: AuditRecord): string[] {
  const last = new Map<string, number>();
  records.forEach((r, i) => {
    if (r.findingId !== exceptFindingId && r.status !== 'failed' && r.status !== 'planned' && r.status !== 'skipped')
      last.set(r.findingId, i);
  });
  const changedAt = change
    ? records.findIndex((r) => r.findingId === change.findingId && r.actor === 'respond' && r.status === 'done' && r.at === change.at)
    : -1;
  return [...last]
    .filter(([, i]) => {
      if (records[i]?.actor !== 'respond') return false;
      if (changedAt < 0 || i > changedAt) return true;
      // Before the change: it relies on it only if what it relied on was released before the change was made.
      return records.slice(i + 1, changedAt).some((r) => r.actor === 'release' && r.status === 'done');
    })
    .map(([findingId]) => findingId);
}

/**
 * Release records for what the finding found already in place (another
 * finding's change it relied on): after its release it no longer relies on
 * them, so the other finding's release is not refused on its account.
 */
function releaseMarkers(records: readonly AuditRecord[], deps: ReleaseDeps): AuditRecord[] {
  const last = new Map<string, AuditRecord>();
  for (const r of records) if (r.status === 'already' || r.status === 'done') last.set(`${r.action}|${r.resource}`, r);
  const at = deps.now().toISOString();
  return [...last.values()]
    .filter((r) => r.actor === 'respond' && r.status === 'already')
    .map(({ prior: _prior, changed: _changed, request: _request, ...r }) => ({
      ...r,
      detail: 'released: this finding no longer relies on it',
      at,
      actor: 'release' as const,
      by: deps.actor,
    }));
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
