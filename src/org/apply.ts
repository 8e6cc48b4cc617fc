/**
 * Applying a plan: each step is one SDK call, or a few (thin adapters), made
 * with the management account's or the security account's clients.
 * Throttling is retried by the SDK's standard retry strategy (ClientFactory);
 * nothing here loops on errors. The one wait is bounded: for the detector
 * that designating GuardDuty's administrator creates ({@link DETECTOR_WAIT}).
 * A step whose prerequisite failed is skipped; no other step is.
 */
import {
  CreateDetectorCommand,
  CreateMembersCommand,
  EnableOrganizationAdminAccountCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  StartMonitoringMembersCommand,
  UpdateDetectorCommand,
  UpdateMemberDetectorsCommand,
  UpdateOrganizationConfigurationCommand,
  type FindingPublishingFrequency,
  type UnprocessedAccount,
} from '@aws-sdk/client-guardduty';
import {
  EnableAWSServiceAccessCommand,
  ListRootsCommand,
  OrganizationsClient,
  RegisterDelegatedAdministratorCommand,
} from '@aws-sdk/client-organizations';
import {
  CreateConfigurationPolicyCommand,
  CreateFindingAggregatorCommand,
  CreateMembersCommand as ShCreateMembersCommand,
  EnableOrganizationAdminAccountCommand as ShEnableOrganizationAdminAccountCommand,
  EnableSecurityHubCommand,
  paginateListConfigurationPolicies,
  SecurityHubClient,
  StartConfigurationPolicyAssociationCommand,
  UpdateOrganizationConfigurationCommand as ShUpdateOrganizationConfigurationCommand,
} from '@aws-sdk/client-securityhub';

import { CordonError, describeError } from '../errors';
import type { OrgClients } from './clients';
import { detectorFeatures, organizationFeatures } from './features';
import type { Organization, OrganizationStep, RegionState, RegionStep, StepOutcome } from './model';
import { describeStep } from './describe-step';
import { ACCOUNT_PRINCIPAL } from './organization-plan';

/**
 * Organization-wide steps in order (management account): trusted access,
 * then AWS Account Management's delegated administrator, which needs its
 * trusted access first — after a failed trusted-access step it is skipped.
 */
export async function applyOrganizationSteps(
  clients: OrgClients,
  region: string,
  steps: readonly OrganizationStep[],
): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  const organizations = clients.home(OrganizationsClient, region);
  const failedPrincipals = new Set<string>();
  for (const step of steps) {
    const text = describeStep(step);
    try {
      if (step.kind === 'trusted-access') {
        await organizations.send(new EnableAWSServiceAccessCommand({ ServicePrincipal: step.servicePrincipal }));
        outcomes.push({ step: text, status: 'done' });
      } else if (failedPrincipals.has(ACCOUNT_PRINCIPAL)) {
        outcomes.push({ step: text, status: 'skipped', detail: `trusted access for ${ACCOUNT_PRINCIPAL} failed` });
      } else {
        outcomes.push({ step: text, status: 'done', detail: await registerAccountAdmin(organizations, step.adminAccountId) });
      }
    } catch (err) {
      if (step.kind === 'trusted-access') failedPrincipals.add(step.servicePrincipal);
      outcomes.push({ step: text, status: 'failed', detail: describeError(err) });
    }
  }
  return outcomes;
}

/** RegisterDelegatedAdministrator for AWS Account Management; already registered (a concurrent run) is the state wanted. */
async function registerAccountAdmin(organizations: OrganizationsClient, adminAccountId: string): Promise<string | undefined> {
  try {
    await organizations.send(new RegisterDelegatedAdministratorCommand({ AccountId: adminAccountId, ServicePrincipal: ACCOUNT_PRINCIPAL }));
    return undefined;
  } catch (err) {
    if (err instanceof Error && err.name === 'AccountAlreadyRegisteredException') return 'already registered';
    throw err;
  }
}

/** Called after each step that succeeded (progress). */
export type StepListener = (step: RegionStep) => void;

/** Waits (injected in tests). */
export type Sleep = (ms: number) => Promise<void>;

