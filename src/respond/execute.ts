import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { ownedBuckets, type OwnedBuckets } from '../actions/s3/owned-buckets';
import { ACTIONS } from '../actions/registry';
import { type ActionContext, type ActionDefinition, type ActionTarget } from '../actions/types';
import { PartialActionError, type ActionOutcome } from '../outcome';
import type { ClientFactory } from '../aws/clients';
import { CordonError, describeError } from '../errors';
import type { Finding } from '../findings/finding';
import { subjectLabel } from '../findings/normalize';
import type { GuardDutyArchiver } from '../guardduty/archiver';
import type { AuditRecord, ResponderStore } from '../audit/store';
import type { Runbook } from '../runbooks/runbook';
import type { ExemptTag } from '../config/defaults';
import { accountOuExemption, exemption, organizationPaths, resourceKinds, type OrganizationPaths } from './exemptions';
import { resourceExemption } from '../runbooks/exemptions';
import { iamLeaseKey, leaseKey, withLease, type LeaseOptions } from '../audit/leases';

/** The instance named in a finding no longer exists (or is not visible to the member role). */
export class InstanceNotFoundError extends CordonError {
  public constructor(instanceId: string, accountId: string, region: string, options?: { cause?: unknown }) {
    super(`instance ${instanceId} not found in ${accountId} ${region}`, options);
    this.name = 'InstanceNotFoundError';
  }
}

/** What executing a runbook needs. */
export interface ExecuteDeps {
  readonly clients: ClientFactory;
  /** The audit trail (what earlier deliveries did), the circuit breaker's ledger and the leases. */
  readonly audit: ResponderStore;
  /** How leases wait and expire (tests shorten the wait). @default LEASE_WAIT_MS, LEASE_TTL_MS */
  readonly leases?: Omit<LeaseOptions, 'store'>;
  readonly archiver: GuardDutyArchiver;
  readonly dryRun: boolean;
  readonly now: () => Date;
  /** Undefined: no tag exempts (`CORDON_EXEMPT_TAG=none`). */
  readonly exemptTag: ExemptTag | undefined;
  /** ARN patterns of resources never contained (configuration: no workload can change it). */
  readonly exemptResourceArns: readonly string[];
  /** OU (or root) ids whose accounts are never contained. */
  readonly exemptOus: ReadonlySet<string>;
  /** Accounts' OUs, looked up once per account per run. @default a lookup of its own per finding */
  readonly organizationPaths?: OrganizationPaths;
  readonly responderRoleName: string;
}

/**
 * Builds the context actions of one finding share (one DescribeInstances for
 * all of them). `known`: the finding's audit records when already known
 * (from its resource lease's trace). @default read once, when first asked
 */
export function actionContext(finding: Finding, deps: ExecuteDeps, known?: Promise<readonly AuditRecord[]>): ActionContext {
  let instance: Promise<Instance> | undefined;
  let buckets: Promise<OwnedBuckets> | undefined;
  let history: Promise<readonly AuditRecord[]> | undefined = known;
  const lookups = new Map<string, Promise<unknown>>();
  return {
    finding,
    dryRun: deps.dryRun,
    now: deps.now(),
    responderRoleName: deps.responderRoleName,
    member: (ctor) => deps.clients.member(ctor, finding.accountId, finding.region),
    home: (ctor) => deps.clients.home(ctor, finding.region),
    archive: (f) => deps.archiver.archive(f),
    instance() {
      instance ??= describeInstance(deps.clients.member(EC2Client, finding.accountId, finding.region), finding);
      return instance;
    },
    ownedBuckets() {
      buckets ??= ownedBuckets(deps.clients.member(S3Client, finding.accountId, finding.region), finding.buckets, finding.accountId);
      return buckets;
    },
    history() {
      history ??= deps.audit.forFinding(finding.id);
      return history;
    },
    // No evidence step runs beside an action run alone (runSteps hands concurrent steps their own).
    evidence: async () => undefined,
    evidenceRequested: () => undefined,
    lookup<T>(key: string, read: () => Promise<T>): Promise<T> {
      let found = lookups.get(key) as Promise<T> | undefined;
      if (!found) {
        found = read();
        lookups.set(key, found);
      }
      return found;
    },
    exclusive(scope, work) {
      if (deps.dryRun) return work();
      return withLease(leaseKey(finding.accountId, finding.region, scope), { ...deps.leases, store: deps.audit }, work);
    },
    exclusivePrincipal(principal, work) {
      if (deps.dryRun) return work();
      return withLease(iamLeaseKey(finding.accountId, principal), { ...deps.leases, store: deps.audit }, work);
    },
  };
}

