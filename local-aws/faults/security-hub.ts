/**
 * Security Hub's partial failures: a BatchUpdateFindings call that succeeds
 * (HTTP 200) but leaves some findings in `UnprocessedFindings` with an error
 * code. Moto and the emulator never do this; the proxy does it faithfully:
 * the selected findings are removed from the request before it reaches the
 * emulator (so they really stay unchanged) and listed as unprocessed in the
 * answer.
 */
import type { Interception, ResolvedCall, UpstreamAnswer } from './proxy';

interface Identifier {
  readonly Id?: string;
  readonly ProductArn?: string;
}

/** Which findings to leave unprocessed, and how. */
export interface UnprocessedOptions {
  /** e.g. `InternalFailure` (transient: cordon's writer retries it) or `FindingNotFound`. */
  readonly errorCode: string;
  /** @default 'Injected by the bench fault proxy' */
  readonly errorMessage?: string;
  /** Findings (by Security Hub id, the GuardDuty finding ARN) to leave unprocessed. */
  readonly select: (findingArn: string) => boolean;
  /** Leave each finding unprocessed only the first time it is sent. @default true */
  readonly once?: boolean;
}

/**
 * An `intercept` for the fault proxy; each finding is checked against the
 * rules in order. `failed()` lists the ids left unprocessed so far.
 */
export function unprocessedFindings(
  rules: UnprocessedOptions | readonly UnprocessedOptions[],
): ((call: ResolvedCall, body: Buffer) => Interception | undefined) & { failed: () => readonly string[] } {
  const list = Array.isArray(rules) ? rules : [rules as UnprocessedOptions];
  const failedIds: string[] = [];
  const ruleFor = (id: string): UnprocessedOptions | undefined =>
    list.find((r) => r.select(id) && (r.once === false || !failedIds.includes(id)));
  const intercept = (call: ResolvedCall, body: Buffer): Interception | undefined => {
    if (call.service !== 'securityhub' || call.operation !== 'BatchUpdateFindings') return undefined;
    const request = JSON.parse(body.toString('utf8')) as { FindingIdentifiers?: Identifier[] } & Record<string, unknown>;
    const all = request.FindingIdentifiers ?? [];
    const unprocessed: Array<{ FindingIdentifier: Identifier; ErrorCode: string; ErrorMessage: string }> = [];
    const remaining: Identifier[] = [];
    for (const f of all) {
      const rule = f.Id ? ruleFor(f.Id) : undefined;
      if (!rule) {
        remaining.push(f);
        continue;
      }
      unprocessed.push({
        FindingIdentifier: f,
        ErrorCode: rule.errorCode,
        ErrorMessage: rule.errorMessage ?? 'Injected by the bench fault proxy',
      });
    }
    if (unprocessed.length === 0) return undefined;
    failedIds.push(...unprocessed.map((u) => u.FindingIdentifier.Id as string));
    if (remaining.length === 0) {
      // Nothing left to send (BatchUpdateFindings needs at least one identifier): answer as Security Hub would.
      return {
        reply: {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(JSON.stringify({ ProcessedFindings: [], UnprocessedFindings: unprocessed })),
        },
      };
    }
    const addUnprocessed = (up: UpstreamAnswer): UpstreamAnswer => {
      if (up.status !== 200) return up;
      const out = JSON.parse(up.body.toString('utf8')) as { ProcessedFindings?: Identifier[]; UnprocessedFindings?: unknown[] };
      return {
        ...up,
        body: Buffer.from(
          JSON.stringify({
            ProcessedFindings: out.ProcessedFindings ?? [],
            UnprocessedFindings: [...(out.UnprocessedFindings ?? []), ...unprocessed],
          }),
        ),
      };
    };
    return { body: Buffer.from(JSON.stringify({ ...request, FindingIdentifiers: remaining })), answer: addUnprocessed };
  };
  return Object.assign(intercept, { failed: () => failedIds });
}
