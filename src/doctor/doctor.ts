/**
 * `cordon doctor`: is a deployment complete and working? From the security
 * account, read-only: the StackSet's member-role instances against the
 * organization's active accounts, the member role assumable in each (or a
 * sample), GuardDuty's administrator and coverage and Security Hub in every
 * covered region, the custom actions, the dead-letter queue and dry run.
 * Every read goes through {@link DoctorDeps} (AWS at the edges); each check
 * ends in one or more {@link DoctorCheck}s, failures with what to fix.
 */
import pLimit from 'p-limit';

import { describeError } from '../errors';
import type { CoverageReport } from '../org/coverage';
import type { SecurityHubEditions } from '../securityhub/detect';

/** What a check found. `warn` is reported but does not fail the run. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of the doctor's report. */
export interface DoctorCheck {
  readonly check:
    'stackset' | 'member-role' | 'guardduty' | 'securityhub' | 'action-targets' | 'responder-stack' | 'dead-letter-queue' | 'dry-run';
  /** What it is about: an account, a region, a queue. */
  readonly scope: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do about a `fail` or `warn`. */
  readonly fix?: string;
}

/** A StackSet instance as ListStackInstances summarises it. */
export interface StackInstance {
  readonly account: string;
  readonly region: string;
  /** `CURRENT`, `OUTDATED`, `INOPERABLE`. */
  readonly status: string;
  /** `SUCCEEDED`, `FAILED`, `RUNNING`… (StackInstanceStatus.DetailedStatus). */
  readonly detailedStatus: string | undefined;
  readonly reason: string | undefined;
}

/** What the doctor reads, injected (src/cli/doctor.ts builds them over the SDK). */
export interface DoctorDeps {
  /** GuardDuty coverage as the security account sees it (src/org/coverage.ts). */
  coverage(): Promise<CoverageReport>;
  /** The member-role StackSet's instances. */
  stackInstances(): Promise<readonly StackInstance[]>;
  /** Assumes the member role in the account; throws when it cannot. */
  assumeMemberRole(accountId: string): Promise<void>;
  /** Which Security Hub the security account has in the region. */
  securityHub(region: string): Promise<SecurityHubEditions>;
  /** The ids of the custom actions (action targets) that exist in the region. */
  actionTargets(region: string): Promise<ReadonlySet<string>>;
  /** The responder stack's outputs. */
  stackOutputs(): Promise<Readonly<Record<string, string>>>;
  /** Messages in the queue (ApproximateNumberOfMessages + NotVisible). */
  queueDepth(queueUrl: string): Promise<number>;
}

/** What the doctor checks against. */
export interface DoctorSettings {
  /** The member-role StackSet's name. */
  readonly stackSetName: string;
  /** The member role's name. */
  readonly roleName: string;
  /** Assume the role in this many accounts picked at random; undefined: all. */
  readonly sample: number | undefined;
  /** The responder's region: custom actions are there. */
  readonly homeRegion: string;
  /** The custom action ids the runbooks declare. */
  readonly expectedActionIds: readonly string[];
  /** AssumeRole calls at once. */
  readonly concurrency: number;
  /** Picks the sample. @default Math.random */
  readonly random?: () => number;
}

/** The responder stack's outputs the doctor reads (stacks/responder-stack.ts). */
export const DOCTOR_OUTPUTS = { deadLetterQueueUrl: 'DeadLetterQueueUrl', dryRun: 'DryRun' } as const;

/** Accounts a failed check lists before "and N more". */
const LISTED_ACCOUNTS = 10;

/** Runs every check; a check that cannot read what it needs fails with the reason, the others still run. */
export async function diagnose(settings: DoctorSettings, deps: DoctorDeps): Promise<DoctorCheck[]> {
  const [coverage, outputs] = await Promise.allSettled([deps.coverage(), deps.stackOutputs()]);
  const checks: DoctorCheck[] = [];
  if (coverage.status === 'rejected') {
    checks.push({
      check: 'guardduty',
      scope: 'organization',
      status: 'fail',
      detail: `cannot read the organization and GuardDuty: ${describeError(coverage.reason)}`,
      fix: "run npx cordon doctor with the security account's credentials (GuardDuty's delegated administrator)",
    });
  } else {
    const report = coverage.value;
    const members = report.accounts.filter((a) => a.accountId !== report.managementAccountId);
    const groups = await Promise.all([
      stackSetChecks(settings, deps, members),
      memberRoleChecks(settings, deps, members),
      Promise.resolve(guardDutyChecks(report)),
      securityHubChecks(deps, coveredRegions(report)),
    ]);
    checks.push(...groups.flat());
  }
  checks.push(...(await actionTargetChecks(settings, deps)));
  checks.push(...(await responderChecks(deps, outputs)));
  return checks;
}

