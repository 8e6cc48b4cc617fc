/**
 * Reading a role's inline policies as IAM counts them toward its quotas (the
 * session revocation's read side: the policy it rewrites, and how much room
 * the role's other inline policies leave).
 */
import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  type IAMClient,
  paginateListRolePolicies,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import { isIamQuotaExceeded } from '../../aws/iam-quota';

/** Inline policies read or deleted at once (IAM's control-plane rate is low). */
const POLICY_READ_CONCURRENCY = 4;

/** Characters of a policy as IAM counts them against its quotas: whitespace is not counted. */
export function policyChars(document: string): number {
  return document.replace(/\s/g, '').length;
}

function isNoSuchEntity(err: unknown): boolean {
  return (err as Error).name === 'NoSuchEntityException' || (err as Error).name === 'NoSuchEntity';
}

/** A role's inline policy document, decoded, if present (NoSuchEntity → undefined; other errors propagate). */
export async function readRolePolicy(iam: IAMClient, roleName: string, policyName: string): Promise<string | undefined> {
  try {
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    return decodeURIComponent(out.PolicyDocument ?? '');
  } catch (err) {
    if (isNoSuchEntity(err)) return undefined;
    throw err;
  }
}

/** The names of a role's inline policies. */
export async function rolePolicyNames(iam: IAMClient, roleName: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListRolePolicies({ client: iam }, { RoleName: roleName })) names.push(...(page.PolicyNames ?? []));
  return names;
}

/**
 * Writes a role's inline policy, or answers false when IAM refuses it because
 * the role's inline policies would exceed their aggregate quota
 * (`LimitExceeded`; IAM API Reference, PutRolePolicy), at once (see
 * `src/aws/iam-quota.ts`). Other errors propagate.
 */
export async function putRolePolicyIfRoom(iam: IAMClient, roleName: string, policyName: string, document: string): Promise<boolean> {
  try {
    await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: document }));
    return true;
  } catch (err) {
    if (isIamQuotaExceeded(err)) return false;
    throw err;
  }
}

/** Deletes these inline policies of a role (one already gone counts as deleted). */
export async function deleteRolePolicies(iam: IAMClient, roleName: string, policyNames: readonly string[]): Promise<void> {
  const limit = pLimit(POLICY_READ_CONCURRENCY);
  await Promise.all(
    policyNames.map((name) =>
      limit(async () => {
        try {
          await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
        } catch (err) {
          if (!isNoSuchEntity(err)) throw err;
        }
      }),
    ),
  );
}

/** Characters of the role's inline policies other than `except` (as IAM counts them toward the aggregate quota). */
export async function otherInlineChars(iam: IAMClient, roleName: string, except: string): Promise<number> {
  const names = (await rolePolicyNames(iam, roleName)).filter((n) => n !== except);
  const limit = pLimit(POLICY_READ_CONCURRENCY);
  const sizes = await Promise.all(
    names.map((name) =>
      limit(async () => {
        const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
        return policyChars(decodeURIComponent(out.PolicyDocument ?? ''));
      }),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}
