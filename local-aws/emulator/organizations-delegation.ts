/**
 * The AWS Organizations operations moto cannot answer as AWS does, answered
 * by the emulator; everything else about Organizations stays moto's. JSON 1.1
 * protocol; input validated against botocore's Organizations model (plus
 * {@link ORGANIZATIONS_ENUM_ADDITIONS}, values newer than that model).
 *
 * - Delegated administrators of the services AWS lets an organization
 *   delegate but moto does not ({@link LOCALLY_DELEGATED_PRINCIPALS}: AWS
 *   Account Management, Security Hub): RegisterDelegatedAdministrator,
 *   DeregisterDelegatedAdministrator and ListDelegatedAdministrators naming
 *   such a service principal (moto: "unrecognized service principal").
 * - Trusted access for principals moto does not know
 *   ({@link LOCALLY_TRUSTED_PRINCIPALS}: GuardDuty Malware Protection's):
 *   EnableAWSServiceAccess and DisableAWSServiceAccess naming one; and
 *   ListAWSServiceAccessForOrganization, always (moto's principals plus
 *   those), to the management account or a delegated administrator.
 * - Policies of the types moto lacks ({@link LOCAL_POLICY_TYPES}): see
 *   organizations-policies.ts.
 *
 * Rules (Organizations API reference and the Account Management guide):
 * only the management account registers and deregisters; the account must be
 * an active account of the organization and not the management account; the
 * service must have trusted access first; AWS Account Management takes one
 * delegated administrator per organization. The management account and any
 * delegated administrator may list.
 */
import type {
  AttachPolicyRequest,
  CreatePolicyRequest,
  DelegatedAdministrator,
  DeregisterDelegatedAdministratorRequest,
  DescribePolicyRequest,
  DetachPolicyRequest,
  DisableAWSServiceAccessRequest,
  EnableAWSServiceAccessRequest,
  ListAWSServiceAccessForOrganizationRequest,
  ListAWSServiceAccessForOrganizationResponse,
  ListDelegatedAdministratorsRequest,
  ListDelegatedAdministratorsResponse,
  ListPoliciesRequest,
  ListTargetsForPolicyRequest,
  RegisterDelegatedAdministratorRequest,
} from '@aws-sdk/client-organizations';

import { fromWire, isFields, toWire, type Fields } from './codec';
import { ApiError } from './errors';
import type { ServiceModel } from './model';
import {
  LOCALLY_DELEGATED_PRINCIPALS,
  LOCALLY_TRUSTED_PRINCIPALS,
  SINGLE_DELEGATE_PRINCIPALS,
  type OrganizationDirectory,
} from './organizations';
import { LOCAL_POLICY_TYPES, ORGANIZATIONS_ENUM_ADDITIONS, type OrganizationPolicies, type PolicyCaller } from './organizations-policies';
import type { EmulatorResponse } from './service';
import { paginate } from './util';
import { describeViolations, validateInput } from './validate';

/**
 * The operations answered here (for some inputs). The local endpoint reads
 * the body of these requests before proxying, so that
 * {@link OrganizationsDelegation.handles} can see their service principal,
 * policy type or policy id.
 */
export const DELEGATION_OPERATIONS: ReadonlySet<string> = new Set([
  'RegisterDelegatedAdministrator',
  'DeregisterDelegatedAdministrator',
  'ListDelegatedAdministrators',
  'EnableAWSServiceAccess',
  'DisableAWSServiceAccess',
  'ListAWSServiceAccessForOrganization',
  'CreatePolicy',
  'AttachPolicy',
  'DetachPolicy',
  'ListPolicies',
  'DescribePolicy',
  'ListTargetsForPolicy',
]);

/** Operations naming a policy by id: answered here when the policy is held here. */
const POLICY_ID_OPERATIONS: ReadonlySet<string> = new Set(['AttachPolicy', 'DetachPolicy', 'DescribePolicy', 'ListTargetsForPolicy']);

