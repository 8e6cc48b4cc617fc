import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { loadConfig } from '../../stacks/config';
import { addCordonStacks } from '../../stacks/cordon-app';
import { MemberRoleStack } from '../../stacksets/member-role';
import { cdkJsonContext, cleanUp, ENABLER_CONTEXT, REPO_ROOT, synthCordon, TEST_CONTEXT, type Synthesized } from './support/synth';

/** Every acknowledgement recorded in a construct tree: where, which rule, why. */
function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

function violations(root: IConstruct): string[] {
  return new AwsSolutionsChecks(root, { verbose: true })
    .validateScope(root)
    .violations.map(
      (v) => `${v.ruleName} (${v.severity}) at ${v.violatingResources.map((r) => r.constructPath).join(', ')}: ${v.description}`,
    );
}

describe('cdk-nag AwsSolutions', () => {
  let synth: Synthesized;
  let pinned: Synthesized;

  beforeAll(() => {
    // A non-default member role name: the acknowledgement that names it must follow.
    synth = synthCordon({ ...TEST_CONTEXT, 'cordon:roleName': 'sec-cordon-member' });
    // Every stack, the enabler's included, each pinned to its account.
    pinned = synthCordon({ ...ENABLER_CONTEXT, 'cordon:roleName': 'sec-cordon-member' });
  });
  afterAll(() => {
    cleanUp(synth);
    cleanUp(pinned);
  });

  it('reports no unacknowledged error or warning on any stack of the app', () => {
    // Assess
    expect(violations(synth.app)).toEqual([]);
  });

  it('reports none on the enabler stacks either, nor when every stack names its account', () => {
    // Assess
    expect(pinned.assembly.stacks.map((s) => s.stackName)).toEqual(expect.arrayContaining(['cordon-enabler', 'cordon-enabler-role']));
    expect(violations(pinned.app)).toEqual([]);
  });

  it('reports no unacknowledged error or warning on the member role template', () => {
    // Prepare
    const app = new App();
    const stack = new MemberRoleStack(app, 'member-role');
    // Assess
    expect(violations(stack)).toEqual([]);
  });

  it('acknowledges findings one by one, each with a written reason', () => {
    // Prepare
    const app = new App();
    const all = [...acknowledgements(pinned.app), ...acknowledgements(new MemberRoleStack(app, 'member-role'))];
    const nag = all.filter((a) => a.id.startsWith('AwsSolutions-'));
    // Assess
    expect(nag.length).toBeGreaterThan(0);
    expect(nag.filter((a) => a.id === 'AwsSolutions-IAM5')).toEqual([]);
    expect(nag.filter((a) => a.reason.trim().length < 60)).toEqual([]);
    expect(nag.map((a) => a.id)).toContain('AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/sec-cordon-member]');
  });

  it('runs as a validation plugin of the app, so an unacknowledged finding fails `cdk synth`', () => {
    // Prepare: the real app plus one queue that breaks AwsSolutions-SQS4 (no TLS-only policy).
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-nag-'));
    const app = new App({
      outdir,
      builtinCloudFormationValidation: false,
      context: { ...cdkJsonContext(), ...TEST_CONTEXT, 'aws:cdk:bundling-stacks': [] },
    });
    const stacks = addCordonStacks(app, loadConfig({ context: app.node.getAllContext(), cwd: REPO_ROOT }));
    new Queue(stacks.responder, 'Careless', { encryption: QueueEncryption.SQS_MANAGED });
    try {
      // Act / Assess
      expect(() => app.synth()).toThrow(/cordon-responder\/Careless[\s\S]*AwsSolutions-SQS4/);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
