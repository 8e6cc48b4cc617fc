/**
 * What an action did to a resource, as the CLI prints it, the audit trail
 * records it and Security Hub notes summarise it. A leaf module: actions,
 * the audit store, release and the responder all build on it.
 */
import { CordonError, describeError } from './errors';

/** Outcome of one action on one resource (the `status` of the CLI's JSON lines). */
export type ActionStatus = 'done' | 'already' | 'skipped' | 'failed' | 'planned';

/**
 * Channels a containment is known to leave open, each with the note analysts
 * read in Security Hub. The notes name no resource (findings with the same
 * outcome share one BatchUpdateFindings call); the audit trail has the ids.
 * A finding whose actions leave one of these open is NOTIFIED, never RESOLVED.
 */
export const RESIDUAL_CHANNELS = {
  /**
   * Security groups and network ACLs do not filter DNS queries to the Route 53
   * Resolver (the VPC base + 2 address): VPC User Guide, "Network ACLs" (traffic
   * they do not filter) and "Amazon DNS server".
   */
  'dns-resolver': 'DNS to the VPC resolver is still open: stop the instance or attach DNS Firewall',
  /**
   * `network.block-domain` closes DNS for the finding's domains only (Route 53 Resolver DNS Firewall answers
   * NXDOMAIN for them): every other domain still resolves, a new C&C or exfiltration domain included.
   */
  'dns-other-domains': "DNS Firewall blocks only the finding's domains: every other domain still resolves; stop the instance to end DNS",
  /**
   * "Automatically tracked connections" (VPC User Guide, "Security group
   * connection tracking"): flows through a NAT gateway, Network or Gateway
   * Load Balancer, Transit Gateway attachment or PrivateLink endpoint stay
   * tracked whatever the rules, so the allow-all hop cannot untrack them.
   */
  'gateway-tracked-flows':
    'flows via a NAT gateway, load balancer, Transit Gateway or PrivateLink stay open until they end: add network.isolate-transit or stop the instance',
  /** Only TCP and UDP flows can be untracked: ICMP and flows through an egress-only internet gateway stay tracked. */
  'direct-tracked-flows': 'ICMP and egress-only internet gateway flows stay open until they end: stop the instance',
  /** Isolation ran without the allow-all hop (`cutTrackedConnections: false`). */
  'established-connections': 'connections made before the isolation stay open (cutTrackedConnections is off): stop the instance',
  /** A revocation denies sessions issued before now; whoever obtained them may obtain new ones the same way. */
  'role-new-sessions':
    'new sessions of the role still work: contain whoever obtained the revoked ones (the instance, or who assumed the role)',
  /** An `ASIA…` key of an IAM user (console or GetSessionToken session) cannot be deactivated; a deny on the user covers it. */
  'user-temporary-credentials': "the user's temporary session keys stay valid: deny the user (iam.deny-user)",
  /** cordon never acts on the root user. */
  'root-credentials': 'the root user cannot be contained by cordon: secure it by hand (password, access keys, MFA)',
  /** A throttled Lambda function's invocations already running when its reserved concurrency went to 0 run to their end. */
  'running-invocations':
    'invocations already running when the function was throttled run to their end (at most its timeout, 15 minutes): review its logs',
  /** A step with `when: { trigger: custom-action }` did not run automatically (e.g. isolating an EKS node other pods share). */
  'custom-action-steps': 'part of the runbook runs only from its Security Hub custom action: run it once you confirm the finding',
  /**
   * A blocked address does not stop the database user logging in from
   * elsewhere, and cordon cannot change a database password (GuardDuty's
   * "Remediating a potentially compromised database": rotate the user's credentials).
   */
  'database-credentials': "the database user's password is unchanged (cordon cannot change a database password): rotate it",
  /** A database moved into the quarantine group keeps the sessions already open (RDS's interfaces are AWS's: no allow-all hop). */
  'database-connections': 'database sessions opened before the quarantine stay open: end them in the database, or reboot it',
  /**
   * A stopped ECS task of a service is replaced by the service with a new
   * task from the same task definition (and image): GuardDuty's "Remediating
   * Runtime Monitoring findings" (compromised container images).
   */
  'service-replacement': "the task's ECS service starts a replacement from the same task definition: fix or roll back its image",
  /**
   * The Kubernetes user of an EKS audit-log finding is no IAM principal of
   * the finding's account (a service account, a certificate, an alias):
   * Kubernetes RBAC is out of cordon's reach (GuardDuty's "Remediating EKS
   * Protection findings": compromised Kubernetes users).
   */
  'kubernetes-user': "the Kubernetes user is not an IAM principal cordon can contain: revoke its access in the cluster's RBAC by hand",
  /**
   * EKS authenticates an IAM principal with a presigned `sts:GetCallerIdentity`,
   * which no IAM policy can deny (STS API Reference, GetCallerIdentity): a
   * denied user's keys and a role's revoked sessions still reach the cluster
   * until its access entry or `aws-auth` mapping is removed (EKS User Guide,
   * "Grant IAM users and roles access to Kubernetes APIs").
   */
  'kubernetes-iam-authentication':
    'the IAM principal still authenticates to the cluster (EKS uses sts:GetCallerIdentity, which no IAM policy denies): remove its access entry or aws-auth mapping',
} as const;

