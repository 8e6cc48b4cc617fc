import * as fs from 'node:fs';
import * as path from 'node:path';
import { memberRoleTemplate } from '../../stacksets/member-role';
import { cfnLint, cfnLintVersion, CFN_LINT_INSTALL } from './support/cfn-lint';
import { cleanUp, ENABLER_CONTEXT, synthCordon, TEST_CONTEXT, type Synthesized } from './support/synth';

const VERSION = cfnLintVersion();

describe('cfn-lint', () => {
  let synth: Synthesized;
  let withEnabler: Synthesized;
  let withTopic: Synthesized;
  let templates: string[];

  beforeAll(() => {
    // The default shape (accounts from the credentials), the full one (enabler stacks, every stack pinned to its account), and the
    // options that add resources: alarms to an existing topic (the forwarders' alarms routed through the home region), reservations.
    synth = synthCordon(TEST_CONTEXT);
    withEnabler = synthCordon(ENABLER_CONTEXT);
    const { 'cordon:alarmEmail': _email, ...noEmail } = ENABLER_CONTEXT;
    withTopic = synthCordon({
      ...noEmail,
      'cordon:alarmTopicArn': 'arn:aws:sns:eu-west-1:111111111111:security-alarms',
      'cordon:reservedConcurrency': '10',
    });
    templates = [synth, withEnabler, withTopic].flatMap((s) => s.assembly.stacks.map((st) => path.join(s.outdir, st.templateFile)));
    const memberRole = path.join(synth.outdir, 'member-role.stackset-template.json');
    fs.writeFileSync(memberRole, JSON.stringify(memberRoleTemplate(), null, 1));
    templates.push(memberRole);
  });
  afterAll(() => {
    cleanUp(synth);
    cleanUp(withEnabler);
    cleanUp(withTopic);
  });

  it('is clean on every synthesized template and on the StackSet template, in every covered region', () => {
    if (!VERSION) {
      // Never silently: say what was not checked and how to check it.
      console.warn(`cfn-lint is not installed: the ${templates.length} templates were NOT linted. Install it with: ${CFN_LINT_INSTALL}`);
      return;
    }
    // Act
    const result = cfnLint(templates, synth.config.regions);
    // Assess
    const thrice = (name: string): string[] => [name, name, name];
    expect(templates.map((t) => path.basename(t)).sort()).toEqual([
      ...thrice('cordon-custom-actions.template.json'),
      'cordon-enabler-role.template.json',
      'cordon-enabler-role.template.json',
      'cordon-enabler.template.json',
      'cordon-enabler.template.json',
      ...thrice('cordon-forwarder-eu-central-1.template.json'),
      ...thrice('cordon-forwarder-us-east-1.template.json'),
      ...thrice('cordon-member-roles.template.json'),
      ...thrice('cordon-responder.template.json'),
      'member-role.stackset-template.json',
    ]);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('finds problems when there are some (the check is live)', () => {
    if (!VERSION) {
      console.warn(`cfn-lint is not installed: skipping its self-check. Install it with: ${CFN_LINT_INSTALL}`);
      return;
    }
    // Prepare: the member role template with a misspelt property.
    const bad = memberRoleTemplate() as { Resources: Record<string, { Properties: Record<string, unknown> }> };
    const role = Object.values(bad.Resources).find((r) => 'AssumeRolePolicyDocument' in r.Properties);
    if (!role) throw new Error('no role in the member role template');
    role.Properties.MaxSessionDurations = 3600;
    const file = path.join(synth.outdir, 'broken.json');
    fs.writeFileSync(file, JSON.stringify(bad));
    // Act
    const result = cfnLint([file], ['us-east-1']);
    // Assess
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/E3002.*MaxSessionDurations/);
  });
});
