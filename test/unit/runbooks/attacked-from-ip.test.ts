import { ACTIONS } from '../../../src/actions/registry';
import { type ActionContext, type ActionDefinition } from '../../../src/actions/types';
import { outcome } from '../../../src/outcome';
import { DEFAULT_RUNBOOKS_DIR } from '../../../src/config/settings';
import { NO_SUBJECT, type Finding } from '../../../src/findings/finding';
import { hasDisruptiveStep, runSteps, type Screened } from '../../../src/respond/execute';
import { decide, DEFAULT_POLICY } from '../../../src/runbooks/decide';
import { loadRunbooks } from '../../../src/runbooks/load';

const runbooks = loadRunbooks(DEFAULT_RUNBOOKS_DIR, ACTIONS);

function bruteForce(resourceRole: Finding['resourceRole']): Finding {
  return {
    id: `f-${resourceRole ?? 'none'}`, arn: 'arn', accountId: '111122223333', region: 'us-east-1', partition: 'aws', type: 'UnauthorizedAccess:EC2/SSHBruteForce', severity: 2, title: '', count: 1, archived: false, sample: false,
    updatedAt: undefined, lastSeenAt: undefined, detectorId: undefined, resourceRole, resourceType: 'Instance',
    ...NO_SUBJECT,
    resources: [],
    sequence: undefined,
    instance: { instanceId: 'i-1', networkInterfaces: [], tags: {} }, accessKey: undefined, buckets: [], remoteIps: [{ ip: '198.51.100.7', direction: resourceRole === 'TARGET' ? 'INBOUND' : 'OUTBOUND' }], origin: { kind: 'guardduty' },
  };
}

/** The runbook's steps as `screen` builds them, each action replaced by one that records that it ran. */
function screenedWithRecorder(finding: Finding, ran: string[]): Screened {
  const decision = decide(finding, runbooks, DEFAULT_POLICY);
  const ctx = { finding } as ActionContext;
  const steps = (decision.runbook?.actions ?? []).map((step) => {
    const real = ACTIONS.get(step.action) as ActionDefinition<unknown>;
    const recorder: ActionDefinition<unknown> = { ...real, run: async () => (ran.push(real.name), [outcome(real.name, 'i-1', 'done', 'ran')]) };
    return { action: recorder, params: real.params.parse(step.with), when: step.when };
  });
  return { finding, ctx, steps, verdict: undefined, startedAtMs: Date.now() };
}

describe('runbook ec2-attacked-from-ip', () => {
  it('is chosen for an SSH brute force of severity 2 and acts (reliability 9 + severity 2 > 10)', () => {
    const decision = decide(bruteForce('TARGET'), runbooks, DEFAULT_POLICY);

    expect(decision).toMatchObject({ decision: 'act', runbook: { name: 'ec2-attacked-from-ip' }, reason: 'reliability 9 + severity 2 = 11 > 10' });
  });

  it('when the instance is the ACTOR: snapshot, protect, detach, isolate, deny its addresses in transit subnets and remove the instance profile, in that order, and no address block', async () => {
    // Prepare
    const ran: string[] = [];

    // Act
    const execution = await runSteps(screenedWithRecorder(bruteForce('ACTOR'), ran));

    // Assess: detach comes before isolate (an Auto Scaling health check must not replace the evidence first)
    expect(ran).toEqual(['ec2.snapshot', 'ec2.protect', 'ec2.detach', 'ec2.isolate', 'network.isolate-transit', 'ec2.remove-instance-profile']);
    expect(execution.outcomes.find((o) => o.action === 'network.block-ip')).toEqual({ action: 'network.block-ip', resource: 'i-1', status: 'skipped', detail: 'runs only when the resource is the TARGET (it is ACTOR)' });
  });

  it('when the instance is the TARGET: only block the address', async () => {
    const ran: string[] = [];

    const execution = await runSteps(screenedWithRecorder(bruteForce('TARGET'), ran));

    expect(ran).toEqual(['network.block-ip']);
    expect(execution.outcomes.filter((o) => o.status === 'skipped').map((o) => o.action)).toEqual(['ec2.snapshot', 'ec2.protect', 'ec2.detach', 'ec2.isolate', 'network.isolate-transit', 'ec2.remove-instance-profile']);
    for (const o of execution.outcomes.filter((x) => x.status === 'skipped')) expect(o.detail).toBe('runs only when the resource is the ACTOR (it is TARGET)');
  });

  it('runs nothing when GuardDuty does not say which role the instance played', async () => {
    const ran: string[] = [];

    const execution = await runSteps(screenedWithRecorder(bruteForce(undefined), ran));

    expect(ran).toEqual([]);
    expect(execution.outcomes.map((o) => o.status)).toEqual(Array(7).fill('skipped'));
    expect(execution.outcomes[0]?.detail).toBe('runs only when the resource is the TARGET (it is unknown)');
  });
});

describe('what the circuit breaker counts (hasDisruptiveStep)', () => {
  it('does not count blocking an attacker at the ACL (TARGET), and counts isolating the attacker instance (ACTOR)', () => {
    // Prepare
    const target = screenedWithRecorder(bruteForce('TARGET'), []);
    const actor = screenedWithRecorder(bruteForce('ACTOR'), []);

    // Act + Assess
    expect(hasDisruptiveStep(target)).toBe(false);
    expect(hasDisruptiveStep(actor)).toBe(true);
  });

  it('marks evidence, tags, protection, address blocks, domain blocks, artefact sharing, an object deny and archiving as not disruptive, and every other action as disruptive', () => {
    // Assess: none of these stops or cuts off a running workload (a malicious object or artefact is no workload).
    const calm = [...ACTIONS.values()].filter((a) => !a.disruptive).map((a) => a.name).sort();
    expect(calm).toEqual([
      'backup.tag-recovery-point',
      'ec2.protect',
      'ec2.restrict-image',
      'ec2.restrict-snapshot',
      'ec2.snapshot',
      'ecs.tag-task',
      'eks.tag-cluster',
      'guardduty.archive',
      'lambda.tag',
      'network.block-domain',
      'network.block-ip',
      'rds.snapshot',
      's3.deny-object-read',
    ]);
  });
});