/** How long to wait for the detector that designating GuardDuty's administrator creates: attempts × interval. */
export const DETECTOR_WAIT = { attempts: 10, intervalMs: 1_000 } as const;

/** The name of the configuration policy cordon creates when it starts Security Hub central configuration. */
export const CENTRAL_POLICY_NAME = 'cordon-security-hub';

/** Options of {@link applyRegionSteps}. */
export interface ApplyOptions {
  /** Called after each step that succeeded. @default nothing */
  readonly onDone?: StepListener;
  /**
   * Kinds of step that failed, in this call or an earlier round of the same
   * region (updated here): the steps that need them are skipped.
   * @default a new set
   */
  readonly failed?: Set<RegionStep['kind']>;
  /** @default setTimeout */
  readonly sleep?: Sleep;
}

/**
 * What a step needs to have succeeded (when it was planned): members and
 * organization settings need the delegation and the security account's
 * detector or hub; central configuration needs the aggregator; its policy
 * needs central configuration. Nothing else stops a step: GuardDuty's
 * organization configuration failing does not keep members from being
 * added, nor does one service stop the other.
 */
function prerequisites(step: RegionStep): readonly RegionStep['kind'][] {
  switch (step.kind) {
    case 'gd-create-detector':
      return step.afterDesignation ? ['gd-designate-admin'] : [];
    case 'gd-org-config':
    case 'gd-add-members':
    case 'gd-start-monitoring':
    case 'gd-member-plans':
      return ['gd-designate-admin', 'gd-create-detector'];
    case 'sh-org-config':
    case 'sh-add-members':
      return ['sh-designate-admin', 'sh-enable-hub'];
    case 'sh-aggregator':
      return ['sh-enable-hub'];
    case 'sh-central-config':
      return ['sh-designate-admin', 'sh-enable-hub', 'sh-aggregator'];
    case 'sh-central-policy':
      return ['sh-central-config'];
    default:
      return [];
  }
}

/**
 * Applies a region's steps in order. A step whose prerequisite failed (see
 * {@link prerequisites}) is skipped; every other step runs, so that one
 * failure does not hide the rest. Accounts a member call (CreateMembers,
 * StartMonitoringMembers, UpdateMemberDetectors) leaves unprocessed fail that
 * step only.
 */
