import * as path from 'node:path';
import { Annotations, Aws, Stack } from 'aws-cdk-lib';
import type { EventPattern } from 'aws-cdk-lib/aws-events';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { CONFIG_KEYS, CONTEXT_PREFIX, type ConfigKey, type CordonConfig } from './config';

/** The repository root (the Lambda's project root, where package-lock.json is). */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** GuardDuty findings as EventBridge delivers them (new findings and updates of existing ones). */
export const GUARDDUTY_FINDING_PATTERN: EventPattern = { source: ['aws.guardduty'], detailType: ['GuardDuty Finding'] };

/**
 * The ARN of a Security Hub custom action of this stack's account and region,
 * as AWS derives it from the id ("arn:aws:securityhub:region:account-id:action/custom/id",
 * https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_CreateActionTarget.html):
 * a rule can match it without depending on the stack that creates it.
 */
export function actionTargetArn(id: string): string {
  return `arn:${Aws.PARTITION}:securityhub:${Aws.REGION}:${Aws.ACCOUNT_ID}:action/custom/${id}`;
}

/** The prefix of the forwarders' alarm names (the home region's rule routes their state changes to the alarm topic). */
export const FORWARDER_ALARM_PREFIX = 'cordon-forwarder-';

/** The name of the alarm of the forwarder in `region`. */
export function forwarderAlarmName(region: string): string {
  return `${FORWARDER_ALARM_PREFIX}${region}-findings-not-forwarded`;
}

/** State changes of the forwarders' alarms, as they reach the home region's default bus from `regions`. */
export function forwardedAlarmPattern(regions: readonly string[]): EventPattern {
  return {
    source: ['aws.cloudwatch'],
    detailType: ['CloudWatch Alarm State Change'],
    region: [...regions],
    detail: { alarmName: [{ prefix: FORWARDER_ALARM_PREFIX }] },
  };
}

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

/** The message when esbuild cannot be found, so bundling would silently fall back to Docker. */
export class LocalBundlingError extends Error {
  public constructor(cause: unknown) {
    super(
      'cordon bundles its Lambdas with the esbuild of node_modules, and none can be resolved from the repository root ' +
        `(${REPO_ROOT}). Run \`npm ci\` there; cordon never falls back to bundling in Docker.`,
      { cause },
    );
    this.name = 'LocalBundlingError';
  }
}

/**
 * Throws LocalBundlingError when `scope`'s stack will be bundled (`cdk synth`,
 * or `cdk deploy` of that stack) and esbuild is not installed. NodejsFunction
 * would otherwise print "esbuild cannot run locally. Switching to Docker
 * bundling." and build elsewhere, with other versions, or fail later on a
 * machine without Docker.
 */
export function requireLocalEsbuild(
  scope: Stack,
  resolve: (id: string) => string = (id) => require.resolve(id, { paths: [REPO_ROOT] }),
): void {
  if (!Stack.of(scope).bundlingRequired) return;
  try {
    // What NodejsFunction itself checks first (the package's own version file).
    resolve('esbuild/package.json');
  } catch (err) {
    throw new LocalBundlingError(err);
  }
}

/**
 * esbuild options shared by cordon's Lambdas: CommonJS for Node 22, minified
 * but keeping function and class names (the client factory keys SDK clients
 * by constructor name, and stack traces stay readable), source maps without
 * sources, and the AWS SDK bundled at the versions package-lock.json pins,
 * not the runtime's.
 */
export function lambdaBundling(extra: Partial<BundlingOptions> = {}): BundlingOptions {
  return {
    // Local esbuild only (requireLocalEsbuild checks it is there before CDK could choose Docker).
    forceDockerBundling: false,
    format: OutputFormat.CJS,
    target: 'node22',
    minify: true,
    keepNames: true,
    sourceMap: true,
    sourcesContent: false,
    externalModules: [],
    ...extra,
  };
}
