/**
 * cordon's session revocations on a role as IAM holds them: the shared
 * `cordon-revoke-older-sessions` policy and one policy per instance and
 * cut-off (`cordon-revoke-older-sessions-i-…-<ms>`), read back together.
 */
import { GetRolePolicyCommand, type IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';

/** A revocation statement as cordon writes it. */
export interface RevocationStatement {
  readonly Sid: string;
  readonly Effect: string;
  readonly Action: string;
  readonly Resource: string;
  readonly Condition: Record<string, Record<string, string>>;
}

/** Each of cordon's revocation policies on the role, by name (sorted), with its statements. */
export async function revocationPolicies(
  iam: IAMClient,
  roleName: string,
): Promise<Array<{ name: string; statements: RevocationStatement[] }>> {
  const names = ((await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [])
    .filter((n) => n.startsWith('cordon-revoke-older-sessions'))
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
      return {
        name,
        statements: (JSON.parse(decodeURIComponent(out.PolicyDocument ?? '')) as { Statement: RevocationStatement[] }).Statement,
      };
    }),
  );
}

/** Every statement of cordon's revocation policies on the role, ordered by cut-off. */
export async function revocationStatements(iam: IAMClient, roleName: string): Promise<RevocationStatement[]> {
  return (await revocationPolicies(iam, roleName))
    .flatMap((p) => p.statements)
    .sort((a, b) =>
      (a.Condition.DateLessThan?.['aws:TokenIssueTime'] ?? '').localeCompare(b.Condition.DateLessThan?.['aws:TokenIssueTime'] ?? ''),
    );
}

/** cordon's revocation statements on the role as one policy document (IAM denies what any of them denies). */
export async function revocationDocument(iam: IAMClient, roleName: string): Promise<string> {
  return JSON.stringify({ Version: '2012-10-17', Statement: await revocationStatements(iam, roleName) });
}