export async function applyRegionSteps(
  clients: OrgClients,
  org: Organization,
  state: RegionState,
  steps: readonly RegionStep[],
  options: ApplyOptions = {},
): Promise<StepOutcome[]> {
  const region = state.region;
  const failed = options.failed ?? new Set<RegionStep['kind']>();
  const sleep: Sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  let detectorId = state.guardDuty.detector?.id;
  const emails = new Map(org.accounts.map((a) => [a.id, a.email]));
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    const text = describeStep(step);
    const missing = prerequisites(step).filter((k) => failed.has(k));
    if (missing.length > 0) {
      outcomes.push({ step: text, status: 'skipped', detail: `it needs what failed: ${missing.join(', ')}` });
      continue;
    }
    try {
      const detail = await applyStep(step);
      outcomes.push({ step: text, status: 'done', detail });
      options.onDone?.(step);
    } catch (err) {
      failed.add(step.kind);
      outcomes.push({ step: text, status: 'failed', detail: describeError(err) });
    }
  }
  return outcomes;

  /** The security account's detector id in the region, if any. */
  async function findDetector(): Promise<string | undefined> {
    return (await clients.admin(GuardDutyClient, region).send(new ListDetectorsCommand({}))).DetectorIds?.[0];
  }

  /** The detector designating the administrator creates, polled for a bounded time (AWS creates it by itself). */
  async function waitForDetector(): Promise<string | undefined> {
    for (let attempt = 1; attempt <= DETECTOR_WAIT.attempts; attempt += 1) {
      const found = await findDetector();
      if (found) return found;
      if (attempt < DETECTOR_WAIT.attempts) await sleep(DETECTOR_WAIT.intervalMs);
    }
    return undefined;
  }

  /**
   * The security account's detector: the one designating the administrator
   * created (waited for), else a new one; "a detector already exists" (an
   * earlier call, or another run) is the state wanted. An adopted detector is
   * enabled and given the publishing frequency and plans.
   */
  async function ensureDetector(step: Extract<RegionStep, { kind: 'gd-create-detector' }>): Promise<string> {
    const gd = clients.admin(GuardDutyClient, region);
    let found = step.afterDesignation ? await waitForDetector() : undefined;
    if (!found) {
      try {
        const out = await gd.send(
          new CreateDetectorCommand({
            Enable: true,
            FindingPublishingFrequency: step.publishingFrequency as FindingPublishingFrequency,
            Features: step.plans.length > 0 ? detectorFeatures(step.plans) : undefined,
          }),
        );
        detectorId = out.DetectorId;
        return `detector ${detectorId ?? '?'}`;
      } catch (err) {
        if (!(err instanceof Error && err.name === 'BadRequestException' && /detector already exists/i.test(err.message))) throw err;
        found = await findDetector();
        if (!found) throw err;
      }
    }
    detectorId = found;
    await gd.send(
      new UpdateDetectorCommand({
        DetectorId: found,
        Enable: true,
        FindingPublishingFrequency: step.publishingFrequency as FindingPublishingFrequency,
        Features: step.plans.length > 0 ? detectorFeatures(step.plans) : undefined,
      }),
    );
    return `detector ${found}, which ${step.afterDesignation ? 'designating the administrator created' : 'already existed'}, updated`;
  }

  /** The configuration policy cordon associates with the root: found by name (an earlier run), else created. */
  async function centralPolicy(sh: SecurityHubClient): Promise<string> {
    for await (const page of paginateListConfigurationPolicies({ client: sh }, {})) {
      const mine = (page.ConfigurationPolicySummaries ?? []).find((p) => p.Name === CENTRAL_POLICY_NAME);
      if (mine?.Id) return mine.Id;
    }
    const created = await sh.send(
      new CreateConfigurationPolicyCommand({
        Name: CENTRAL_POLICY_NAME,
        Description: 'cordon: Security Hub on in every account and linked region, no standards (they are paid; choose them yourself)',
        ConfigurationPolicy: {
          SecurityHub: {
            ServiceEnabled: true,
            EnabledStandardIdentifiers: [],
            SecurityControlsConfiguration: { DisabledSecurityControlIdentifiers: [] },
          },
        },
      }),
    );
    if (!created.Id) throw new Error('CreateConfigurationPolicy returned no policy id');
    return created.Id;
  }

  async function applyStep(step: RegionStep): Promise<string | undefined> {
    const gdAdmin = (): GuardDutyClient => clients.admin(GuardDutyClient, region);
    const shAdmin = (): SecurityHubClient => clients.admin(SecurityHubClient, region);
    const detector = (): string => {
      if (!detectorId) throw new Error('the security account has no GuardDuty detector');
      return detectorId;
    };
    switch (step.kind) {
      case 'gd-designate-admin':
        await clients
          .home(GuardDutyClient, region)
          .send(new EnableOrganizationAdminAccountCommand({ AdminAccountId: step.adminAccountId }));
        return undefined;
      case 'gd-create-detector':
        return ensureDetector(step);
      case 'gd-update-detector':
        await gdAdmin().send(
          new UpdateDetectorCommand({
            DetectorId: detector(),
            Enable: step.enable ? true : undefined,
            FindingPublishingFrequency: step.publishingFrequency as FindingPublishingFrequency | undefined,
            Features: step.plans.length > 0 ? detectorFeatures(step.plans) : undefined,
          }),
        );
        return undefined;
      case 'gd-add-members': {
        const out = await gdAdmin().send(
          new CreateMembersCommand({
            DetectorId: detector(),
            AccountDetails: step.accountIds.map((id) => ({ AccountId: id, Email: emails.get(id) || `${id}@organization.invalid` })),
          }),
        );
        return gdUnprocessed(out.UnprocessedAccounts);
      }
      case 'gd-start-monitoring': {
        const out = await gdAdmin().send(new StartMonitoringMembersCommand({ DetectorId: detector(), AccountIds: [...step.accountIds] }));
        return gdUnprocessed(out.UnprocessedAccounts);
      }
      case 'gd-member-plans': {
        const out = await gdAdmin().send(
          new UpdateMemberDetectorsCommand({
            DetectorId: detector(),
            AccountIds: [...step.accountIds],
            Features: detectorFeatures(step.plans),
          }),
        );
        return gdUnprocessed(out.UnprocessedAccounts);
      }
      case 'gd-org-config':
        await gdAdmin().send(
          new UpdateOrganizationConfigurationCommand({
            DetectorId: detector(),
            AutoEnableOrganizationMembers: 'ALL',
            Features: step.plans.length > 0 ? organizationFeatures(step.plans) : undefined,
          }),
        );
        return undefined;
      case 'sh-designate-admin':
        await clients
          .home(SecurityHubClient, region)
          .send(new ShEnableOrganizationAdminAccountCommand({ AdminAccountId: step.adminAccountId }));
        return undefined;
      case 'sh-enable-management-hub':
        return enableHub(clients.home(SecurityHubClient, region));
      case 'sh-enable-hub':
        return enableHub(shAdmin());
      case 'sh-add-members': {
        const out = await shAdmin().send(new ShCreateMembersCommand({ AccountDetails: step.accountIds.map((id) => ({ AccountId: id })) }));
        return unprocessed(out.UnprocessedAccounts?.map((u) => `${u.AccountId ?? '?'}: ${u.ProcessingResult ?? ''}`));
      }
      case 'sh-org-config':
        await shAdmin().send(new ShUpdateOrganizationConfigurationCommand({ AutoEnable: true, AutoEnableStandards: 'NONE' }));
        return undefined;
      case 'sh-aggregator': {
        const out = await shAdmin().send(new CreateFindingAggregatorCommand({ RegionLinkingMode: 'ALL_REGIONS' }));
        return out.FindingAggregatorArn;
      }
      case 'sh-central-config':
        await shAdmin().send(
          new ShUpdateOrganizationConfigurationCommand({
            AutoEnable: false,
            AutoEnableStandards: 'NONE',
            OrganizationConfiguration: { ConfigurationType: 'CENTRAL' },
          }),
        );
        return undefined;
      case 'sh-central-policy': {
        const sh = shAdmin();
        const policyId = await centralPolicy(sh);
        const rootId = (await clients.admin(OrganizationsClient, region).send(new ListRootsCommand({}))).Roots?.[0]?.Id;
        if (!rootId) throw new Error('Organizations ListRoots returned no root: the policy is not associated');
        await sh.send(
          new StartConfigurationPolicyAssociationCommand({ ConfigurationPolicyIdentifier: policyId, Target: { RootId: rootId } }),
        );
        return `policy ${CENTRAL_POLICY_NAME} (${policyId}) associated with ${rootId}`;
      }
    }
  }
}

