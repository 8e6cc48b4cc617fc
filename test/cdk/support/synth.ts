import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { loadConfig, type CordonConfig } from '../../../stacks/config';
import { addCordonStacks, type CordonStacks } from '../../../stacks/cordon-app';

/** The repository root. */
export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** The context cdk.json gives every `cdk` command (feature flags). */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/** Real-looking values (still fake) for tests that should not see placeholder warnings. */
export const TEST_CONTEXT: Readonly<Record<string, string>> = {
  'cordon:homeRegion': 'eu-west-1',
  'cordon:regions': 'eu-west-1,eu-central-1,us-east-1',
  'cordon:organizationId': 'o-a1b2c3d4e5',
  'cordon:deploymentTargets': 'ou-ab12-11111111,ou-ab12-22222222',
  'cordon:alarmEmail': 'security@example.com',
};

/** Fake account ids of the enabler tests: the security (delegated administrator) and management accounts. */
export const SECURITY_ACCOUNT_ID = '111111111111';
export const MANAGEMENT_ACCOUNT_ID = '222222222222';

/**
 * TEST_CONTEXT plus both account ids: the app adds the enabler stacks and pins
 * every stack to its account. The enabler runs for real here (not in dry-run),
 * so that these tests do not depend on the enabler's dry-run switch; the
 * config tests cover that switch.
 */
export const ENABLER_CONTEXT: Readonly<Record<string, string>> = {
  ...TEST_CONTEXT,
  'cordon:securityAccountId': SECURITY_ACCOUNT_ID,
  'cordon:managementAccountId': MANAGEMENT_ACCOUNT_ID,
  'cordon:enablerDryRun': 'false',
};

/** One synthesized cordon app. */
export interface Synthesized {
  readonly app: App;
  readonly config: CordonConfig;
  readonly stacks: CordonStacks;
  readonly assembly: CloudAssembly;
  readonly outdir: string;
}

/**
 * Builds and synthesizes the app the way `npx cdk synth` does (cdk.json's
 * feature flags, the same config loader and stacks), into a temporary
 * directory. Asset bundling is skipped (the CLI test bundles for real) and so
 * is CDK's built-in template validation (cfn-lint runs on every template).
 */
export function synthCordon(context: Readonly<Record<string, unknown>> = TEST_CONTEXT): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-cdk-test-'));
  const app = new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: { ...cdkJsonContext(), ...context, 'aws:cdk:bundling-stacks': [] },
  });
  const config = loadConfig({ context: app.node.getAllContext(), cwd: REPO_ROOT });
  const stacks = addCordonStacks(app, config);
  const assembly = app.synth();
  return { app, config, stacks, assembly, outdir };
}

/** Removes a synthesized app's directory. */
export function cleanUp(s: Synthesized | undefined): void {
  if (s) fs.rmSync(s.outdir, { recursive: true, force: true });
}