/** The model with {@link ORGANIZATIONS_ENUM_ADDITIONS} applied (a copy; the loaded model is left as it is). */
function withEnumAdditions(model: ServiceModel): ServiceModel {
  const shapes = { ...model.shapes };
  for (const [name, values] of Object.entries(ORGANIZATIONS_ENUM_ADDITIONS)) {
    const shape = shapes[name];
    if (shape?.enum) shapes[name] = { ...shape, enum: [...new Set([...shape.enum, ...values])] };
  }
  return { ...model, shapes };
}

/** Who calls. */
export interface OrganizationsCaller {
  readonly accountId: string;
  readonly accessKeyId: string;
}

/** The Organizations operations moto cannot answer as AWS does (see the file's comment). */
export class OrganizationsDelegation {
  private readonly model: ServiceModel;

  public constructor(
    private readonly directory: OrganizationDirectory,
    model: ServiceModel,
    private readonly policies: OrganizationPolicies,
  ) {
    this.model = withEnumAdditions(model);
  }

  /**
   * True when the emulator answers this Organizations request instead of
   * moto (see the file's comment). `body` is the raw JSON 1.1 request body.
   */
  public handles(operation: string, body: Buffer): boolean {
    if (!DELEGATION_OPERATIONS.has(operation)) return false;
    if (operation === 'ListAWSServiceAccessForOrganization') return true;
    const fields = parseBody(body);
    const text = (name: string): string | undefined => (typeof fields?.[name] === 'string' ? fields[name] : undefined);
    if (operation === 'CreatePolicy') return LOCAL_POLICY_TYPES.has(text('Type') ?? '');
    if (operation === 'ListPolicies') return LOCAL_POLICY_TYPES.has(text('Filter') ?? '');
    if (POLICY_ID_OPERATIONS.has(operation)) return this.policies.has(text('PolicyId') ?? '');
    const principal = text('ServicePrincipal') ?? '';
    if (operation === 'EnableAWSServiceAccess' || operation === 'DisableAWSServiceAccess') return LOCALLY_TRUSTED_PRINCIPALS.has(principal);
    return LOCALLY_DELEGATED_PRINCIPALS.has(principal);
  }

