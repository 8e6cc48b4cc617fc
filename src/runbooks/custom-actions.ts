import type { Runbook } from './runbook';

/** cordon's own custom actions, beside the runbooks' (ids and names within Security Hub's 20-character limits). */
export const BUILTIN_ACTIONS = {
  falsePositive: { id: 'CordonFalsePositive', name: 'False positive', description: 'cordon: archive the GuardDuty finding and suppress it in Security Hub' },
  release: { id: 'CordonRelease', name: 'Release', description: 'cordon: undo what cordon changed for the finding (from the audit trail)' },
} as const;

/** Which built-in a custom action is. */
export type BuiltinAction = keyof typeof BUILTIN_ACTIONS;

/** A Security Hub custom action cordon offers: a runbook's or a built-in. */
export interface CustomActionSpec {
  /** ActionTarget id (1-20 letters and digits). */
  readonly id: string;
  /** Console name (1-20 characters). */
  readonly name: string;
  readonly description: string;
  /** The runbook it runs, or the built-in it is. */
  readonly runs: { readonly kind: 'runbook'; readonly runbook: string } | { readonly kind: 'builtin'; readonly builtin: BuiltinAction };
}

/** Every custom action cordon offers for these runbooks: one per runbook that declares one, then the built-ins. */
export function customActions(runbooks: readonly Runbook[]): CustomActionSpec[] {
  const specs: CustomActionSpec[] = [];
  for (const rb of runbooks) {
    if (!rb.customAction) continue;
    specs.push({ ...rb.customAction, runs: { kind: 'runbook', runbook: rb.name } });
  }
  for (const [builtin, action] of Object.entries(BUILTIN_ACTIONS) as Array<[BuiltinAction, (typeof BUILTIN_ACTIONS)[BuiltinAction]]>) {
    specs.push({ ...action, runs: { kind: 'builtin', builtin } });
  }
  return specs;
}

/** The built-in a custom action event names (by the id at the end of its ARN, or by its name), if any. */
export function builtinFor(actionArn: string | undefined, actionName: string | undefined): BuiltinAction | undefined {
  const id = actionArn?.split('/').pop();
  for (const [builtin, action] of Object.entries(BUILTIN_ACTIONS) as Array<[BuiltinAction, (typeof BUILTIN_ACTIONS)[BuiltinAction]]>) {
    if (action.id === id || action.name === actionName) return builtin;
  }
  return undefined;
}
