import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../support/cli';

const FAMILIES = path.join(__dirname, '../../fixtures/guardduty/families');

interface Explained {
  readonly type: string;
  readonly runbook: string | null;
  readonly decision: string;
  readonly actions: ReadonlyArray<{ readonly action: string; readonly applies: boolean; readonly why: string }>;
}

/** `cordon runbooks explain` on a real-shaped finding of every 2026 family (no AWS call: no exemption OU configured). */
describe('runbooks explain: every finding family', () => {
  const explain = async (file: string): Promise<Explained> => {
    const run = await runCli(['runbooks', 'explain', path.join(FAMILIES, file), '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return run.lines[0] as unknown as Explained;
  };
  const applying = (e: Explained): string[] => e.actions.filter((a) => a.applies).map((a) => a.action);

  it('has a fixture for every family the runbooks name', () => {
    // Assess: one per family of the issue (malware, backup artefacts, runtime, Lambda, RDS, S3 object, Kubernetes, attack sequence)
    expect(fs.readdirSync(FAMILIES).sort()).toEqual([
      'attack-sequence.event.json',
      'kubernetes-iam-user.event.json',
      'kubernetes-service-account.event.json',
      'lambda.event.json',
      'malware-ami.event.json',
      'malware-ec2.event.json',
      'malware-ecs.event.json',
      'malware-recovery-point.event.json',
      'malware-snapshot.event.json',
      'rds.event.json',
      'runtime-ec2.event.json',
      'runtime-ecs.event.json',
      'runtime-eks.event.json',
      's3-object.event.json',
    ]);
  });

  it.each([
    [
      'malware-ec2.event.json',
      'malware-ec2-host',
      ['ec2.snapshot', 'ec2.protect', 'ec2.detach', 'ec2.isolate', 'network.isolate-transit', 'ec2.remove-instance-profile'],
    ],
    [
      'malware-ecs.event.json',
      'malware-ec2-host',
      [
        'ec2.snapshot',
        'ec2.protect',
        'ec2.detach',
        'ec2.isolate',
        'network.isolate-transit',
        'ec2.remove-instance-profile',
        'ecs.tag-task',
      ],
    ],
    ['malware-snapshot.event.json', 'malware-backup-evidence', ['ec2.restrict-snapshot']],
    ['malware-ami.event.json', 'malware-backup-evidence', ['ec2.restrict-image']],
    ['malware-recovery-point.event.json', 'malware-backup-evidence', ['backup.tag-recovery-point']],
    [
      'runtime-ec2.event.json',
      'runtime-ec2-instance',
      ['ec2.snapshot', 'ec2.protect', 'ec2.detach', 'ec2.isolate', 'network.isolate-transit', 'ec2.remove-instance-profile'],
    ],
    ['runtime-ecs.event.json', 'runtime-ecs-task', ['ecs.tag-task', 'ecs.isolate-task', 'ecs.revoke-task-role']],
    [
      'lambda.event.json',
      'lambda-compromise',
      ['lambda.tag', 'lambda.throttle', 'lambda.disable-event-sources', 'lambda.revoke-role-sessions'],
    ],
    ['rds.event.json', 'rds-login-activity', ['rds.snapshot', 'network.block-ip', 'rds.isolate']],
    ['s3-object.event.json', 's3-malicious-object', ['s3.deny-object-read']],
    ['kubernetes-iam-user.event.json', 'kubernetes-audit', ['eks.tag-cluster', 'iam.deny-user', 'iam.revoke-role-sessions']],
    ['kubernetes-service-account.event.json', 'kubernetes-audit', ['eks.tag-cluster']],
  ])('%s gets runbook %s, whose steps for it are %j', async (file, runbook, steps) => {
    // Act
    const e = await explain(file);

    // Assess
    expect(e.runbook).toBe(runbook);
    expect(applying(e)).toEqual(steps);
  });

  it('says which steps of an EKS pod runbook wait for the custom action (the node other pods share)', async () => {
    // Act
    const e = await explain('runtime-eks.event.json');

    // Assess
    expect(e.runbook).toBe('runtime-eks-pod');
    const isolate = e.actions.find((a) => a.action === 'ec2.isolate');
    expect(isolate).toMatchObject({ applies: true, why: expect.stringMatching(/^only from the runbook's Security Hub custom action/) });
    expect(e.actions.find((a) => a.action === 'eks.tag-cluster')?.why).not.toContain('custom action');
  });

  it('reads an attack sequence resource by resource, and names the resource of another account it cannot contain', async () => {
    // Act
    const e = await explain('attack-sequence.event.json');

    // Assess: the key's, the bucket's and the instance's steps apply; the other account's bucket is named
    expect(e.runbook).toBe('attack-sequence');
    expect(applying(e)).toEqual(
      expect.arrayContaining(['iam.deactivate-access-key', 'iam.deny-user', 's3.block-public-access', 'ec2.isolate']),
    );
    expect(applying(e)).not.toContain('ecs.isolate-task');
    expect(e.actions.find((a) => a.action === 'sequence')?.why).toBe(
      "S3_BUCKET arn:aws:s3:::partner-drop: in account 444455556666, not the finding's (111122223333): cordon acts in the finding's account only",
    );
  });
});
