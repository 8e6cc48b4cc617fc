/**
 * Whether a policy's Deny statements apply to a request, evaluated as IAM
 * documents its condition operators (IAM User Guide, "IAM JSON policy
 * elements: Condition operators"): every condition of a statement must hold;
 * a key absent from the request context makes its condition false (no
 * `…IfExists` operator is used by cordon). moto does not evaluate these
 * conditions, so the tests ask this instead what AWS would do with the
 * document moto holds. Only what cordon writes is understood: `Action`/`Resource` `*`,
 * StringEquals, ArnEquals and DateLessThan; anything else throws.
 */

/** The request context keys a statement may name (`aws:userid`, `aws:TokenIssueTime`, `ec2:SourceInstanceARN`…). */
export type RequestContext = Readonly<Record<string, string>>;

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

function holds(operator: string, expected: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  switch (operator) {
    case 'StringEquals':
    case 'ArnEquals':
      return actual === expected;
    case 'DateLessThan':
      return Date.parse(actual) < Date.parse(expected);
    default:
      throw new Error(`condition operator ${operator} is not understood by this test evaluator`);
  }
}

/** The Sids of the policy's Deny statements that apply to every action of a request with this context. */
export function denyingStatements(document: string, context: RequestContext): string[] {
  const parsed = JSON.parse(document) as { Statement: Statement | Statement[] };
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  return statements
    .filter((s) => s.Effect === 'Deny' && [s.Action].flat().includes('*') && [s.Resource].flat().includes('*'))
    .filter((s) =>
      Object.entries(s.Condition ?? {}).every(([operator, keys]) =>
        Object.entries(keys).every(([key, expected]) => holds(operator, expected, context[key])),
      ),
    )
    .map((s) => s.Sid ?? '(no sid)');
}
