/** An IAM statement as CloudFormation templates hold it (values may be intrinsics). */
export interface TemplateStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource?: unknown;
  readonly Condition?: unknown;
}

/** The actions of a statement, as a list. */
export function actionsOf(s: TemplateStatement): string[] {
  return typeof s.Action === 'string' ? [s.Action] : [...s.Action];
}

/** True when an IAM action pattern (`kms:GenerateDataKey*`, `iam:*`) matches an action, case-insensitively as IAM does. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return re.test(action);
}

/** The Allow statements' actions of every `AWS::IAM::Policy` and inline role policy of a template that belong to one role. */
export function allowedActions(statements: readonly TemplateStatement[]): string[] {
  return [...new Set(statements.filter((s) => s.Effect === 'Allow').flatMap(actionsOf))].sort();
}

/** Whether some Allow statement grants `action` (action-level only; resources and conditions are asserted elsewhere). */
export function isGranted(statements: readonly TemplateStatement[], action: string): boolean {
  return statements.some((s) => s.Effect === 'Allow' && actionsOf(s).some((p) => actionMatches(p, action)));
}
