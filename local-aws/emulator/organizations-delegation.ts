/**
 * AWS Organizations' delegated-administrator operations for the services
 * AWS lets an organization delegate but moto does not
 * ({@link LOCALLY_DELEGATED_PRINCIPALS}: AWS Account Management, Security
 * Hub): RegisterDelegatedAdministrator, DeregisterDelegatedAdministrator and
 * ListDelegatedAdministrators naming such a service principal. moto rejects
 * them ("unrecognized service principal"); everything else about
 * Organizations, these operations for any other service included, stays
 * moto's. JSON 1.1 protocol; input validated against botocore's
 * Organizations model.
 *
 * Rules (Organizations API reference and the Account Management guide):
 * only the management account registers and deregisters; the account must be
 * an active account of the organization and not the management account; the
 * service must have trusted access first; AWS Account Management takes one
 * delegated administrator per organization. The management account and any
 * delegated administrator may list.
 */
import type {
  DelegatedAdministrator,
  DeregisterDelegatedAdministratorRequest,
  ListDelegatedAdministratorsRequest,
  ListDelegatedAdministratorsResponse,
  RegisterDelegatedAdministratorRequest,
} from '@aws-sdk/client-organizations';

import { fromWire, isFields, toWire, type Fields } from './codec';
import { ApiError } from './errors';
import type { ServiceModel } from './model';
import { LOCALLY_DELEGATED_PRINCIPALS, SINGLE_DELEGATE_PRINCIPALS, type OrganizationDirectory } from './organizations';
import type { EmulatorResponse } from './service';
import { paginate } from './util';
import { describeViolations, validateInput } from './validate';

/**
 * The operations answered here (for locally delegated principals). The local
 * endpoint reads the body of these requests before proxying, so that
 * {@link OrganizationsDelegation.handles} can see their service principal.
 */
export const DELEGATION_OPERATIONS: ReadonlySet<string> = new Set([
  'RegisterDelegatedAdministrator',
  'DeregisterDelegatedAdministrator',
  'ListDelegatedAdministrators',
]);

/** Who calls. */
export interface OrganizationsCaller {
  readonly accountId: string;
  readonly accessKeyId: string;
}

/** Organizations' delegated-administrator operations for the principals moto cannot delegate. */
export class OrganizationsDelegation {
  public constructor(
    private readonly directory: OrganizationDirectory,
    private readonly model: ServiceModel,
  ) {}

  /**
   * True when the emulator answers this Organizations request instead of
   * moto: one of the delegated-administrator operations naming a locally
   * delegated service principal. `body` is the raw JSON 1.1 request body.
   */
  public handles(operation: string, body: Buffer): boolean {
    if (!DELEGATION_OPERATIONS.has(operation)) return false;
    const principal = parseBody(body)?.['ServicePrincipal'];
    return typeof principal === 'string' && LOCALLY_DELEGATED_PRINCIPALS.has(principal);
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
      default:
        throw new ApiError('InvalidInputException', `${operation} is not answered by cordon's emulator`);
    }
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
