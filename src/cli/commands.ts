/**
 * Every command's declaration (name, summary, options, help), in one light
 * module (after aws-cdk's cli-config): `cordon --help` and `--version` read
 * it without loading any command's implementation or the AWS SDK, so they
 * start fast; each command's file (`./respond.ts`…) is loaded only when it runs.
 */
import { MEMBER_ROLE_STACK_SET_NAME, RESPONDER_STACK_NAME } from '../config/defaults';
import { ENABLER_SETTINGS } from '../config/enabler-spec';
import { RESPONDER_SETTINGS } from '../config/spec';
import { MAX_ENABLE_CONCURRENCY } from '../org/settings';
import { command, type CommandOption, type CommandSpec } from './options';

/** `--stack NAME`: the deployment whose audit table a command uses. */
const STACK_OPTION = {
  flag: '--stack',
  value: 'NAME',
  help: 'the responder stack (cordon-responder) whose audit table to use, read from its outputs (CloudFormation, AWS_REGION); default: CORDON_AUDIT_TABLE, else CORDON_AUDIT_FILE',
} as const satisfies CommandOption;

/** `cordon respond`: its options and help. */
export const RESPOND_COMMAND = command({
  name: 'respond',
  summary: 'contain the resources of GuardDuty findings (events or findings as JSON)',
  positionals: '[FILE|-]',
  options: {
    dryRun: { setting: RESPONDER_SETTINGS.dryRun },
    json: { flag: '--json', help: 'one JSON object per finding per line' },
    runbooksDir: { setting: RESPONDER_SETTINGS.runbooksDir },
    roleName: { setting: RESPONDER_SETTINGS.roleName, help: 'member role to assume' },
    stack: STACK_OPTION,
  },
  description: `Reads GuardDuty findings (a GuardDuty or Security Hub EventBridge event, a bare
finding, a GetFindings response; one, a JSON array, or JSON lines) from FILE or
standard input, runs the matching runbooks in the findings' member accounts and
writes the outcome to Security Hub.`,
  exit: 'Exit: 0 every finding handled, 1 some action failed, 2 bad input or configuration.',
});

/** `cordon release`: its options and help. */
export const RELEASE_COMMAND = command({
  name: 'release',
  summary: "undo a finding's containment from the audit trail (snapshots and tags stay)",
  options: {
    finding: { flag: '--finding', value: 'ID', multiple: true, required: true, help: 'GuardDuty finding id or ARN (repeatable)' },
    dryRun: { setting: RESPONDER_SETTINGS.dryRun, help: 'report what would be restored (status "planned"); change nothing' },
    force: { flag: '--force', help: 'restore even resources someone changed since cordon acted' },
    reactivateKeys: {
      flag: '--reactivate-keys',
      help: 'turn access keys cordon deactivated back on (a leaked key should usually stay off)',
    },
    json: { flag: '--json', help: 'one JSON object per finding per line' },
    roleName: { setting: RESPONDER_SETTINGS.roleName, help: 'member role to assume' },
    stack: STACK_OPTION,
  },
  description: `Restores what cordon changed for a finding, from the audit trail: each network
interface's original security groups, termination and stop protection as they
were, the network ACL entries cordon added, the deny policy on the user and the
session-revocation policy on the role. Snapshots and tags stay as evidence.`,
  exit: `The audit trail is CORDON_AUDIT_TABLE (DynamoDB) or CORDON_AUDIT_FILE (default .cordon/audit.jsonl).
Exit: 0 released (or nothing left to restore), 1 something was refused, failed or not found, 2 bad input.`,
});

/** `cordon status`: its options and help. */
export const STATUS_COMMAND = command({
  name: 'status',
  summary: 'the blast-radius circuit breaker: open circuits and recent containments',
  options: { json: { flag: '--json', help: 'the status as one JSON object' }, stack: STACK_OPTION },
  description: `The blast-radius circuit breaker: its limits, the accounts (and organization)
whose circuit is open, and the automatic containments and held findings of the
current window. Reads CORDON_AUDIT_TABLE (DynamoDB) or CORDON_AUDIT_FILE
(default .cordon/audit.jsonl) and the CORDON_CIRCUIT_* limits.`,
  exit: 'Exit: 0 every circuit closed, 1 some circuit open, 2 bad configuration.',
});