/**
 * EnableSecurityHub without the default standards: they cost money and are
 * not what cordon needs. Already enabled (designating the administrator, or
 * central configuration, can enable it) is the state wanted.
 */
async function enableHub(sh: SecurityHubClient): Promise<string | undefined> {
  try {
    await sh.send(new EnableSecurityHubCommand({ EnableDefaultStandards: false }));
    return undefined;
  } catch (err) {
    if (err instanceof Error && err.name === 'ResourceConflictException') return 'already enabled';
    throw err;
  }
}

/** {@link unprocessed} for a GuardDuty member call's answer (GuardDuty names the reason `Result`). */
function gdUnprocessed(accounts: readonly UnprocessedAccount[] | undefined): undefined {
  return unprocessed(accounts?.map((u) => `${u.AccountId ?? '?'}: ${u.Result ?? ''}`));
}

/** Accounts a CreateMembers call did not process make the step fail, naming them. */
function unprocessed(items: readonly string[] | undefined): undefined {
  if (items && items.length > 0) throw new UnprocessedAccountsError(items);
  return undefined;
}

/** A GuardDuty or Security Hub member call answered with unprocessed accounts. */
export class UnprocessedAccountsError extends CordonError {
  public constructor(public readonly accounts: readonly string[]) {
    super(`${accounts.length} account(s) not processed: ${accounts.join('; ')}`);
    this.name = 'UnprocessedAccountsError';
  }
}