/** 0 when nothing failed, else 1 (warnings do not fail). */
export function doctorExitCode(checks: readonly DoctorCheck[]): 0 | 1 {
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}

/** Regions where the security account's region is enabled (the others cannot hold a detector). */
function coveredRegions(report: CoverageReport): string[] {
  const regions = new Set(
    report.cells.filter((c) => c.accountId === report.adminAccountId && c.status !== 'region-not-enabled').map((c) => c.region),
  );
  return report.regions.filter((r) => regions.has(r));
}

function listed(ids: readonly string[]): string {
  const head = ids.slice(0, LISTED_ACCOUNTS).join(', ');
  return ids.length > LISTED_ACCOUNTS ? `${head} and ${ids.length - LISTED_ACCOUNTS} more` : head;
}

/** Every active account but the management account has a current, succeeded instance of the member-role StackSet. */
async function stackSetChecks(
  settings: DoctorSettings,
  deps: DoctorDeps,
  members: ReadonlyArray<{ readonly accountId: string; readonly name: string }>,
): Promise<DoctorCheck[]> {
  const scope = `StackSet ${settings.stackSetName}`;
  let instances: readonly StackInstance[];
  try {
    instances = await deps.stackInstances();
  } catch (err) {
    return [
      {
        check: 'stackset',
        scope,
        status: 'fail',
        detail: `cannot list its instances: ${describeError(err)}`,
        fix: 'deploy the cordon-member-roles stack (npx cdk deploy), and register the security account as a StackSets delegated administrator or run from the management account',
      },
    ];
  }
  const healthy = (i: StackInstance): boolean => i.status === 'CURRENT' && (i.detailedStatus ?? 'SUCCEEDED') === 'SUCCEEDED';
  const bad = instances.filter((i) => !healthy(i));
  const withInstance = new Set(instances.filter(healthy).map((i) => i.account));
  const missing = members.filter((a) => !withInstance.has(a.accountId) && !bad.some((i) => i.account === a.accountId));
  const checks: DoctorCheck[] = bad.map((i) => ({
    check: 'stackset',
    scope: `${i.account}/${i.region}`,
    status: 'fail',
    detail: `member-role instance ${i.status}${i.detailedStatus ? ` (${i.detailedStatus})` : ''}${i.reason ? `: ${i.reason}` : ''}`,
    fix:
      i.status === 'OUTDATED'
        ? `the instance did not get the StackSet's last update: fix the reason, then update it (aws cloudformation update-stack-instances --stack-set-name ${settings.stackSetName} --deployment-targets … --regions ${i.region})`
        : `fix the reason in account ${i.account}, then redeploy the cordon-member-roles stack or retry the StackSet operation`,
  }));
  if (missing.length > 0) {
    checks.push({
      check: 'stackset',
      scope,
      status: 'fail',
      detail: `${missing.length} active account(s) without a member-role instance: ${listed(missing.map((a) => a.accountId))}`,
      fix: 'add their organizational units to cordon:deploymentTargets and redeploy the cordon-member-roles stack (auto-deployment covers accounts that join those OUs later); cordon cannot contain resources in them',
    });
  }
  if (checks.length === 0) {
    checks.push({
      check: 'stackset',
      scope,
      status: 'ok',
      detail: `${withInstance.size} instance(s) current, every active member account has one (the management account never does)`,
    });
  }
  return checks;
}