/** `cordon enable`: its options and help. */
export const ENABLE_COMMAND = command({
  name: 'enable',
  summary: 'turn GuardDuty (and Security Hub) on in every account and region of the organization',
  options: {
    adminAccountId: { setting: ENABLER_SETTINGS.adminAccountId, help: 'the security account' },
    regions: { setting: ENABLER_SETTINGS.regions, help: 'comma-separated regions, or all' },
    features: { setting: ENABLER_SETTINGS.features },
    securityHub: { setting: ENABLER_SETTINGS.securityHub },
    homeRegion: { setting: ENABLER_SETTINGS.homeRegion },
    adminRoleName: { setting: ENABLER_SETTINGS.adminRoleName, help: 'role assumed in it' },
    concurrency: { setting: ENABLER_SETTINGS.concurrency },
    dryRun: { setting: ENABLER_SETTINGS.dryRun },
    registerAccountAdmin: { setting: ENABLER_SETTINGS.registerAccountAdmin },
    json: { flag: '--json', help: 'print the summary as one JSON object' },
  },
  description: `Turns GuardDuty on in every active account and every region of the AWS
Organization, with the security account as delegated administrator, and keeps
it on, in one run from nothing: the delegated administrator (which gives
GuardDuty its trusted access and the security account its detector, which
cordon sets up: findings published every 15 minutes), trusted access for
Malware Protection and, with opt-in regions, AWS Account Management; then
organization auto-enable ALL with the protection plans GuardDuty offers in
the region, before every account is added as a member (batches of 50), and
members missing a plan or whose monitoring was stopped repaired. Security Hub
as the organization manages it: central configuration, started from the home
region for an organization with none (AWS's recommendation; a policy that
enables it without standards), or local configuration (members, auto-enable
without default standards), with a finding aggregator in the home region.
--register-account-admin also registers the security account as AWS Account
Management's delegated administrator so that it can read other accounts'
opt-in regions (otherwise the management account reads them).

Run it with the management account's credentials: it assumes
--admin-role-name in the security account for that account's part. If it
cannot, the management part is still done; then run it again with the
security account's own credentials (same flags) for the rest. A second run
changes nothing. A region no account has enabled is reported, not a gap; a
region a service control policy denies is reported once.`,
  exit: `Exit: 0 every targeted account and region covered with every plan (dry run:
nothing blocks the plan), 1 gaps or failures (listed), 2 bad flags or
configuration (nothing changed).`,
});

/** `cordon coverage`: its options and help. */
export const COVERAGE_COMMAND = command({
  name: 'coverage',
  summary: 'show which accounts and regions GuardDuty covers, gaps first (security account)',
  options: {
    regions: { setting: ENABLER_SETTINGS.regions, help: 'comma-separated regions, or all' },
    features: { setting: ENABLER_SETTINGS.expectedPlans },
    concurrency: { setting: ENABLER_SETTINGS.concurrency, help: `regions read at once, 1-${MAX_ENABLE_CONCURRENCY}` },
    json: { flag: '--json', help: 'one JSON object per account and region, one per line' },
  },
  description: `Run with the security (GuardDuty delegated administrator) account's
credentials. Lists every active account of the organization in every region
with its GuardDuty status — administrator, member-enabled, not-a-member,
detector-disabled, region-not-enabled (or unknown when the region could not be
read) — and the protection plans on, gaps first.`,
  exit: 'Exit: 0 no gaps, 1 gaps (or a region could not be read), 2 bad flags or configuration.',
});

/** `cordon runbooks validate`: its options and help. */
export const RUNBOOKS_VALIDATE_COMMAND = command({
  name: 'runbooks validate',
  summary: `check every runbook in DIR (default: ${RESPONDER_SETTINGS.runbooksDir.env} or ${RESPONDER_SETTINGS.runbooksDir.defaultText})`,
  positionals: '[DIR]',
  options: {},
});

/** `cordon runbooks explain`: its options and help. */
export const RUNBOOKS_EXPLAIN_COMMAND = command({
  name: 'runbooks explain',
  summary: 'which runbook each finding in the file gets, the decision and why, and which configured exemption applies',
  positionals: 'FINDING.json',
  options: {
    runbooksDir: { setting: RESPONDER_SETTINGS.runbooksDir },
    json: { flag: '--json', help: 'one JSON object per finding per line' },
  },
});

/** `cordon runbooks list`: its options and help. */
export const RUNBOOKS_LIST_COMMAND = command({
  name: 'runbooks list',
  summary: 'the runbooks and the actions they run',
  options: { runbooksDir: { setting: RESPONDER_SETTINGS.runbooksDir } },
});

/** `cordon runbooks`: its subcommands, in `--help` order. */
export const RUNBOOKS_COMMANDS: readonly CommandSpec[] = [RUNBOOKS_VALIDATE_COMMAND, RUNBOOKS_EXPLAIN_COMMAND, RUNBOOKS_LIST_COMMAND];

/** `cordon actions list`: its options and help. */
export const ACTIONS_LIST_COMMAND = command({
  name: 'actions list',
  summary: 'the Security Hub custom actions cordon offers',
  options: {
    runbooksDir: { setting: RESPONDER_SETTINGS.runbooksDir },
    deployed: { flag: '--deployed', help: 'also ask Security Hub (AWS_REGION, security account) which of them exist' },
    json: { flag: '--json', help: 'one JSON object per action per line' },
  },
  description: `The Security Hub custom actions cordon offers: one per runbook that declares a
customAction, plus the built-ins "False positive" and "Release". The responder
stack creates them; --deployed also asks Security Hub (AWS_REGION, security
account) which of them exist.`,
});

