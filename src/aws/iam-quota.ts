/**
 * IAM's quota refusals (`LimitExceeded`: a role's inline policies past
 * 10,240 characters, a user's eleventh managed policy) are final: the same
 * request is refused again. The SDK's standard retry strategy counts
 * `LimitExceededException` among throttling errors by name (it is one in other
 * services) and retries it with backoff for all its attempts, tens of seconds;
 * IAM's own throttling is `Throttling`. Every IAM client the factory builds
 * renames the refusal below the retry step, so it reaches the caller at once.
 */

/** IAM refused a request past one of its quotas (the SDK's `LimitExceededException`, renamed). */
export class IamQuotaExceeded extends Error {
  public override readonly name = 'IamQuotaExceeded';
}

/** True for IAM's quota refusal, renamed or (from a client the factory did not build) as the SDK names it. */
export function isIamQuotaExceeded(err: unknown): boolean {
  const name = (err as Error | undefined)?.name;
  return err instanceof IamQuotaExceeded || name === 'LimitExceededException' || name === 'LimitExceeded';
}

/** The middleware stack of an SDK client, as far as this module uses it. */
interface WithMiddleware {
  readonly middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
      options: { step: 'deserialize'; priority: 'high'; name: string },
    ): void;
  };
}

/** Makes an IAM client's quota refusals final (see the module comment). */
export function quotaRefusalsAreFinal(client: WithMiddleware): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        if ((err as Error).name === 'LimitExceededException') throw new IamQuotaExceeded((err as Error).message, { cause: err });
        throw err;
      }
    },
    { step: 'deserialize', priority: 'high', name: 'cordonIamQuotaRefusalIsFinal' },
  );
}
