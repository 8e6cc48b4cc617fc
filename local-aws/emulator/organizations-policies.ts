/**
 * AWS Organizations policies of the two types moto lacks and cordon reads
 * (`SECURITYHUB_POLICY`, `GUARDDUTY_POLICY`; moto answers "You specified an
 * invalid value."): CreatePolicy, AttachPolicy, DetachPolicy, ListPolicies,
 * DescribePolicy and ListTargetsForPolicy for them. Every other policy type,
 * and every other Organizations operation, stays moto's.
 *
 * Rules (Organizations API reference): only the management account creates,
 * attaches and detaches; the management account or a delegated administrator
 * reads; a policy's content is a JSON document
 * (MalformedPolicyDocumentException otherwise); names are unique per type
 * (DuplicatePolicyException); a policy is attached to a target once
 * (DuplicatePolicyAttachmentException). Not emulated: EnablePolicyType (a
 * policy type need not be enabled at the root first), inheritance and
 * effective policies, quotas.
 *
 * GuardDuty reads the plans a GuardDuty policy manages
 * ({@link OrganizationPolicies.guardDutyManagedFeatures}): "Managed protection
 * plans are read-only in the console and API"
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-organization-policies-considerations.html).
 */
import type {
  AttachPolicyRequest,
  CreatePolicyRequest,
  CreatePolicyResponse,
  DescribePolicyRequest,
  DescribePolicyResponse,
  DetachPolicyRequest,
  ListPoliciesRequest,
  ListPoliciesResponse,
  ListTargetsForPolicyRequest,
  ListTargetsForPolicyResponse,
  PolicySummary,
  PolicyTargetSummary,
} from '@aws-sdk/client-organizations';

import { ApiError } from './errors';
import { OPTIONAL_FEATURES } from './guardduty/store';
import { hexId, paginate } from './util';

/** The policy types held here (moto rejects them). */
export const LOCAL_POLICY_TYPES: ReadonlySet<string> = new Set(['SECURITYHUB_POLICY', 'GUARDDUTY_POLICY']);

/**
 * Enum values newer than the botocore model on this machine, from the
 * Organizations API reference (PolicyType: "GUARDDUTY_POLICY", also in the
 * AWS SDK for JavaScript v3's model): added to the model before validating,
 * so that validation is as strict as AWS and no stricter.
 */
export const ORGANIZATIONS_ENUM_ADDITIONS: Readonly<Record<string, readonly string[]>> = {
  PolicyType: ['GUARDDUTY_POLICY'],
  EffectivePolicyType: ['GUARDDUTY_POLICY'],
};

/** GuardDuty features a GuardDuty policy can manage, by the policy key (the feature name in lower case). */
const GUARDDUTY_POLICY_FEATURES: readonly string[] = [...OPTIONAL_FEATURES, 'EKS_RUNTIME_MONITORING'];

/** A policy held here. */
interface LocalPolicy {
  readonly summary: PolicySummary;
  content: string;
  readonly targets: Map<string, PolicyTargetSummary>;
}

/** Who calls, as the policy operations need to know. */
export interface PolicyCaller {
  readonly accountId: string;
  /** The organization's management account. */
  readonly managementAccountId: string;
  /** True when the caller is a delegated administrator of some service (it may read policies). */
  readonly delegatedAdministrator: boolean;
}

/** The policies of the types moto lacks, and their operations. */
export class OrganizationPolicies {
  private readonly policies = new Map<string, LocalPolicy>();

  /** True when `policyId` is held here. */
  public has(policyId: string): boolean {
    return this.policies.has(policyId);
  }

  /** CreatePolicy (management account). */
  public create(caller: PolicyCaller, input: CreatePolicyRequest): CreatePolicyResponse {
    this.requireManagement(caller);
    const type = input.Type ?? '';
    const content = input.Content ?? '';
    parseContent(content);
    if ([...this.policies.values()].some((p) => p.summary.Type === type && p.summary.Name === input.Name)) {
      throw new ApiError('DuplicatePolicyException', `A policy with the name ${input.Name ?? ''} already exists.`);
    }
    const id = `p-${hexId(8)}`;
    const summary: PolicySummary = {
      Id: id,
      Arn: `arn:aws:organizations::${caller.managementAccountId}:policy/o-emulated00/${type.toLowerCase()}/${id}`,
      Name: input.Name,
      Description: input.Description ?? '',
      Type: type as PolicySummary['Type'],
      AwsManaged: false,
    };
    this.policies.set(id, { summary, content, targets: new Map() });
    return { Policy: { PolicySummary: summary, Content: content } };
  }