async function describeInstance(ec2: EC2Client, finding: Finding): Promise<Instance> {
  const id = finding.instance?.instanceId;
  if (!id) throw new CordonError('finding names no instance');
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const found = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id);
    if (!found || found.State?.Name === 'terminated') throw new InstanceNotFoundError(id, finding.accountId, finding.region);
    return found;
  } catch (err) {
    if ((err as Error).name === 'InvalidInstanceID.NotFound' || (err as Error).name === 'InvalidInstanceID.Malformed') {
      throw new InstanceNotFoundError(id, finding.accountId, finding.region, { cause: err });
    }
    throw err;
  }
}

/** Why an action cannot apply to this finding, or undefined when it can. */
export function notApplicable(action: ActionDefinition<unknown>, finding: Finding): string | undefined {
  const backup = (kind: NonNullable<Finding['backup']>['kind'], what: string) => () =>
    finding.backup?.kind === kind ? undefined : `finding names no ${what}`;
  const needs: Record<ActionTarget, () => string | undefined> = {
    instance: () => (finding.instance ? undefined : 'finding names no instance'),
    'remote-ip': () =>
      finding.instance || finding.database ? undefined : 'finding names no instance or database whose subnets could block the address',
    'access-key': () => (finding.accessKey?.accessKeyId ? undefined : 'finding names no access key'),
    user: () => (finding.accessKey?.userName ? undefined : 'finding names no IAM user'),
    role: () => (finding.accessKey?.userName ? undefined : 'finding names no IAM role'),
    bucket: () => (finding.buckets.length > 0 ? undefined : 'finding names no S3 bucket'),
    'lambda-function': () => (finding.lambda ? undefined : 'finding names no Lambda function'),
    'ecs-task': () => (finding.task ? undefined : 'finding names no ECS task'),
    database: () => (finding.database ? undefined : 'finding names no RDS database'),
    's3-object': () => (finding.objects.length > 0 ? undefined : 'finding names no S3 object'),
    'ebs-snapshot': backup('ebs-snapshot', 'EBS snapshot'),
    'ec2-image': backup('ec2-image', 'AMI'),
    'recovery-point': backup('recovery-point', 'recovery point'),
    kubernetes: () => (finding.kubernetes?.clusterName ? undefined : 'finding names no EKS cluster'),
    finding: () => undefined,
  };
  return needs[action.target]();
}

/** The result of running a runbook on a finding. */
export interface Execution {
  /** Set when a resource was exempt: nothing ran. */
  readonly exemptReason: string | undefined;
  /** Set when the circuit breaker held the finding (a cap was reached): nothing ran. */
  readonly heldReason?: string;
  /** Set when the finding is not acted on for another reason found while screening (an analyst released it): nothing ran. */
  readonly skippedReason?: string;
  readonly outcomes: readonly ActionOutcome[];
  /**
   * What stays open, as notes, when it cannot be read from `outcomes` alone:
   * an attack sequence's, worked out target by target, with the resources not
   * contained. @default the notes of `openChannels(outcomes)`
   */
  readonly remains?: readonly string[];
}

/** A finding whose resources were looked at and found not exempt: ready to act on. */
export interface Screened {
  readonly finding: Finding;
  readonly ctx: ActionContext;
  readonly steps: ReadonlyArray<{ action: ActionDefinition<unknown>; params: unknown; when: Runbook['actions'][number]['when'] }>;
  /** Set when nothing should run: the resource is exempt, or the check itself failed. */
  readonly verdict: Execution | undefined;
  /** When screening began (real time): a lease given back after it means another delivery acted since these reads. */
  readonly startedAtMs: number;
}

/**
 * Before anything changes: reads the live tags of the resources the runbook
 * would touch (read-only calls in the member account). The action context it
 * builds is reused by `runSteps`, so the instance is described once.
 */