/** The member role can be assumed in every member account, or in a sample of them. */
async function memberRoleChecks(
  settings: DoctorSettings,
  deps: DoctorDeps,
  members: ReadonlyArray<{ readonly accountId: string }>,
): Promise<DoctorCheck[]> {
  const targets = pick(
    members.map((a) => a.accountId),
    settings.sample,
    settings.random ?? Math.random,
  );
  const limit = pLimit(settings.concurrency);
  const settled = await Promise.allSettled(targets.map((id) => limit(() => deps.assumeMemberRole(id))));
  const failed = settled.flatMap((s, i) =>
    s.status === 'rejected' ? [{ accountId: targets[i] as string, error: describeError(s.reason) }] : [],
  );
  const scope = `role ${settings.roleName}`;
  const checks: DoctorCheck[] = failed.map((f) => ({
    check: 'member-role',
    scope: f.accountId,
    status: 'fail',
    detail: `cannot assume ${settings.roleName}: ${f.error}`,
    fix: 'check the account has the StackSet instance, that you run as a role in cordon:operatorRoleArns, and that CORDON_EXTERNAL_ID matches cordon:externalId',
  }));
  if (checks.length === 0) {
    const sampled = settings.sample !== undefined && targets.length < members.length;
    checks.push({
      check: 'member-role',
      scope,
      status: 'ok',
      detail: `assumed in ${targets.length} account(s)${sampled ? ` (a sample of ${members.length})` : ''}`,
    });
  }
  return checks;
}

/** `n` of `ids` at random (all when `n` is undefined or not smaller), in their original order. */
function pick(ids: readonly string[], n: number | undefined, random: () => number): string[] {
  if (n === undefined || n >= ids.length) return [...ids];
  const pool = ids.map((id, i) => ({ id, i }));
  for (let i = pool.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j] as (typeof pool)[number], pool[i] as (typeof pool)[number]];
  }
  return pool
    .slice(0, n)
    .sort((a, b) => a.i - b.i)
    .map((p) => p.id);
}

/** GuardDuty: the security account is administrator with every account covered, region by region. */
function guardDutyChecks(report: CoverageReport): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  for (const region of report.regions) {
    const error = report.errors.find((e) => e.region === region);
    const cells = report.cells.filter((c) => c.region === region);
    const admin = cells.find((c) => c.accountId === report.adminAccountId);
    if (admin?.status === 'region-not-enabled') continue;
    const gaps = cells.filter((c) => c.gap);
    if (error) {
      checks.push({
        check: 'guardduty',
        scope: region,
        status: 'fail',
        detail: `cannot read GuardDuty: ${error.error}`,
        fix: 'npx cordon coverage --regions ' + region + ' for details',
      });
    } else if (admin?.status !== 'administrator') {
      checks.push({
        check: 'guardduty',
        scope: region,
        status: 'fail',
        detail: `${report.adminAccountId} is not GuardDuty's delegated administrator here (${admin?.status ?? 'not read'})`,
        fix: `npx cordon enable --admin-account ${report.adminAccountId} --regions ${region} (management account)`,
      });
    } else if (gaps.length > 0) {
      checks.push({
        check: 'guardduty',
        scope: region,
        status: 'fail',
        detail: `${gaps.length} account(s) not fully covered: ${listed(gaps.map((c) => `${c.accountId} ${c.status}${c.missingPlans.length > 0 ? ` (missing ${c.missingPlans.join(',')})` : ''}`))}`,
        fix: `npx cordon enable --admin-account ${report.adminAccountId} (or wait for the enabler's next run); npx cordon coverage lists them`,
      });
    } else {
      checks.push({
        check: 'guardduty',
        scope: region,
        status: 'ok',
        detail: `administrator ${report.adminAccountId}, ${cells.filter((c) => c.status !== 'region-not-enabled').length} account(s) covered`,
      });
    }
  }
  return checks;
}

/** Security Hub (CSPM or the new one) on in the security account in every covered region: cordon writes its results there. */
async function securityHubChecks(deps: DoctorDeps, regions: readonly string[]): Promise<DoctorCheck[]> {
  // eslint-disable-next-line cordon/no-unbounded-fan-out -- one DescribeHub and one DescribeSecurityHubV2 per covered region (at most the ~30 regions AWS has)
  const settled = await Promise.allSettled(regions.map((r) => deps.securityHub(r)));
  return settled.map((s, i): DoctorCheck => {
    const region = regions[i] as string;
    if (s.status === 'rejected')
      return { check: 'securityhub', scope: region, status: 'fail', detail: `cannot read: ${describeError(s.reason)}` };
    const { cspm, v2 } = s.value;
    if (!cspm && !v2)
      return {
        check: 'securityhub',
        scope: region,
        status: 'fail',
        detail: 'neither Security Hub CSPM nor the new Security Hub is enabled: findings get no status or note from cordon',
        fix: 'npx cordon enable --security-hub (management account), or enable Security Hub in the console',
      };
    const which = [cspm ? 'Security Hub CSPM (BatchUpdateFindings)' : '', v2 ? 'Security Hub (BatchUpdateFindingsV2)' : '']
      .filter(Boolean)
      .join(' and ');
    return { check: 'securityhub', scope: region, status: 'ok', detail: which };
  });
}