  /** AttachPolicy (management account): a root (`r-…`), an OU (`ou-…`) or an account. */
  public attach(caller: PolicyCaller, input: AttachPolicyRequest): void {
    this.requireManagement(caller);
    const policy = this.policy(input.PolicyId ?? '');
    const targetId = input.TargetId ?? '';
    if (policy.targets.has(targetId)) {
      throw new ApiError('DuplicatePolicyAttachmentException', `The policy ${input.PolicyId ?? ''} is already attached to ${targetId}.`);
    }
    const type = targetId.startsWith('r-') ? 'ROOT' : targetId.startsWith('ou-') ? 'ORGANIZATIONAL_UNIT' : 'ACCOUNT';
    policy.targets.set(targetId, { TargetId: targetId, Type: type, Name: targetId });
  }

  /** DetachPolicy (management account). */
  public detach(caller: PolicyCaller, input: DetachPolicyRequest): void {
    this.requireManagement(caller);
    const policy = this.policy(input.PolicyId ?? '');
    if (!policy.targets.delete(input.TargetId ?? '')) {
      throw new ApiError('PolicyNotAttachedException', `The policy ${input.PolicyId ?? ''} is not attached to ${input.TargetId ?? ''}.`);
    }
  }

  /** ListPolicies for a type held here (management account or a delegated administrator). */
  public list(caller: PolicyCaller, input: ListPoliciesRequest): ListPoliciesResponse {
    this.requireReader(caller);
    const all = [...this.policies.values()].filter((p) => p.summary.Type === input.Filter).map((p) => p.summary);
    const page = paginate(all, input.MaxResults, input.NextToken, 20, 'InvalidInputException');
    return { Policies: page.items, NextToken: page.nextToken };
  }

  /** DescribePolicy. */
  public describe(caller: PolicyCaller, input: DescribePolicyRequest): DescribePolicyResponse {
    this.requireReader(caller);
    const policy = this.policy(input.PolicyId ?? '');
    return { Policy: { PolicySummary: policy.summary, Content: policy.content } };
  }

  /** ListTargetsForPolicy. */
  public targets(caller: PolicyCaller, input: ListTargetsForPolicyRequest): ListTargetsForPolicyResponse {
    this.requireReader(caller);
    const policy = this.policy(input.PolicyId ?? '');
    const page = paginate([...policy.targets.values()], input.MaxResults, input.NextToken, 20, 'InvalidInputException');
    return { Targets: page.items, NextToken: page.nextToken };
  }

  /**
   * GuardDuty features that attached GuardDuty policies manage: every key of
   * a policy's content (at any depth, `@@` operators aside) that names one, in
   * lower case as the policy syntax writes them (`s3_data_events`).
   */
  public guardDutyManagedFeatures(): ReadonlySet<string> {
    const managed = new Set<string>();
    for (const p of this.policies.values()) {
      if (p.summary.Type !== 'GUARDDUTY_POLICY' || p.targets.size === 0) continue;
      for (const k of keysOf(parseContent(p.content))) {
        const feature = k.toUpperCase();
        if (GUARDDUTY_POLICY_FEATURES.includes(feature)) managed.add(feature);
      }
    }
    return managed;
  }

  private policy(id: string): LocalPolicy {
    const policy = this.policies.get(id);
    if (!policy) throw new ApiError('PolicyNotFoundException', "We can't find a policy with the PolicyId that you specified.");
    return policy;
  }

  private requireManagement(caller: PolicyCaller): void {
    if (caller.accountId !== caller.managementAccountId) {
      throw new ApiError(
        'AccessDeniedException',
        "You don't have permissions to access this resource. Only the organization's management account can call this operation.",
      );
    }
  }

  private requireReader(caller: PolicyCaller): void {
    if (caller.accountId !== caller.managementAccountId && !caller.delegatedAdministrator) {
      throw new ApiError(
        'AccessDeniedException',
        "You don't have permissions to access this resource. Only the management account or a delegated administrator can call this operation.",
      );
    }
  }
}

/** A policy's content as JSON, or Organizations' MalformedPolicyDocumentException. */
function parseContent(content: string): unknown {
  try {
    const parsed: unknown = JSON.parse(content);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {
    // Reported below, as Organizations reports it.
  }
  throw new ApiError(
    'MalformedPolicyDocumentException',
    'The provided policy document does not meet the requirements of the specified policy type.',
  );
}

/** Every object key in a JSON value, at any depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]);
}