/** A channel a containment may leave open (see {@link RESIDUAL_CHANNELS}). */
export type ResidualChannel = keyof typeof RESIDUAL_CHANNELS;

/** What one action did (or would do) to one resource. */
export interface ActionOutcome {
  readonly action: string;
  /** The resource acted on: an instance id, an access key id, `acl-…:203.0.113.7/32`… */
  readonly resource: string;
  readonly status: ActionStatus;
  readonly detail: string;
  /** The resource's state before cordon changed it, for `release`. */
  readonly prior?: Readonly<Record<string, unknown>>;
  /** What cordon created or changed (snapshot ids, rule numbers, policy names…). */
  readonly changed?: Readonly<Record<string, unknown>>;
  /** Channels this outcome knows it leaves open (another action of the runbook may close them). */
  readonly remains?: readonly ResidualChannel[];
  /** Channels this outcome closes, or found closed (set only when it is in place: done, already, or not applicable). */
  readonly closes?: readonly ResidualChannel[];
}

/** One action's line in a finding's result (the CLI's JSON contract). */
export interface ActionLine {
  readonly action: string;
  readonly resource: string;
  readonly status: ActionStatus;
  readonly detail: string;
}

/**
 * An action failed part-way: `completed` holds the outcomes of the changes it
 * had already made (with their prior state, so `release` can undo them). The
 * runner records them, then one `failed` line with the cause.
 */
export class PartialActionError extends CordonError {
  public constructor(
    public readonly completed: readonly ActionOutcome[],
    cause: unknown,
  ) {
    super(describeError(cause), { cause });
    this.name = 'PartialActionError';
  }
}

/**
 * Runs an action's work with a list it appends each outcome to as soon as the
 * change is made. If the work throws after some changes, they are not lost:
 * they travel in a PartialActionError.
 */
export async function collecting(work: (results: ActionOutcome[]) => Promise<void>): Promise<ActionOutcome[]> {
  const results: ActionOutcome[] = [];
  try {
    await work(results);
  } catch (err) {
    if (results.length === 0) throw err;
    throw new PartialActionError(results, err);
  }
  return results;
}

/** Builds an outcome; keeps action files short. */
export function outcome(
  action: string,
  resource: string,
  status: ActionStatus,
  detail: string,
  extra: Pick<ActionOutcome, 'prior' | 'changed' | 'remains' | 'closes'> = {},
): ActionOutcome {
  return { action, resource, status, detail, ...extra };
}

/**
 * The channels a finding's outcomes leave open (pure), in the order of
 * {@link RESIDUAL_CHANNELS}: what some outcome says remains, less what an
 * action closes (a stopped instance closes what its isolation left). An action
 * closes a channel only when none of its outcomes failed: a deny placed in one
 * transit subnet but not in another closes nothing. In a dry run, what the plan
 * would close counts.
 */
export function openChannels(outcomes: ReadonlyArray<Pick<ActionOutcome, 'action' | 'status' | 'remains' | 'closes'>>): ResidualChannel[] {
  const remains = new Set(outcomes.flatMap((o) => o.remains ?? []));
  const failing = new Set(outcomes.filter((o) => o.status === 'failed').map((o) => o.action));
  const closed = new Set(outcomes.filter((o) => !failing.has(o.action)).flatMap((o) => o.closes ?? []));
  return (Object.keys(RESIDUAL_CHANNELS) as ResidualChannel[]).filter((c) => remains.has(c) && !closed.has(c));
}

/** How a note words a status: `done` and `already` both mean the containment is in place. */
const NOTE_STATUS: Readonly<Record<ActionOutcome['status'], string>> = {
  done: 'in place',
  already: 'in place',
  skipped: 'not applicable',
  failed: 'FAILED',
  planned: 'planned',
};

/** `ec2.snapshot in place; ec2.isolate in place, FAILED`: each action's outcome, without counts or resources. */
export function statusSummary(actions: ReadonlyArray<Pick<ActionOutcome, 'action' | 'status'>>): string {
  const byAction = new Map<string, Set<string>>();
  for (const a of actions) byAction.set(a.action, (byAction.get(a.action) ?? new Set()).add(NOTE_STATUS[a.status]));
  if (byAction.size === 0) return 'no action applied';
  return [...byAction].map(([action, statuses]) => `${action} ${[...statuses].join(', ')}`).join('; ');
}

/** `ec2.snapshot 2 done; ec2.isolate 1 done, 1 failed` */
export function summarizeActions(actions: ReadonlyArray<Pick<ActionOutcome, 'action' | 'status'>>): string {
  const byAction = new Map<string, Map<string, number>>();
  for (const a of actions) {
    const counts = byAction.get(a.action) ?? new Map<string, number>();
    counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
    byAction.set(a.action, counts);
  }
  if (byAction.size === 0) return 'no action applied';
  return [...byAction].map(([action, counts]) => `${action} ${[...counts].map(([status, n]) => `${n} ${status}`).join(', ')}`).join('; ');
}
