/**
 * The leases of a batch's resources (see `act`): asked for while the
 * findings are screened, for as many resources as run at once, and given back
 * when nobody needs them.
 */
import { acquireLease, giveBack, leaseKey, type HeldLease } from '../audit/leases';
import type { ResponderDeps } from './deps';
import { resourceLabel } from './execute';
import type { ResolvedFinding } from './resolve';

/** A resource's lease being taken, and how to stop waiting for it when it is no longer needed. */
export interface Leasing {
  readonly lease: Promise<HeldLease | Error>;
  /** Stops waiting (a lease already taken is given back by the caller). */
  readonly abort: () => void;
}

/**
 * The lease of each resource the findings are about (traced: its item says
 * which findings have history), asked for at once, for as many resources as
 * run at once (`concurrency`): a resource that will wait for a free slot takes
 * its lease only when its turn comes, for a lease held while queued behind
 * resources that wait for leases another environment holds (while it queues
 * behind ours) would deadlock the two.
 */
export function takeLeases(acting: readonly ResolvedFinding[], deps: ResponderDeps): Map<string, Leasing> {
  const leases = new Map<string, Leasing>();
  for (const { finding } of acting) {
    const key = leaseKey(finding.accountId, finding.region, resourceLabel(finding));
    if (leases.has(key)) continue;
    if (leases.size >= deps.concurrency) break;
    leases.set(key, leasingOf(key, deps));
  }
  return leases;
}

export function leasingOf(key: string, deps: ResponderDeps): Leasing {
  const controller = new AbortController();
  const lease = acquireLease(key, leaseOptions(deps), true, controller.signal).catch((err: unknown) => asError(err));
  return { lease, abort: () => controller.abort() };
}

/** Gives back a lease nobody needs (stops waiting for it first); awaited, so that nothing is left held when the batch ends. */
export async function letGo(leasing: Leasing | undefined, deps: ResponderDeps): Promise<void> {
  if (!leasing) return;
  leasing.abort();
  const lease = await leasing.lease;
  if (!(lease instanceof Error)) await giveBack(lease, leaseOptions(deps));
}

export function leaseOptions(deps: ResponderDeps) {
  return { ...deps.leases, store: deps.audit };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