export async function screen(finding: Finding, runbook: Runbook, deps: ExecuteDeps): Promise<Screened> {
  const startedAtMs = Date.now();
  const ctx = actionContext(finding, deps);
  const steps = runbook.actions.map((step) => {
    const action = ACTIONS.get(step.action);
    if (!action) throw new CordonError(`runbook ${runbook.name} names unknown action ${step.action}`);
    return { action, params: action.params.parse(step.with), when: step.when };
  });
  const applicable = steps.filter((s) => !skipReason(s, finding));
  const targets = new Set(applicable.map((s) => s.action.target));
  // Exemptions the configuration holds first (no AWS call), then the account's OU, then the live tags.
  const configured = resourceExemption(finding, resourceKinds(targets), deps.exemptResourceArns);
  if (configured) return { finding, ctx, steps, startedAtMs, verdict: { exemptReason: configured, outcomes: [] } };
  // The steps' read-only lookups start with the exemption check (they change nothing), off the path to the first change.
  for (const step of applicable) step.action.prefetch?.(ctx, step.params);
  try {
    const paths = deps.organizationPaths ?? organizationPaths(deps.clients);
    const [ouReason, tagReason] = await Promise.all([
      accountOuExemption(finding.accountId, finding.region, deps.exemptOus, paths),
      exemption(ctx, targets, deps.exemptTag),
    ]);
    const exemptReason = ouReason ?? tagReason;
    if (exemptReason) return { finding, ctx, steps, startedAtMs, verdict: { exemptReason, outcomes: [] } };
    // Not exempt: cordon's own resources (a VPC's quarantine groups) are readied beside the admission; never the finding's.
    if (!deps.dryRun) for (const step of applicable) step.action.prepare?.(ctx, step.params);
    return { finding, ctx, steps, startedAtMs, verdict: undefined };
  } catch (err) {
    const why = `cannot check exemptions: ${describeError(err)}`;
    return {
      finding,
      ctx,
      steps,
      startedAtMs,
      verdict: {
        exemptReason: undefined,
        outcomes: steps.map((s) => ({ action: s.action.name, resource: resourceLabel(finding), status: 'failed' as const, detail: why })),
      },
    };
  }
}

/**
 * Why a finding is not run after all, read with its history under the lease:
 * an analyst's release stands (GuardDuty re-publishing the finding must not
 * contain it again automatically), including one that landed while this
 * delivery was screened. Undefined: run it.
 */
export async function releasedSkip(finding: Finding, ctx: ActionContext): Promise<Execution | undefined> {
  if (finding.origin.kind === 'custom-action') return undefined;
  const released = await releasedAt(ctx);
  return released ? { exemptReason: undefined, skippedReason: releasedReason(released), outcomes: [] } : undefined;
}

/**
 * Runs a screened runbook's actions in order (under the resource's lease when
 * not a dry run). One failed action does not stop the next: its outcome is
 * `failed` with the reason, and containment goes on.
 */