  /** Answer one request {@link handles} accepted. Never throws: errors become Organizations error responses. */
  public async dispatch(operation: string, body: Buffer, caller: OrganizationsCaller, now: Date): Promise<EmulatorResponse> {
    try {
      const raw = parseBody(body);
      if (!raw) throw new ApiError('InvalidInputException', 'The request body must be a JSON object', 400, { Reason: 'INPUT_REQUIRED' });
      const inputShape = this.model.operations[operation]?.input?.shape;
      const input = inputShape ? (fromWire(this.model, { shape: inputShape }, raw) as Fields) : {};
      const violations = validateInput(this.model, operation, inputShape, input);
      if (violations.length > 0) {
        throw new ApiError('InvalidInputException', describeViolations(violations), 400, {
          Reason: invalidInputReason(violations[0]?.message ?? ''),
        });
      }
      const output = await this.run(operation, input, caller, now);
      const outputShape = this.model.operations[operation]?.output?.shape;
      const wire = outputShape ? toWire(this.model, { shape: outputShape }, output) : {};
      return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(wire ?? {}) };
    } catch (err) {
      const apiError =
        err instanceof ApiError
          ? err
          : new ApiError('ServiceException', `cordon emulator bug: ${err instanceof Error ? err.message : String(err)}`, 500);
      return {
        status: apiError.status,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': apiError.code },
        body: JSON.stringify({ __type: apiError.code, Message: apiError.message, ...apiError.extra }),
      };
    }
  }

  /** `input` was validated against the model's input shape, which makes the casts below sound. */
  private async run(operation: string, input: Fields, caller: OrganizationsCaller, now: Date): Promise<object> {
    switch (operation) {
      case 'RegisterDelegatedAdministrator':
        await this.register(input as unknown as RegisterDelegatedAdministratorRequest, caller, now);
        return {};
      case 'DeregisterDelegatedAdministrator':
        await this.deregister(input as unknown as DeregisterDelegatedAdministratorRequest, caller);
        return {};
      case 'ListDelegatedAdministrators':
        return this.list(input as ListDelegatedAdministratorsRequest, caller);
      case 'EnableAWSServiceAccess':
        await this.requireManagement(caller);
        this.directory.enableLocalTrustedAccess((input as unknown as EnableAWSServiceAccessRequest).ServicePrincipal ?? '', now);
        return {};
      case 'DisableAWSServiceAccess':
        await this.requireManagement(caller);
        this.directory.disableLocalTrustedAccess((input as unknown as DisableAWSServiceAccessRequest).ServicePrincipal ?? '');
        return {};
      case 'ListAWSServiceAccessForOrganization':
        return this.listTrustedAccess(input as ListAWSServiceAccessForOrganizationRequest, caller);
      case 'CreatePolicy':
        return this.policies.create(await this.policyCaller(caller), input as unknown as CreatePolicyRequest);
      case 'AttachPolicy':
        this.policies.attach(await this.policyCaller(caller), input as unknown as AttachPolicyRequest);
        return {};
      case 'DetachPolicy':
        this.policies.detach(await this.policyCaller(caller), input as unknown as DetachPolicyRequest);
        return {};
      case 'ListPolicies':
        return this.policies.list(await this.policyCaller(caller), input as unknown as ListPoliciesRequest);
      case 'DescribePolicy':
        return this.policies.describe(await this.policyCaller(caller), input as unknown as DescribePolicyRequest);
      case 'ListTargetsForPolicy':
        return this.policies.targets(await this.policyCaller(caller), input as unknown as ListTargetsForPolicyRequest);
      default:
        throw new ApiError('InvalidInputException', `${operation} is not answered by cordon's emulator`);
    }
  }

  /** The caller as the policy operations see it (in an organization, or AWSOrganizationsNotInUseException). */
  private async policyCaller(caller: OrganizationsCaller): Promise<PolicyCaller> {
    const org = await this.directory.forCaller(caller.accountId, caller.accessKeyId);
    if (!org?.managementAccountId)
      throw new ApiError('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.');
    const delegatedAdministrator = org.managementAccountId !== caller.accountId && (await this.directory.isDelegatedAdministrator(caller));
    return { accountId: caller.accountId, managementAccountId: org.managementAccountId, delegatedAdministrator };
  }

  /** ListAWSServiceAccessForOrganization: moto's trusted services plus those held here (management account or a delegated administrator). */
  private async listTrustedAccess(
    input: ListAWSServiceAccessForOrganizationRequest,
    caller: OrganizationsCaller,
  ): Promise<ListAWSServiceAccessForOrganizationResponse> {
    const who = await this.policyCaller(caller);
    if (who.accountId !== who.managementAccountId && !who.delegatedAdministrator) {
      throw new ApiError(
        'AccessDeniedException',
        "You don't have permissions to access this resource. Only the management account or a delegated administrator can call this operation.",
      );
    }
    const all = [...(await this.directory.trustedServices(caller))]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([ServicePrincipal, DateEnabled]) => ({ ServicePrincipal, DateEnabled }));
    const page = paginate(all, input.MaxResults, input.NextToken, 20, 'InvalidInputException');
    return { EnabledServicePrincipals: page.items, NextToken: page.nextToken };
  }

  private async requireManagement(caller: OrganizationsCaller): Promise<{ managementAccountId: string; accountIds: ReadonlySet<string> }> {
    const org = await this.directory.forCaller(caller.accountId, caller.accessKeyId);
    if (!org) throw new ApiError('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.');
    if (org.managementAccountId !== caller.accountId) {
      throw new ApiError(
        'AccessDeniedException',
        "You don't have permissions to access this resource. Only the organization's management account can call this operation.",
      );
    }
    return { managementAccountId: org.managementAccountId, accountIds: org.accountIds };
  }

  private async register(input: RegisterDelegatedAdministratorRequest, caller: OrganizationsCaller, now: Date): Promise<void> {
    const org = await this.requireManagement(caller);
    const accountId = input.AccountId ?? '';
    const principal = input.ServicePrincipal ?? '';
    if (accountId === org.managementAccountId) {
      throw constraint(
        'CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR',
        'You cannot register the management account as a delegated administrator for your organization.',
      );
    }
    if (!org.accountIds.has(accountId)) {
      const described = await this.directory.describeAccount(caller, accountId);
      if (described) {
        throw constraint(
          'CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR',
          `Account ${accountId} is not ACTIVE and cannot be registered as a delegated administrator.`,
        );
      }
      throw new ApiError('AccountNotFoundException', `You specified an account (${accountId}) that doesn't exist in your organization.`);
    }
    if (!(await this.directory.hasTrustedAccess(caller, principal))) {
      throw constraint('SERVICE_ACCESS_NOT_ENABLED', `You must first enable trusted access for ${principal} in your organization.`);
    }
    const current = this.directory.localDelegates(principal);
    if (current.has(accountId))
      throw new ApiError(
        'AccountAlreadyRegisteredException',
        `The account ${accountId} is already registered as a delegated administrator for ${principal}.`,
      );
    if (SINGLE_DELEGATE_PRINCIPALS.has(principal) && current.size > 0) {
      throw constraint(
        'MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED',
        `${principal} already has a delegated administrator (${[...current.keys()].join(', ')}); it allows one per organization.`,
      );
    }
    this.directory.addLocalDelegate(accountId, principal, now);
  }

  private async deregister(input: DeregisterDelegatedAdministratorRequest, caller: OrganizationsCaller): Promise<void> {
    await this.requireManagement(caller);
    const accountId = input.AccountId ?? '';
    const principal = input.ServicePrincipal ?? '';
    if (!this.directory.removeLocalDelegate(accountId, principal)) {
      throw new ApiError(
        'AccountNotRegisteredException',
        `The account ${accountId} is not registered as a delegated administrator for ${principal}.`,
      );
    }
  }

  private async list(input: ListDelegatedAdministratorsRequest, caller: OrganizationsCaller): Promise<ListDelegatedAdministratorsResponse> {
    const org = await this.directory.forCaller(caller.accountId, caller.accessKeyId);
    if (!org) throw new ApiError('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.');
    if (org.managementAccountId !== caller.accountId && !(await this.directory.isDelegatedAdministrator(caller))) {
      throw new ApiError(
        'AccessDeniedException',
        "You don't have permissions to access this resource. Only the management account or a delegated administrator can call this operation.",
      );
    }
    const delegates = [...this.directory.localDelegates(input.ServicePrincipal)].sort(([a], [b]) => a.localeCompare(b));
    const all: DelegatedAdministrator[] = [];
    for (const [accountId, delegatedAt] of delegates) {
      const described = (await this.directory.describeAccount(caller, accountId)) ?? { Id: accountId };
      all.push({
        ...(fromWire(this.model, { shape: 'Account' }, described) as DelegatedAdministrator),
        DelegationEnabledDate: delegatedAt,
      });
    }
    const page = paginate(all, input.MaxResults, input.NextToken, 20, 'InvalidInputException');
    return { DelegatedAdministrators: page.items, NextToken: page.nextToken };
  }
}

/** Organizations' InvalidInputException reason for a validation message. */
function invalidInputReason(message: string): string {
  if (message.includes('must not be null')) return 'INPUT_REQUIRED';
  if (message.includes('length less than or equal')) return 'MAX_LENGTH_EXCEEDED';
  if (message.includes('length greater than or equal')) return 'MIN_LENGTH_EXCEEDED';
  if (message.includes('value less than or equal')) return 'MAX_VALUE_EXCEEDED';
  if (message.includes('value greater than or equal')) return 'MIN_VALUE_EXCEEDED';
  return 'INVALID_PATTERN';
}

function constraint(reason: string, message: string): ApiError {
  return new ApiError('ConstraintViolationException', message, 400, { Reason: reason });
}

function parseBody(body: Buffer): Fields | undefined {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return isFields(parsed) ? parsed : undefined;
  } catch {
    // Not JSON: moto answers it (and rejects it as AWS would).
    return undefined;
  }
}
