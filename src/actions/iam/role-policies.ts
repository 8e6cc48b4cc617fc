/**
 * Reading a role's inline policies as IAM counts them toward its quotas (the
 * session revocation's read side: the policy it rewrites, and how much room
 * the role's other inline policies leave).
 */
import { GetRolePolicyCommand, type IAMClient, paginateListRolePolicies } from '@aws-sdk/client-iam';
import pLimit from 'p-limit';

/** Inline policies read at once (IAM's control-plane rate is low). */
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

/** Characters of the role's inline policies other than `except` (as IAM counts them toward the aggregate quota). */
export async function otherInlineChars(iam: IAMClient, roleName: string, except: string): Promise<number> {
  const names: string[] = [];
  for await (const page of paginateListRolePolicies({ client: iam }, { RoleName: roleName }))
    names.push(...(page.PolicyNames ?? []).filter((n) => n !== except));
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
