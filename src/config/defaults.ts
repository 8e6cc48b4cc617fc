/**
 * Defaults and value types of the responder's settings that the pipeline
 * itself also needs. The settings are parsed in ./settings.ts; this module
 * sits below the pipeline so that config never imports respond.
 */

/** The tag that exempts a resource from containment (`CORDON_EXEMPT_TAG`, default `cordon:exempt=true`). */
export interface ExemptTag {
  readonly key: string;
  readonly value: string;
}

/** Default exemption tag. */
export const DEFAULT_EXEMPT_TAG: ExemptTag = { key: 'cordon:exempt', value: 'true' };

/** Parses `key=value` (or a bare key, meaning value `true`). */
export function parseExemptTag(text: string): ExemptTag {
  const [key, ...rest] = text.split('=');
  const k = (key ?? '').trim();
  if (!k || k.length > 128) throw new Error(`exempt tag "${text}" must be key=value with a key of 1-128 characters`);
  return { key: k, value: rest.length > 0 ? rest.join('=').trim() : 'true' };
}

/** Caps on automatic containments per rolling window: the blast-radius circuit breaker. */
export interface CircuitLimits {
  /** Distinct resources contained automatically per account per window. */
  readonly perAccount: number;
  /** Distinct resources contained automatically across the organization per window. */
  readonly perOrganization: number;
  readonly windowMinutes: number;
}

/** Defaults: 5 resources per account and 50 per organization per rolling hour. */
export const DEFAULT_CIRCUIT_LIMITS: CircuitLimits = { perAccount: 5, perOrganization: 50, windowMinutes: 60 };

/** Default number of findings handled at once. */
export const DEFAULT_CONCURRENCY = 16;
