import * as path from 'node:path';
import { Annotations, type Stack } from 'aws-cdk-lib';
import type { EventPattern } from 'aws-cdk-lib/aws-events';
import { CONFIG_KEYS, CONTEXT_PREFIX, type ConfigKey, type CordonConfig } from './config';

/** The repository root (the Lambda's project root, where package-lock.json is). */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** GuardDuty findings as EventBridge delivers them (new findings and updates of existing ones). */
export const GUARDDUTY_FINDING_PATTERN: EventPattern = { source: ['aws.guardduty'], detailType: ['GuardDuty Finding'] };

/**
 * Adds a warning to `stack` for each of `keys` still at its placeholder value:
 * `cdk synth` and `cdk deploy` print it, `cdk deploy --strict` refuses to go on.
 */
export function warnPlaceholders(stack: Stack, config: CordonConfig, keys: readonly ConfigKey[]): void {
  for (const key of keys) {
    if (!config.placeholders.includes(key)) continue;
    Annotations.of(stack).addWarningV2(
      `cordon:placeholder-${key}`,
      `${CONTEXT_PREFIX}${key} is the example value "${CONFIG_KEYS[key].default}": set the real one (-c ${CONTEXT_PREFIX}${key}=… or a config file) before deploying.`,
    );
  }
}
