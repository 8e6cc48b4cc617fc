/** One action step of a runbook, with its parameters as written. */
export interface RunbookStep {
  readonly action: string;
  readonly with: Readonly<Record<string, unknown>>;
  /**
   * Run the step only when the finding's resource played this role (e.g.
   * block an attacker only when the instance was the TARGET), and/or only when
   * an analyst ran the runbook through its Security Hub custom action
   * (`trigger: custom-action`: e.g. isolate an EKS node other pods share).
   */
  readonly when: { readonly resourceRole?: 'TARGET' | 'ACTOR'; readonly trigger?: 'custom-action' } | undefined;
}

/** Exposes a runbook as a Security Hub custom action (limits: 20 characters each). */
export interface RunbookCustomAction {
  /** ActionTarget id: 1-20 letters and digits. */
  readonly id: string;
  /** Name shown in the Security Hub console: 1-20 characters. */
  readonly name: string;
  readonly description: string;
}

/** A validated runbook: which finding types get which actions. */
export interface Runbook {
  readonly name: string;
  readonly description: string;
  /** File it was loaded from (for messages). */
  readonly file: string;
  /** `auto`: runs on every matching finding; `manual`: only through a Security Hub custom action. */
  readonly mode: 'auto' | 'manual';
  /** 0-10: how much the runbook's author trusts these finding types. @default 5 */
  readonly reliability: number;
  /** Exact GuardDuty types or patterns with `*` (e.g. `CryptoCurrency:EC2/*`). */
  readonly findingTypes: readonly string[];
  /**
   * GuardDuty resource types (`resource.resourceType`: `Instance`,
   * `ECSCluster`, `EKSCluster`, `Container`…) the runbook is for; undefined:
   * any. Lets one finding type (`*:Runtime/*`) get different runbooks for an
   * instance, an ECS task and an EKS pod.
   */
  readonly resourceTypes: readonly string[] | undefined;
  readonly customAction: RunbookCustomAction | undefined;
  readonly actions: readonly RunbookStep[];
}

/** Reliability when a runbook does not say (as in GDPatrol). */
export const DEFAULT_RELIABILITY = 5;

/** Actions run only when reliability + severity is above this (as in GDPatrol). */
export const DEFAULT_ACTION_THRESHOLD = 10;