/** `cordon history`: its options and help. */
export const HISTORY_COMMAND = command({
  name: 'history',
  summary: 'the audit trail as a timeline per incident (finding), with the state cordon replaced',
  options: {
    since: { flag: '--since', value: 'AGE|TIME', help: 'from this long ago (30m, 12h, 7d) or from this ISO time (default 7d)' },
    account: { flag: '--account', value: 'ID', help: 'only this account' },
    finding: { flag: '--finding', value: 'ID', help: 'only this finding (id or ARN)' },
    json: { flag: '--json', help: 'one JSON object per incident per line' },
    html: { flag: '--html', value: 'FILE', help: 'also write one self-contained HTML page (no server, no network) with the timelines' },
    stack: STACK_OPTION,
  },
  description: `The audit trail of what cordon did, one timeline per finding, newest incident
first: each action, its status, and the state it replaced (what a release
restores). Reads the deployed audit table (--stack, or CORDON_AUDIT_TABLE:
its time-ordered index) or the local audit file (CORDON_AUDIT_FILE).`,
  exit: 'Exit: 0 the history was read (even when empty), 1 it could not be read, 2 bad flags or configuration.',
});

/** `cordon doctor`: its options and help. */
export const DOCTOR_COMMAND = command({
  name: 'doctor',
  summary: 'check that a deployment is complete and working, and say what to fix (security account)',
  options: {
    stack: { flag: '--stack', value: 'NAME', help: `the responder stack, in AWS_REGION (default ${RESPONDER_STACK_NAME})` },
    stackSet: { flag: '--stack-set', value: 'NAME', help: `the member-role StackSet (default ${MEMBER_ROLE_STACK_SET_NAME})` },
    callAs: {
      flag: '--call-as',
      value: 'SELF|DELEGATED_ADMIN',
      help: 'how the StackSet is read: DELEGATED_ADMIN from the security account (default), SELF from the management account',
    },
    sample: { flag: '--sample', value: 'N', help: 'assume the member role in N accounts picked at random (default: every account)' },
    roleName: { setting: RESPONDER_SETTINGS.roleName, help: 'member role to assume' },
    regions: { setting: ENABLER_SETTINGS.regions, help: 'comma-separated regions, or all' },
    runbooksDir: { setting: RESPONDER_SETTINGS.runbooksDir, help: 'the runbooks whose custom actions should exist' },
    json: { flag: '--json', help: 'one JSON object per check, one per line' },
  },
  description: `Run with the security account's credentials (a role in cordon:operatorRoleArns, so
that the member roles trust it). Read-only. Checks the member-role StackSet's
instances (ListStackInstances: one current, succeeded instance in every active
account but the management account; failed, outdated and missing ones listed),
assumes the member role in every member account (or --sample N of them, with
CORDON_EXTERNAL_ID), GuardDuty's delegated administrator and coverage and
Security Hub (CSPM or the new one) in every region, the custom actions in
AWS_REGION, the responder's dead-letter queue depth and whether dry run is on.`,
  exit: 'Exit: 0 nothing failed (dry run on is a warning), 1 something to fix (listed), 2 bad flags or configuration.',
});

const INTEL_SHARED = {
  json: { flag: '--json', help: 'one JSON object per line' },
  dryRun: { setting: RESPONDER_SETTINGS.dryRun, help: 'say what would change; change nothing' },
} as const;

const INTEL_LIST_OPTION = { flag: '--list', value: 'threat|trusted', help: 'which list (default threat)' } as const;

/** `cordon intel list`. */
export const INTEL_LIST_COMMAND = command({
  name: 'intel list',
  summary: "the indicators on cordon's threat and trusted lists: from which finding, until when, which regions are in sync",
  options: { json: INTEL_SHARED.json },
});

/** `cordon intel add`. */
export const INTEL_ADD_COMMAND = command({
  name: 'intel add',
  summary: 'put IPv4/IPv6 addresses, CIDR ranges or domains (*. allowed) on a list; a bad one refuses them all (exit 2)',
  positionals: 'VALUE...',
  options: {
    list: INTEL_LIST_OPTION,
    days: { flag: '--days', value: 'N', help: `days they stay listed, 1-365 (default ${RESPONDER_SETTINGS.intelTtlDays.env} or 30)` },
    ...INTEL_SHARED,
  },
});

/** `cordon intel remove`. */
export const INTEL_REMOVE_COMMAND = command({
  name: 'intel remove',
  summary: 'take indicators off a list, whatever put them there',
  positionals: 'VALUE...',
  options: { list: INTEL_LIST_OPTION, ...INTEL_SHARED },
});

/** `cordon intel sync`. */
export const INTEL_SYNC_COMMAND = command({
  name: 'intel sync',
  summary: "write the lists again and update every region's GuardDuty (after a failure, or to apply expiry)",
  options: INTEL_SHARED,
});

/** `cordon intel`: its subcommands, in `--help` order. */
export const INTEL_COMMANDS: readonly CommandSpec[] = [INTEL_LIST_COMMAND, INTEL_ADD_COMMAND, INTEL_REMOVE_COMMAND, INTEL_SYNC_COMMAND];
