/**
 * A role's inline policies as the session revocation reads, writes and
 * deletes them (IAM's quota on their aggregate size is IAM's to enforce: a
 * write past it is refused whole).
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

/** Inline policies deleted at once (IAM's control-plane rate is low). */
const POLICY_READ_CONCURRENCY = 4;

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
