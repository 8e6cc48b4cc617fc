/**
 * Reading values for the settings table (./spec.ts), in one place: a
 * variable (blank counts as unset) or a flag, parsed by the setting's schema
 * into its value, or into problems that name where the value came from.
 */
import type { SettingProblem, SettingSource } from '../errors';
import type { DeploymentSetting, SettingRef } from './deployment-spec';
import type { RuntimeSetting } from './spec';

/** One raw value and where it came from (`--regions`, `CORDON_REGIONS`…), for messages. */
export interface RawSetting {
  readonly value: string;
  readonly source: string;
}

/** A problem and the runtime settings it concerns, so that a caller that set them (the deployment) can name its own keys. */
export interface SettingIssue extends SettingProblem {
  readonly settings: readonly SettingRef[];
}

/** The setting's variable in `env`, unless unset or blank. */
export function fromEnv(setting: RuntimeSetting<unknown>, env: NodeJS.ProcessEnv): RawSetting | undefined {
  if (setting.env === undefined) return undefined;
  const value = env[setting.env];
  return value === undefined || value.trim() === '' ? undefined : { value, source: setting.env };
}

/** What a source name says about where a value came from: `--flag`, `VARIABLE`, or a caller's own label. */
export function sourceOf(name: string): SettingSource {
  if (name.startsWith('--')) return 'flag';
  return /^[A-Z][A-Z0-9_]*$/.test(name) ? 'env' : 'value';
}

/**
 * The setting's value from `raw`, parsed by its schema. Unset: the default
 * (a required setting adds a problem). Bad: one problem per bad value or
 * list item, and `onInvalid(text)` (by default the default), so that later
 * checks still see what was given.
 */
export function readSetting<T>(
  setting: RuntimeSetting<T>,
  ref: SettingRef,
  raw: RawSetting | undefined,
  issues: SettingIssue[],
  onInvalid: (text: string) => T = () => setting.default,
): T {
  if (raw === undefined) {
    if (setting.required !== undefined) {
      const ways = [setting.flag && `${setting.flag.name}${setting.flag.value ? ` ${setting.flag.value}` : ''}`, setting.env].filter(
        (w): w is string => w !== undefined,
      );
      issues.push({
        source: 'missing',
        key: setting.env ?? setting.flag?.name ?? setting.required,
        message: `${setting.required} is required: ${ways.join(' or ')}`,
        standalone: true,
        settings: [ref],
      });
    }
    return setting.default;
  }
  const parsed = setting.schema.safeParse(raw.value, {
    error: (issue) => setting.invalid((issue.path?.length ?? 0) > 0 ? String(issue.input) : raw.value),
  });
  if (parsed.success) return parsed.data;
  const messages = new Set(parsed.error.issues.filter((i, n) => n === 0 || i.path.length > 0).map((i) => i.message));
  for (const message of messages) issues.push({ source: sourceOf(raw.source), key: raw.source, message, settings: [ref] });
  return onInvalid(raw.value);
}

/** Where a deployment key's value came from, and the value (a `-c` string, or JSON). */
export interface RawKey {
  readonly source: SettingSource;
  readonly value: unknown;
}

/**
 * A deployment key's value parsed by its schema, or undefined with its
 * problems: `expected … (got …)` for the value, the item's own message for a
 * bad item of a list.
 */
export function readKey<T>(
  setting: DeploymentSetting<T>,
  label: string,
  raw: RawKey,
  problems: SettingProblem[],
): { value: T } | undefined {
  const parsed = setting.schema.safeParse(raw.value, {
    error: (issue) =>
      (issue.path?.length ?? 0) > 0 && setting.invalidItem ? setting.invalidItem(String(issue.input)) : `expected ${setting.expected}`,
  });
  if (parsed.success) return { value: parsed.data };
  const whole = parsed.error.issues.find((i) => i.path.length === 0);
  if (whole) problems.push({ source: raw.source, key: label, message: `${whole.message} (got ${JSON.stringify(raw.value)})` });
  for (const item of parsed.error.issues.filter((i) => i.path.length > 0))
    problems.push({ source: raw.source, key: label, message: item.message });
  return undefined;
}
