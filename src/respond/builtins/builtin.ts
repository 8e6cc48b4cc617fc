import type { AuditRecord } from '../../audit/store';
import type { Finding } from '../../findings/finding';
import type { ActionLine } from '../../outcome';
import type { FindingUpdate } from '../../securityhub/writer';
import type { AuditStamp } from '../audit-records';
import type { ResponderDeps } from '../deps';

/** What a built-in custom action did for one finding. */
export interface BuiltinRun {
  /** The finding's result lines. */
  readonly actions: readonly ActionLine[];
  /** What Security Hub gets; undefined: the usual note of a result. */
  readonly update: FindingUpdate | undefined;
  /** Records for the batch's one audit append; empty when the built-in records its own work. */
  readonly records: readonly AuditRecord[];
}

/** A built-in custom action: what cordon does with a finding an analyst sent to it from Security Hub. */
export type Builtin = (finding: Finding, deps: ResponderDeps, stamp: AuditStamp) => Promise<BuiltinRun>;
