/**
 * Applying a plan: each step is one SDK call (thin adapters, no logic),
 * made with the management account's or the security account's clients.
 * Throttling is retried by the SDK's standard retry strategy (ClientFactory);
 * nothing here loops on errors.
 */
import {
  CreateDetectorCommand,
  CreateMembersCommand,
  EnableOrganizationAdminAccountCommand,
  GuardDutyClient,
  StartMonitoringMembersCommand,
  UpdateDetectorCommand,
  UpdateMemberDetectorsCommand,
  UpdateOrganizationConfigurationCommand,
  type FindingPublishingFrequency,
  type MemberFeaturesConfiguration,
  type OrganizationFeatureConfiguration,
  type UnprocessedAccount,
} from '@aws-sdk/client-guardduty';
import { EnableAWSServiceAccessCommand, OrganizationsClient, RegisterDelegatedAdministratorCommand } from '@aws-sdk/client-organizations';
import {
  CreateFindingAggregatorCommand,
  CreateMembersCommand as ShCreateMembersCommand,
  EnableOrganizationAdminAccountCommand as ShEnableOrganizationAdminAccountCommand,
  EnableSecurityHubCommand,
  SecurityHubClient,
  UpdateOrganizationConfigurationCommand as ShUpdateOrganizationConfigurationCommand,
} from '@aws-sdk/client-securityhub';

import { CordonError, describeError } from '../errors';
import type { OrgClients } from './clients';
import type { ProtectionPlan } from './features';
import type { Organization, OrganizationStep, RegionState, RegionStep, StepOutcome } from './model';
import { ACCOUNT_PRINCIPAL, describeStep } from './plan';

/**
 * Detector-level configuration of plans: the security account's own detector
 * (Create/UpdateDetector) and members' detectors (UpdateMemberDetectors).
 * Typed as the member shape: plans name organization features, which every
 * detector accepts too (the detector's feature names are a superset).
 */
function detectorFeatures(plans: readonly ProtectionPlan[]): MemberFeaturesConfiguration[] {
  return plans.map((p) => ({
    Name: p.feature,
    Status: 'ENABLED',
    AdditionalConfiguration: p.additional.length > 0 ? p.additional.map((a) => ({ Name: a, Status: 'ENABLED' })) : undefined,
  }));
}

/** Organization-level configuration of plans: on for every member, existing and new. */
function organizationFeatures(plans: readonly ProtectionPlan[]): OrganizationFeatureConfiguration[] {
  return plans.map((p) => ({
    Name: p.feature,
    AutoEnable: 'ALL',
    AdditionalConfiguration: p.additional.length > 0 ? p.additional.map((a) => ({ Name: a, AutoEnable: 'ALL' })) : undefined,
  }));
}

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

/**
 * Applies a region's steps in order. After a GuardDuty step fails the
 * remaining GuardDuty steps are skipped (they depend on it); Security Hub
 * steps still run, and the other way round. Accounts a member call
 * (CreateMembers, StartMonitoringMembers, UpdateMemberDetectors) leaves
 * unprocessed fail that step only.
 */
export async function applyRegionSteps(
  clients: OrgClients,
  org: Organization,
  state: RegionState,
  steps: readonly RegionStep[],
  onDone: StepListener = () => undefined,
): Promise<StepOutcome[]> {
  const region = state.region;
  const failed = new Set<'gd' | 'sh'>();
  let detectorId = state.guardDuty.detector?.id;
  const emails = new Map(org.accounts.map((a) => [a.id, a.email]));
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    const service = step.kind.startsWith('gd-') ? 'gd' : 'sh';
    const text = describeStep(step);
    if (failed.has(service)) {
      outcomes.push({ step: text, status: 'skipped', detail: `an earlier ${service === 'gd' ? 'GuardDuty' : 'Security Hub'} step failed` });
      continue;
    }
    try {
      const detail = await applyStep(step);
      outcomes.push({ step: text, status: 'done', detail });
      onDone(step);
    } catch (err) {
      // Accounts left out of one CreateMembers call do not stop the steps that follow.
      if (!(err instanceof UnprocessedAccountsError)) failed.add(service);
      outcomes.push({ step: text, status: 'failed', detail: describeError(err) });
    }
  }
  return outcomes;

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
      case 'gd-create-detector': {
        const out = await gdAdmin().send(
          new CreateDetectorCommand({
            Enable: true,
            FindingPublishingFrequency: step.publishingFrequency as FindingPublishingFrequency,
            Features: step.plans.length > 0 ? detectorFeatures(step.plans) : undefined,
          }),
        );
        detectorId = out.DetectorId;
        return detectorId ? `detector ${detectorId}` : undefined;
      }
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
      case 'sh-enable-hub':
        try {
          // Standards are left to the operator: they cost money and are not what cordon needs.
          await shAdmin().send(new EnableSecurityHubCommand({ EnableDefaultStandards: false }));
          return undefined;
        } catch (err) {
          // Designating the administrator can enable its hub; that is the state we want.
          if (err instanceof Error && err.name === 'ResourceConflictException') return 'already enabled';
          throw err;
        }
      case 'sh-add-members': {
        const out = await shAdmin().send(new ShCreateMembersCommand({ AccountDetails: step.accountIds.map((id) => ({ AccountId: id })) }));
        return unprocessed(out.UnprocessedAccounts?.map((u) => `${u.AccountId ?? '?'}: ${u.ProcessingResult ?? ''}`));
      }
      case 'sh-org-config':
        await shAdmin().send(new ShUpdateOrganizationConfigurationCommand({ AutoEnable: true }));
        return undefined;
      case 'sh-aggregator': {
        const out = await shAdmin().send(new CreateFindingAggregatorCommand({ RegionLinkingMode: 'ALL_REGIONS' }));
        return out.FindingAggregatorArn;
      }
    }
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
