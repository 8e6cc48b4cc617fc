import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/** Extra resource schemas for types newer than cfn-lint's bundled ones (see the files' descriptions). */
export const CFN_LINT_SCHEMAS = path.resolve(__dirname, '../cfn-lint-schemas');

/** The one command that installs cfn-lint, for the message shown when it is missing. */
export const CFN_LINT_INSTALL = 'python3 -m pip install cfn-lint';

/** cfn-lint's version, or undefined when it is not installed. */
export function cfnLintVersion(): string | undefined {
  const run = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) return undefined;
  return run.stdout.trim();
}

/** Runs cfn-lint on templates for regions; returns its exit status and findings (one per line). */
export function cfnLint(templates: readonly string[], regions: readonly string[]): { status: number | null; output: string } {
  const run = spawnSync(
    'cfn-lint',
    ['--format', 'parseable', '--registry-schemas', CFN_LINT_SCHEMAS, '--regions', ...regions, '--', ...templates],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}
