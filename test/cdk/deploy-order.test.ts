import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { cleanUp, ENABLER_CONTEXT, REPO_ROOT, synthCordon, type Synthesized } from './support/synth';

/**
 * The order docs/deploy.md gives for an organization where nothing is set up
 * works: no stack needs another (no dependency, no exported value), and only
 * the custom actions need Security Hub to be on (CloudFormation cannot create
 * an AWS::SecurityHub::ActionTarget before), so they come last, after the
 * enabler's first run.
 */
describe('the deploy order from nothing (docs/deploy.md)', () => {
  let synth: Synthesized;

  beforeAll(() => {
    synth = synthCordon(ENABLER_CONTEXT);
  });
  afterAll(() => cleanUp(synth));

  it('has no stack depending on another, and Security Hub resources in cordon-custom-actions only', () => {
    // Act
    const stacks = synth.assembly.stacks.map((artifact) => {
      const template = JSON.parse(fs.readFileSync(path.join(synth.outdir, artifact.templateFile), 'utf8')) as {
        Resources: Record<string, { Type: string }>;
      };
      return { name: artifact.stackName, dependencies: artifact.dependencies.filter((d) => d.id !== artifact.id), template };
    });

    // Assess
    expect(stacks.filter((s) => s.dependencies.some((d) => stacks.some((other) => other.name === d.id)))).toEqual([]);
    expect(stacks.filter((s) => JSON.stringify(s.template).includes('Fn::ImportValue')).map((s) => s.name)).toEqual([]);
    const needingSecurityHub = stacks.filter((s) =>
      Object.values(s.template.Resources).some((r) => r.Type.startsWith('AWS::SecurityHub::')),
    );
    expect(needingSecurityHub.map((s) => s.name)).toEqual(['cordon-custom-actions']);
    const needingGuardDuty = stacks.filter((s) => Object.values(s.template.Resources).some((r) => r.Type.startsWith('AWS::GuardDuty::')));
    expect(needingGuardDuty).toEqual([]);
    Template.fromStack(synth.stacks.customActions).resourceCountIs('AWS::SecurityHub::ActionTarget', synth.config.customActions.length);
  });

  it('is the order docs/deploy.md gives: security-account stacks, the enabler and its first run, then the custom actions', () => {
    // Prepare
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/deploy.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### From nothing, in this order'), doc.indexOf('### The enabler'));
    const at = (text: string): number => section.indexOf(text);

    // Assess
    expect(at('npx cdk deploy cordon-responder cordon-member-roles')).toBeGreaterThan(0);
    expect(at('cordon-enabler-role -c')).toBeGreaterThan(at('npx cdk deploy cordon-responder'));
    expect(at('npx cdk deploy cordon-enabler -c')).toBeGreaterThan(at('cordon-enabler-role -c'));
    expect(at('aws lambda invoke')).toBeGreaterThan(at('npx cdk deploy cordon-enabler -c'));
    expect(at('npx cdk deploy cordon-custom-actions')).toBeGreaterThan(at('aws lambda invoke'));
    expect(section).toContain('-c cordon:enablerDryRun=false');
  });
});
