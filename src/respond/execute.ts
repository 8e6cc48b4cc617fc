import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { ownedBuckets } from '../actions/s3/owned-buckets';
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

/** Builds the context actions of one finding share (one DescribeInstances for all of them). */
export function actionContext(finding: Finding, deps: ExecuteDeps): ActionContext {
  let instance: Promise<Instance> | undefined;
  let buckets: Promise<ReadonlySet<string>> | undefined;
  let history: Promise<readonly AuditRecord[]> | undefined;
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
      buckets ??= ownedBuckets(deps.clients.member(S3Client, finding.accountId, finding.region), finding.buckets);
      return buckets;
    },
    history() {
      history ??= deps.audit.forFinding(finding.id);
      return history;
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
  /**
   * The context to act with once the resource's lease is held (see
   * `contextUnderLease`). @default `ctx` as screened
   */
  readonly underLease?: () => Promise<ActionContext>;
}

/**
 * Before anything changes: reads the live tags of the resources the runbook
 * would touch (read-only calls in the member account). The action context it
 * builds is reused by `runSteps`, so the instance is described once.
 */
export async function screen(finding: Finding, runbook: Runbook, deps: ExecuteDeps): Promise<Screened> {
  const ctx = actionContext(finding, deps);
  const steps = runbook.actions.map((step) => {
    const action = ACTIONS.get(step.action);
    if (!action) throw new CordonError(`runbook ${runbook.name} names unknown action ${step.action}`);
    return { action, params: action.params.parse(step.with), when: step.when };
  });
  const targets = new Set(steps.filter((s) => !skipReason(s, finding)).map((s) => s.action.target));
  // Exemptions the configuration holds first (no AWS call), then the account's OU, then the live tags.
  const configured = resourceExemption(finding, resourceKinds(targets), deps.exemptResourceArns);
  if (configured) return { finding, ctx, steps, verdict: { exemptReason: configured, outcomes: [] } };
  try {
    // An analyst's release stands: GuardDuty re-publishing the finding must not contain it again automatically.
    const paths = deps.organizationPaths ?? organizationPaths(deps.clients);
    const [ouReason, tagReason, released, history] = await Promise.all([
      accountOuExemption(finding.accountId, finding.region, deps.exemptOus, paths),
      exemption(ctx, targets, deps.exemptTag),
      finding.origin.kind === 'custom-action' ? undefined : releasedAt(ctx),
      ctx.history(),
    ]);
    const exemptReason = ouReason ?? tagReason;
    if (exemptReason) return { finding, ctx, steps, verdict: { exemptReason, outcomes: [] } };
    if (released)
      return { finding, ctx, steps, verdict: { exemptReason: undefined, skippedReason: releasedReason(released), outcomes: [] } };
    return { finding, ctx, steps, verdict: undefined, underLease: () => contextUnderLease(finding, deps, ctx, history.length) };
  } catch (err) {
    const why = `cannot check exemptions: ${describeError(err)}`;
    return {
      finding,
      ctx,
      steps,
      verdict: {
        exemptReason: undefined,
        outcomes: steps.map((s) => ({ action: s.action.name, resource: resourceLabel(finding), status: 'failed' as const, detail: why })),
      },
    };
  }
}

/**
 * The context to act with once the finding's resource lease is held: the
 * screened one, unless another delivery recorded work on this finding since it
 * was screened (it held the lease meanwhile, in another process or Lambda
 * environment). Then a fresh one, so that the actions see the instance and
 * the audit trail as that delivery left them (its snapshots, which
 * DescribeSnapshots may not list yet; its tags; the role it revoked), not as
 * they were before it.
 */
async function contextUnderLease(finding: Finding, deps: ExecuteDeps, screened: ActionContext, seen: number): Promise<ActionContext> {
  const history = await deps.audit.forFinding(finding.id);
  if (history.length === seen) return screened;
  return { ...actionContext(finding, deps), history: async () => history };
}

/**
 * Runs a screened runbook's actions in order (under the resource's lease when
 * not a dry run). One failed action does not stop the next: its outcome is
 * `failed` with the reason, and containment goes on.
 */
export async function runSteps(screened: Screened): Promise<Execution> {
  if (screened.verdict) return screened.verdict;
  const { finding } = screened;
  const ctx = screened.underLease ? await screened.underLease() : screened.ctx;
  // A release that landed while this delivery waited for the lease stands too.
  const released = ctx !== screened.ctx && finding.origin.kind !== 'custom-action' ? await releasedAt(ctx) : undefined;
  if (released) return { exemptReason: undefined, skippedReason: releasedReason(released), outcomes: [] };
  const outcomes: ActionOutcome[] = [];
  for (const step of screened.steps) {
    const why = skipReason(step, finding);
    // A resource of an attack sequence runs its own type's steps: the others are not about it.
    if (why && finding.sequence !== undefined && notApplicable(step.action, finding)) continue;
    if (why) {
      // A step kept for the custom action leaves open what it would have closed: the finding stays NOTIFIED.
      const manual = step.when?.trigger === 'custom-action' && !notApplicable(step.action, finding);
      outcomes.push({
        action: step.action.name,
        resource: resourceLabel(finding),
        status: 'skipped',
        detail: why,
        ...(manual ? { remains: ['custom-action-steps' as const] } : {}),
      });
      continue;
    }
    outcomes.push(...(await runAction(step.action, step.params, ctx, resourceLabel(finding))));
  }
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
