import type { Instance } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import type { ClientConstructor } from '../aws/clients';
import type { AuditRecord } from '../audit/store';
import type { ActionOutcome } from '../outcome';
import type { Finding } from '../findings/finding';
import type { OwnedBuckets } from './s3/owned-buckets';

/** Everything an action may use; AWS I/O only through the clients it hands out. */
export interface ActionContext {
  readonly finding: Finding;
  /** Report what would be done (`planned`) and call no mutating API. */
  readonly dryRun: boolean;
  readonly now: Date;
  /** Name of the member role cordon itself uses: never revoked or denied. */
  readonly responderRoleName: string;
  /** An SDK client in the finding's account and region, through the member role. */
  member<C>(ctor: ClientConstructor<C>): C;
  /** An SDK client in the security account, in the finding's region. */
  home<C>(ctor: ClientConstructor<C>): C;
  /** The finding's instance as EC2 describes it now (one call per finding, shared by its actions). */
  instance(): Promise<Instance>;
  /**
   * The finding's buckets that its account owns, with their tags as read while proving it (looked up once per
   * finding, shared by its actions and the exemption check).
   */
  ownedBuckets(): Promise<OwnedBuckets>;
  /** GuardDuty ArchiveFindings in the administrator account, batched (≤ 50 ids a call) across findings. */
  archive(finding: Finding): Promise<void>;
  /**
   * Runs `work` alone on `scope` (a network ACL id, a VPC's quarantine groups…)
   * in the finding's account and region, across every cordon process and
   * Lambda environment: for changes that two findings about different
   * resources could otherwise make at once. In a dry run, `work` just runs.
   */
  exclusive<T>(scope: string, work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` alone on an IAM principal's policies (`role/web-role`) across
   * every region of the finding's account (IAM is global), in every cordon
   * process and Lambda environment: for a read-modify-write of an inline
   * policy. In a dry run, `work` just runs.
   */
  exclusivePrincipal<T>(principal: string, work: () => Promise<T>): Promise<T>;
  /** This finding's audit records (what earlier deliveries did), oldest first; read once per finding. */
  history(): Promise<readonly AuditRecord[]>;
  /**
   * True when `history()` is known to hold every record cordon wrote for this
   * finding: it comes with the resource's lease (its trace says no record of
   * the finding was written under it since before the finding existed, or
   * its item carries the finding's whole history), and no holder of that
   * lease abandoned it meanwhile (a crash between a change and its record).
   * A change an earlier delivery made is then in the history, and need not
   * be looked for in AWS. Absent (false) outside a lease.
   */
  readonly historyComplete?: boolean;
  /**
   * A read-only lookup started once per context and shared: an action's
   * `prefetch` starts it while the finding is screened, its `run` awaits the
   * same promise. A context made afresh under the lease (another delivery
   * worked on the finding meanwhile) reads again.
   */
  lookup<T>(key: string, read: () => Promise<T>): Promise<T>;
  /**
   * Resolves once the evidence steps (`runs: 'evidence'`, the snapshots)
   * started with this one have requested their evidence (the CreateSnapshots
   * signed and handed to the network: a snapshot's point in time is when EC2
   * receives the call) or ended, whether they succeeded or not; at once when
   * there are none. An action that moves the resource's network waits for it
   * before its first move, so that evidence is never requested after isolation began.
   */
  evidence(): Promise<void>;
  /** Called by an evidence step once its evidence is requested (see `evidence`); the step's end counts too. */
  evidenceRequested(): void;
}

/**
 * How a step runs beside the runbook's other steps. `sequential`: after every
 * step before it has ended, and the next one waits for it. `concurrent`: it
 * reads nothing another step changes, so it starts together with the
 * neighbouring `concurrent` and `evidence` steps (the runbook's order stays
 * the order of the outcomes). `evidence`: concurrent, and what
 * `ActionContext.evidence` waits for.
 */
export type StepRunMode = 'sequential' | 'concurrent' | 'evidence';

/**
 * What kind of resource an action needs the finding to name. `remote-ip`:
 * an attacker's address and the subnets of the finding's instance or
 * database; `kubernetes`: an EKS cluster (audit-log findings).
 */
export type ActionTarget =
  | 'instance'
  | 'access-key'
  | 'user'
  | 'role'
  | 'bucket'
  | 'remote-ip'
  | 'lambda-function'
  | 'ecs-task'
  | 'database'
  | 's3-object'
  | 'ebs-snapshot'
  | 'ec2-image'
  | 'recovery-point'
  | 'kubernetes'
  | 'finding';

/**
 * What an action records as `prior` or `changed` in an outcome: an object, or
 * nothing (`undefined`: the record has no such part).
 */
export type AuditPayload = Readonly<Record<string, unknown>> | undefined;

/**
 * One containment action: one file under src/actions/<service>/, made with
 * `defineAction`. `Prior` and `Changed` are what its `done` outcomes record,
 * as its `prior` and `changed` schemas read them.
 */
export interface ActionDefinition<
  P = Record<string, unknown>,
  Prior extends AuditPayload = AuditPayload,
  Changed extends AuditPayload = AuditPayload,
> {
  /** `<service>.<verb>`, as runbooks name it. */
  readonly name: string;
  readonly summary: string;
  /** Parameters a runbook may pass under `with:` (defaults applied). */
  readonly params: z.ZodType<P>;
  readonly target: ActionTarget;
  /**
   * True when it can stop or cut off a workload (isolation, detaching,
   * disabling credentials, blocking public access): what the blast-radius
   * circuit breaker counts. Evidence (snapshots, protection, tags), an
   * attacker's address blocked, an archived finding: false.
   */
  readonly disruptive: boolean;
  /** How it runs beside the runbook's other steps. @default 'sequential' */
  readonly runs?: StepRunMode;
  /**
   * Every IAM action it calls, in the member account (`member`) or the
   * security account (`home`). The StackSet role is derived from these.
   */
  readonly permissions: { readonly member: readonly string[]; readonly home: readonly string[] };
  /** Schema of the `prior` its outcomes record (the state it replaced); `release` parses a record with it before undoing. */
  readonly prior: z.ZodType<Prior>;
  /** Schema of the `changed` its outcomes record (what it created or changed); parsed with `prior`. */
  readonly changed: z.ZodType<Changed>;
  run(ctx: ActionContext, params: P): Promise<ActionOutcome[]>;
  /**
   * Starts the read-only lookups `run` will need (through `ctx.lookup`) while
   * the finding is screened (they start with the exemption check), so that
   * they are answered by the time its resource's lease is held and the
   * circuit breaker admitted it. Never changes anything. @default none
   */
  prefetch?(ctx: ActionContext, params: P): void;
  /**
   * Starts making cordon's own resources `run` will use (through
   * `ctx.lookup`), never the finding's: once the finding is found not exempt,
   * beside the circuit breaker's admission (an admission that holds the
   * finding leaves them, unused and harmless, for the next one). Idempotent;
   * never in a dry run. @default none
   */
  prepare?(ctx: ActionContext, params: P): void;
  /** How `release` undoes one of its `done` outcomes, or why it keeps it (evidence, or unsafe to restore). */
  readonly undo: ActionUndo<Prior, Changed>;
}

/** What `release` knows of one change cordon made: an audited `done` outcome, read with its action's schemas. */
export interface UndoRecord<Prior extends AuditPayload = AuditPayload, Changed extends AuditPayload = AuditPayload> {
  readonly resource: string;
  readonly prior: Prior;
  readonly changed: Changed;
}

/** What undoing a change may use. */
export interface UndoContext {
  /** Report what would be restored (`planned`) and call no mutating API. */
  readonly dryRun: boolean;
  /** Restore even when the resource changed since cordon acted (someone else's later change is overwritten). */
  readonly force: boolean;
  /** Re-activate access keys cordon deactivated (off by default: a leaked key should stay off). */
  readonly reactivateKeys: boolean;
  /** An SDK client in the finding's account and region, through the member role. */
  member<C>(ctor: ClientConstructor<C>): C;
  /** Runs `work` alone on an IAM principal's policies, as the responder does (see `ActionContext.exclusivePrincipal`). */
  exclusivePrincipal<T>(principal: string, work: () => Promise<T>): Promise<T>;
}

/** An action's undo: restore from the audit record, or keep the change on purpose. */
export type ActionUndo<Prior extends AuditPayload = AuditPayload, Changed extends AuditPayload = AuditPayload> =
  | {
      readonly kind: 'restore';
      /** IAM actions the restore calls in the member account (granted to the member role). */
      readonly permissions: readonly string[];
      run(ctx: UndoContext, record: UndoRecord<Prior, Changed>): Promise<ActionOutcome[]>;
    }
  | { readonly kind: 'keep'; readonly reason: string };

/**
 * Detail prefix of an undo that refused: the resource changed since cordon
 * acted, another finding still relies on the change, or the audit record
 * cannot be read by this version of cordon.
 */
export const REFUSED = 'refused:';

/** Tag keys cordon writes on what it touches or creates. */
export const TAG_FINDING_ID = 'cordon:finding-id';
/** See TAG_FINDING_ID. */
export const TAG_FINDING_TYPE = 'cordon:finding-type';
/** See TAG_FINDING_ID. */
export const TAG_CONTAINED_AT = 'cordon:contained-at';
