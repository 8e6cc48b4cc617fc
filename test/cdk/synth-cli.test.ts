import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LAMBDA_RUNBOOKS_DIR } from '../../stacks/responder-stack';
import { REPO_ROOT } from './support/synth';

/** `npx cdk synth` bundles the Lambda and runs CDK's own template validation: slower than the other tests. */
const CLI_TIMEOUT_MS = 150_000;

describe('npx cdk synth', () => {
  let outdir: string;
  let home: string;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-cdk-out-'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-home-'));
  });
  afterAll(() => {
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });

  it(
    'works offline with no AWS credentials and the default configuration, bundling the Lambda with its runbooks',
    () => {
      // Prepare: no AWS_* variable and an empty home (no ~/.aws, no ~/.cdk.json): nothing to find credentials or context in.
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: home,
        npm_config_update_notifier: 'false',
        CDK_DISABLE_VERSION_CHECK: 'true',
      };
      // Act
      const run = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', outdir], {
        cwd: REPO_ROOT,
        env,
        encoding: 'utf8',
        timeout: CLI_TIMEOUT_MS,
      });
      // Assess
      expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
      const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
        artifacts: Record<string, { type: string; environment?: string }>;
        missing?: unknown[];
      };
      const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
      expect(manifest.missing ?? []).toEqual([]);
      expect(Object.fromEntries(stacks.map(([name, a]) => [name, a.environment]))).toEqual({
        'cordon-responder': 'aws://unknown-account/us-east-1',
        'cordon-custom-actions': 'aws://unknown-account/us-east-1',
        'cordon-member-roles': 'aws://unknown-account/us-east-1',
        'cordon-forwarder-us-west-2': 'aws://unknown-account/us-west-2',
      });
      const responder = JSON.parse(fs.readFileSync(path.join(outdir, 'cordon-responder.template.json'), 'utf8')) as {
        Resources: Record<
          string,
          {
            Type: string;
            Properties: { Handler?: string; Code?: { S3Key?: unknown }; Environment?: { Variables: Record<string, unknown> } };
          }
        >;
      };
      const fn = Object.values(responder.Resources).find(
        (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'index.handler',
      );
      expect(fn?.Properties.Environment?.Variables.CORDON_RUNBOOKS_DIR).toBe(LAMBDA_RUNBOOKS_DIR);
      const asset = String(fn?.Properties.Code?.S3Key).replace(/\.zip$/, '');
      const bundle = path.join(outdir, `asset.${asset}`);
      expect(fs.readdirSync(bundle).sort()).toEqual(['index.js', 'index.js.map', 'runbooks']);
      // Minified, but with names kept: the client factory keys SDK clients by constructor name.
      const code = fs.readFileSync(path.join(bundle, 'index.js'), 'utf8');
      expect(code).toMatch(/,"ClientFactory"\)/);
      expect(code).toMatch(/,"STSClient"\)/);
      const shipped = fs
        .readdirSync(path.join(bundle, 'runbooks'))
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .sort();
      const source = fs
        .readdirSync(path.join(REPO_ROOT, 'runbooks'))
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .sort();
      expect(shipped).toEqual(source);
    },
    CLI_TIMEOUT_MS,
  );
});