/** The custom actions the runbooks declare exist in the home region (only Security Hub CSPM has custom actions). */
async function actionTargetChecks(settings: DoctorSettings, deps: DoctorDeps): Promise<DoctorCheck[]> {
  const scope = settings.homeRegion;
  try {
    const deployed = await deps.actionTargets(settings.homeRegion);
    const missing = settings.expectedActionIds.filter((id) => !deployed.has(id));
    if (missing.length === 0)
      return [{ check: 'action-targets', scope, status: 'ok', detail: `${settings.expectedActionIds.length} custom action(s) present` }];
    return [
      {
        check: 'action-targets',
        scope,
        status: 'fail',
        detail: `custom action(s) missing: ${missing.join(', ')}`,
        fix: 'deploy the cordon-custom-actions stack (Security Hub CSPM must be on in this region first)',
      },
    ];
  } catch (err) {
    return [
      {
        check: 'action-targets',
        scope,
        status: 'fail',
        detail: `cannot list the custom actions: ${describeError(err)}`,
        fix: 'enable Security Hub CSPM in the home region, then deploy the cordon-custom-actions stack',
      },
    ];
  }
}

/** The responder stack: its dead-letter queue empty, dry run off. */
async function responderChecks(deps: DoctorDeps, outputs: PromiseSettledResult<Readonly<Record<string, string>>>): Promise<DoctorCheck[]> {
  if (outputs.status === 'rejected')
    return [
      {
        check: 'responder-stack',
        scope: 'stack',
        status: 'fail',
        detail: describeError(outputs.reason),
        fix: 'deploy the responder stack (npx cdk deploy cordon-responder), or name it with --stack',
      },
    ];
  const checks: DoctorCheck[] = [];
  const url = outputs.value[DOCTOR_OUTPUTS.deadLetterQueueUrl];
  if (!url) {
    checks.push({
      check: 'dead-letter-queue',
      scope: 'stack',
      status: 'fail',
      detail: `the stack has no ${DOCTOR_OUTPUTS.deadLetterQueueUrl} output`,
      fix: 'is --stack the responder stack? redeploy it with this version of cordon',
    });
  } else {
    const queue = url.split('/').pop() ?? url;
    try {
      const depth = await deps.queueDepth(url);
      checks.push(
        depth === 0
          ? { check: 'dead-letter-queue', scope: queue, status: 'ok', detail: 'empty' }
          : {
              check: 'dead-letter-queue',
              scope: queue,
              status: 'fail',
              detail: `${depth} message(s): findings the responder failed on five times, or EventBridge could not deliver`,
              fix: "read the responder's logs for why, fix it, then redrive the messages to the findings queue (aws sqs start-message-move-task)",
            },
      );
    } catch (err) {
      checks.push({ check: 'dead-letter-queue', scope: queue, status: 'fail', detail: `cannot read its depth: ${describeError(err)}` });
    }
  }
  const dryRun = outputs.value[DOCTOR_OUTPUTS.dryRun];
  if (dryRun === 'true')
    checks.push({
      check: 'dry-run',
      scope: 'responder',
      status: 'warn',
      detail: 'dry run is on: the responder plans and records, and contains nothing',
      fix: 'once the planned actions in the audit trail (npx cordon history) look right, set cordon:dryRun to false and redeploy',
    });
  else if (dryRun === 'false')
    checks.push({ check: 'dry-run', scope: 'responder', status: 'ok', detail: 'dry run is off: the responder contains' });
  else
    checks.push({
      check: 'dry-run',
      scope: 'responder',
      status: 'warn',
      detail: `the stack has no ${DOCTOR_OUTPUTS.dryRun} output: dry run unknown`,
      fix: 'redeploy the responder stack with this version of cordon',
    });
  return checks;
}
