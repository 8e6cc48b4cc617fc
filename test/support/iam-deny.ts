/**
 * Whether a policy's Deny statements apply to a request, evaluated as IAM
 * documents its condition operators (IAM User Guide, "IAM JSON policy
 * elements: Condition operators"): every condition of a statement must hold;
 * several values of one key are ORed; a key absent from the request context
 * makes its condition false (`Null` aside, whose whole point is absence);
 * `ForAnyValue:` holds when any value of a multivalued key matches. moto does
 * not evaluate these conditions, so the tests ask this instead what AWS would
 * do with the documents cordon writes. Only the operators cordon's documents
 * use are understood: StringEquals, StringLike, ArnEquals, ArnNotLike,
 * DateLessThan, Null, ForAnyValue:StringLike; anything else throws.
 */

/** The request context: key → value, or values for a multivalued key (`aws:TagKeys`). */
export type RequestContext = Readonly<Record<string, string | readonly string[]>>;

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** `*` and `?` wildcards, as StringLike and ArnLike read them. */
function like(pattern: string, value: string): boolean {
  return new RegExp(
    `^${[...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`,
  ).test(value);
}

function holds(operator: string, expected: readonly string[], actual: string | readonly string[] | undefined): boolean {
  if (operator === 'Null') return expected.includes(String(actual === undefined));
  if (actual === undefined) return false;
  const values = [actual].flat();
  const one = (test: (e: string, v: string) => boolean): boolean => values.some((v) => expected.some((e) => test(e, v)));
  switch (operator) {
    case 'StringEquals':
    case 'ArnEquals':
      return one((e, v) => e === v);
    case 'StringLike':
    case 'ForAnyValue:StringLike':
      return one(like);
    case 'ArnNotLike':
      return values.every((v) => !expected.some((e) => like(e, v)));
    case 'DateLessThan':
      return one((e, v) => Date.parse(v) < Date.parse(e));
    default:
      throw new Error(`condition operator ${operator} is not understood by this test evaluator`);
  }
}

/**
 * The Sids of the policy's Deny statements that apply to a request for `action`
 * (`*` by default: any action) with this context.
 */
export function denyingStatements(document: string, context: RequestContext, action = '*'): string[] {
  const parsed = JSON.parse(document) as { Statement: Statement | Statement[] };
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  return statements
    .filter((s) => s.Effect === 'Deny' && [s.Resource].flat().includes('*'))
    .filter((s) => [s.Action].flat().some((a) => a === '*' || a === action))
    .filter((s) =>
      Object.entries(s.Condition ?? {}).every(([operator, keys]) =>
        Object.entries(keys).every(([key, expected]) => holds(operator, [expected].flat(), context[key])),
      ),
    )
    .map((s) => s.Sid ?? '(no sid)');
}