export async function runSteps(screened: Screened, ctx: ActionContext = screened.ctx): Promise<Execution> {
  if (screened.verdict) return screened.verdict;
  const { finding } = screened;
  // Each step's outcomes in the runbook's order, whenever they come in.
  const slots: Array<Promise<ActionOutcome[]>> = [];
  // Steps under way beside each other, and the evidence steps among them.
  let running: Array<Promise<ActionOutcome[]>> = [];
  let evidence: Array<Promise<unknown>> = [];
  for (const step of screened.steps) {
    const why = skipReason(step, finding);
    // A resource of an attack sequence runs its own type's steps: the others are not about it.
    if (why && finding.sequence !== undefined && notApplicable(step.action, finding)) continue;
    if (why) {
      // A step kept for the custom action leaves open what it would have closed: the finding stays NOTIFIED.
      const manual = step.when?.trigger === 'custom-action' && !notApplicable(step.action, finding);
      slots.push(
        Promise.resolve([
          {
            action: step.action.name,
            resource: resourceLabel(finding),
            status: 'skipped',
            detail: why,
            ...(manual ? { remains: ['custom-action-steps' as const] } : {}),
          },
        ]),
      );
      continue;
    }
    const mode = step.action.runs ?? 'sequential';
    if (mode === 'sequential') {
      // A sequential step starts once the steps under way have ended, and the next waits for it.
      // eslint-disable-next-line cordon/no-unbounded-fan-out -- waits for the steps already under way; starts none
      await Promise.all(running);
      running = [];
      evidence = [];
      const outcomes = await runAction(step.action, step.params, ctx, resourceLabel(finding));
      slots.push(Promise.resolve(outcomes));
      continue;
    }
    // Data dependencies alone order concurrent steps: a network move waits for the evidence steps started before it
    // to have requested their evidence (or ended).
    const before = evidence;
    const gate = async (): Promise<void> => {
      // eslint-disable-next-line cordon/no-unbounded-fan-out -- waits for the steps already under way; starts none
      await Promise.all(before);
    };
    let requested: () => void = () => undefined;
    const signalled = new Promise<void>((resolve) => {
      requested = resolve;
    });
    const started = runAction(step.action, step.params, { ...ctx, evidence: gate, evidenceRequested: requested }, resourceLabel(finding));
    running.push(started);
    if (mode === 'evidence') evidence = [...evidence, Promise.race([signalled, started.then(() => undefined)])];
    slots.push(started);
  }
  // runAction never rejects: every slot settles with outcomes.
  // eslint-disable-next-line cordon/no-unbounded-fan-out -- waits for the steps already under way; starts none
  const outcomes = (await Promise.all(slots)).flat();
  return { exemptReason: undefined, outcomes };
}

/**
 * Runs one action. It never throws: a failure becomes a `failed` outcome on
 * `resource`, after the outcomes of the changes the action had made before it.
 */
export async function runAction<P>(action: ActionDefinition<P>, params: P, ctx: ActionContext, resource: string): Promise<ActionOutcome[]> {
  try {
    return await action.run(ctx, params);
  } catch (err) {
    // Changes made before the failure are kept (with their prior state, for release).
    const completed = err instanceof PartialActionError ? err.completed : [];
    const cause = err instanceof PartialActionError ? err.cause : err;
    return [...completed, { action: action.name, resource, status: 'failed', detail: describeError(cause) }];
  }
}

function releasedReason(release: AuditRecord): string {
  const by = release.by ?? 'an analyst';
  return `released by ${by} at ${release.at}: not contained again automatically; run its custom action to contain it again`;
}

/** The latest release of the finding in the audit trail, if any (a later automatic containment clears it). */
async function releasedAt(ctx: ActionContext): Promise<AuditRecord | undefined> {
  let last: AuditRecord | undefined;
  for (const r of await ctx.history()) {
    if (r.actor === 'release' && r.status === 'done') last = r;
    else if (r.actor === 'respond' && r.status === 'done' && r.request) last = undefined;
  }
  return last;
}

/** True when a step that applies can stop or cut off a workload: the finding counts against the circuit breaker. */
export function hasDisruptiveStep(screened: Screened): boolean {
  return screened.steps.some((s) => s.action.disruptive && !skipReason(s, screened.finding));
}

/** True when at least one step of the runbook applies to the finding (the others are skipped as not applicable). */
export function hasApplicableStep(screened: Screened): boolean {
  return screened.steps.some((s) => !skipReason(s, screened.finding));
}

/** Why a runbook step does not run on this finding (its `when`, or its action's target), or undefined when it runs. */
function skipReason(
  step: { action: ActionDefinition<unknown>; when: Runbook['actions'][number]['when'] },
  finding: Finding,
): string | undefined {
  const role = step.when?.resourceRole;
  if (role && finding.resourceRole !== role) {
    return `runs only when the resource is the ${role} (it is ${finding.resourceRole ?? 'unknown'})`;
  }
  if (step.when?.trigger === 'custom-action' && finding.origin.kind !== 'custom-action') {
    return "runs only when an analyst runs the runbook's Security Hub custom action";
  }
  return notApplicable(step.action, finding);
}

/** The main resource of a finding, for outcome lines that are not about one sub-resource. */
export function resourceLabel(finding: Finding): string {
  return subjectLabel(finding) ?? finding.id;
}
