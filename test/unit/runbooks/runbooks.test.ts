import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTIONS } from '../../../src/actions/registry';
import type { Finding } from '../../../src/findings/finding';
import { parseInput } from '../../../src/findings/parse';
import { decide, DEFAULT_POLICY } from '../../../src/runbooks/decide';
import { loadRunbooks, RunbookValidationError, validateRunbooks } from '../../../src/runbooks/load';
import { matchRunbook, typeMatches } from '../../../src/runbooks/match';

const RUNBOOKS = loadRunbooks(path.join(__dirname, '../../../runbooks'), ACTIONS);
const fixtureFinding = (name: string, patch: Partial<Finding> = {}): Finding => {
  const [item] = parseInput(fs.readFileSync(path.join(__dirname, '../../fixtures', name), 'utf8'));
  if (item?.kind !== 'finding') throw new Error('fixture is not a finding');
  return { ...item.finding, ...patch };
};

describe('shipped runbooks', () => {
  it.each([
    ['CryptoCurrency:EC2/BitcoinTool.B!DNS', 'ec2-instance-compromise'],
    ['Backdoor:EC2/C&CActivity.B!DNS', 'ec2-instance-compromise'],
    ['Trojan:EC2/DNSDataExfiltration', 'ec2-instance-compromise'],
    ['UnauthorizedAccess:EC2/TorClient', 'ec2-instance-compromise'],
    ['Impact:EC2/PortSweep', 'ec2-instance-compromise'],
    ['UnauthorizedAccess:EC2/SSHBruteForce', 'ec2-attacked-from-ip'],
    ['UnauthorizedAccess:EC2/RDPBruteForce', 'ec2-attacked-from-ip'],
    ['Recon:EC2/PortProbeUnprotectedPort', 'ec2-attacked-from-ip'],
    ['UnauthorizedAccess:IAMUser/MaliciousIPCaller', 'iam-credential-misuse'],
    ['CredentialAccess:IAMUser/AnomalousBehavior', 'iam-credential-misuse'],
    ['Persistence:IAMUser/AnomalousBehavior', 'iam-credential-misuse'],
    ['PrivilegeEscalation:IAMUser/AnomalousBehavior', 'iam-credential-misuse'],
    ['Exfiltration:IAMUser/AnomalousBehavior', 'iam-credential-misuse'],
    ['Impact:IAMUser/AnomalousBehavior', 'iam-credential-misuse'],
    ['DefenseEvasion:IAMUser/AnomalousBehavior', 'iam-credential-misuse'],
    ['Stealth:IAMUser/CloudTrailLoggingDisabled', 'iam-credential-misuse'],
    ['Discovery:IAMUser/AnomalousBehavior', 'iam-credential-misuse'],
    ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', 'iam-instance-credential-exfiltration'],
    ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS', 'iam-instance-credential-exfiltration'],
    ['Policy:S3/BucketAnonymousAccessGranted', 's3-exposure'],
    ['Exfiltration:S3/MaliciousIPCaller', 's3-principal-misuse'],
    ['Discovery:S3/MaliciousIPCaller', 's3-principal-misuse'],
    ['Stealth:S3/ServerAccessLoggingDisabled', 's3-principal-misuse'],
    ['Policy:S3/BucketBlockPublicAccessDisabled', 's3-exposure'],
  ])('%s goes to %s', (type, runbook) => {
    expect(matchRunbook(RUNBOOKS, type)?.runbook.name).toBe(runbook);
  });

  it.each([
    ['Execution:EC2/MaliciousFile', 'Instance', 'malware-ec2-host'],
    ['Execution:ECS/MaliciousFile', 'ECSCluster', 'malware-ec2-host'],
    ['Execution:Kubernetes/MaliciousFile', 'EKSCluster', 'malware-ec2-host'],
    ['Execution:Container/MaliciousFile', 'Container', 'malware-ec2-host'],
    ['Execution:EC2/MaliciousFile!Snapshot', 'EBSSnapshot', 'malware-backup-evidence'],
    ['Execution:EC2/MaliciousFile!AMI', 'EC2Image', 'malware-backup-evidence'],
    ['Execution:EC2/MaliciousFile!RecoveryPoint', 'RecoveryPoint', 'malware-backup-evidence'],
    ['Execution:S3/MaliciousFile!RecoveryPoint', 'RecoveryPoint', 'malware-backup-evidence'],
    ['Execution:Runtime/NewBinaryExecuted', 'Instance', 'runtime-ec2-instance'],
    ['CryptoCurrency:Runtime/BitcoinTool.B', 'Container', 'runtime-ec2-instance'],
    ['Execution:Runtime/ReverseShell', 'ECSCluster', 'runtime-ecs-task'],
    ['PrivilegeEscalation:Runtime/ContainerMountsHostDirectory', 'EKSCluster', 'runtime-eks-pod'],
    ['Backdoor:Lambda/C&CActivity.B', 'Lambda', 'lambda-compromise'],
    ['CryptoCurrency:Lambda/BitcoinTool.B', 'Lambda', 'lambda-compromise'],
    ['Trojan:Lambda/BlackholeTraffic', 'Lambda', 'lambda-compromise'],
    ['UnauthorizedAccess:Lambda/MaliciousIPCaller.Custom', 'Lambda', 'lambda-compromise'],
    ['CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin', 'RDSDBInstance', 'rds-login-activity'],
    ['CredentialAccess:RDS/MaliciousIPCaller.SuccessfulBruteForce', 'RDSDBInstance', 'rds-login-activity'],
    ['Discovery:RDS/MaliciousIPCaller', 'RDSDBInstance', 'rds-login-activity'],
    ['Object:S3/MaliciousFile', 'S3Object', 's3-malicious-object'],
    ['Discovery:Kubernetes/MaliciousIPCaller', 'EKSCluster', 'kubernetes-audit'],
    ['PrivilegeEscalation:Kubernetes/PrivilegedContainer', 'EKSCluster', 'kubernetes-audit'],
    ['AttackSequence:IAM/CompromisedCredentials', 'AccessKey', 'attack-sequence'],
    ['AttackSequence:S3/CompromisedData', 'S3Bucket', 'attack-sequence'],
    ['AttackSequence:EC2/CompromisedInstanceGroup', 'Instance', 'attack-sequence'],
    ['AttackSequence:ECS/CompromisedCluster', 'ECSCluster', 'attack-sequence'],
    ['AttackSequence:EKS/CompromisedCluster', 'EKSCluster', 'attack-sequence'],
    // AI Protection: credentials invoking models for someone else are compromised credentials (runbooks/README.md).
    ['Impact:IAMUser/AnomalousModelInvocation', 'AccessKey', 'iam-credential-misuse'],
    ['Impact:IAMUser/CostHarvesting', 'AccessKey', 'iam-credential-misuse'],
  ])('%s on %s goes to %s', (type, resourceType, runbook) => {
    expect(matchRunbook(RUNBOOKS, type, resourceType)?.runbook.name).toBe(runbook);
  });

  it('gives a runtime finding no runbook when its resource type is none the runtime runbooks name', () => {
    expect(matchRunbook(RUNBOOKS, 'Execution:Runtime/NewBinaryExecuted', 'Lambda')).toBeUndefined();
  });
});

describe('typeMatches', () => {
  it('matches exact names and * patterns, nothing else', () => {
    expect(typeMatches('Backdoor:EC2/*', 'Backdoor:EC2/Spambot')).toBe(true);
    expect(typeMatches('Backdoor:EC2/*', 'Backdoor:Lambda/C&CActivity.B')).toBe(false);
    expect(typeMatches('Trojan:EC2/DGADomainRequest.B', 'Trojan:EC2/DGADomainRequest.C!DNS')).toBe(false);
    expect(typeMatches('Trojan:EC2/DGADomainRequest.*', 'Trojan:EC2/DGADomainRequest.C!DNS')).toBe(true);
  });
});

describe('decide', () => {
  it('acts when reliability + severity is above the threshold', () => {
    const d = decide(fixtureFinding('guardduty/crypto-ec2.event.json'), RUNBOOKS, DEFAULT_POLICY);
    expect(d).toMatchObject({ decision: 'act', reason: 'reliability 5 + severity 8 = 13 > 10' });
  });

  it('skips at or below the threshold, saying the sum', () => {
    const d = decide(fixtureFinding('guardduty/low-severity.event.json'), RUNBOOKS, DEFAULT_POLICY);
    expect(d).toMatchObject({ decision: 'skip', reason: 'reliability 5 + severity 2 = 7, not above the threshold 10' });
    expect(decide(fixtureFinding('guardduty/crypto-ec2.event.json', { severity: 5 }), RUNBOOKS, DEFAULT_POLICY).decision).toBe('skip');
  });

  it('honours a configured threshold', () => {
    const d = decide(fixtureFinding('guardduty/low-severity.event.json'), RUNBOOKS, { ...DEFAULT_POLICY, threshold: 6 });
    expect(d.decision).toBe('act');
  });

  it('skips a type no runbook covers with the reason "no runbook"', () => {
    const d = decide(fixtureFinding('guardduty/unknown-type.event.json'), RUNBOOKS, DEFAULT_POLICY);
    expect(d).toMatchObject({ decision: 'skip', runbook: undefined, reason: 'no runbook for DefenseEvasion:EC2/UnusualDoHActivity' });
  });

  it('skips GuardDuty sample findings first, with the reason "sample finding", even from a custom action', () => {
    // Prepare: the flag as events carry it, and as GetFindings carries it (JSON inside `value`)
    const raw = JSON.parse(fs.readFileSync(path.join(__dirname, '../../fixtures/guardduty/crypto-ec2.event.json'), 'utf8')) as {
      detail: { service: Record<string, unknown> };
    };
    const asSample = (additionalInfo: unknown): Finding => {
      const [item] = parseInput(JSON.stringify({ ...raw, detail: { ...raw.detail, service: { ...raw.detail.service, additionalInfo } } }));
      if (item?.kind !== 'finding') throw new Error('fixture is not a finding');
      return item.finding;
    };
    const fromEvent = asSample({ sample: true });
    const fromApi = asSample({ value: '{"sample":true}', type: 'default' });
    const chosen: Finding = { ...fromEvent, origin: { kind: 'custom-action', actionName: 'Isolate EC2', actionArn: undefined } };

    // Act + Assess
    for (const f of [fromEvent, fromApi, chosen]) expect(decide(f, RUNBOOKS, DEFAULT_POLICY)).toMatchObject({ decision: 'skip', reason: 'sample finding' });
    expect(asSample({ value: '{"unusual":"port"}', type: 'default' }).sample).toBe(false);
    expect(decide(asSample(undefined), RUNBOOKS, DEFAULT_POLICY).decision).toBe('act');
  });

  it('skips exempt accounts and archived findings', () => {
    expect(decide(fixtureFinding('guardduty/crypto-ec2.event.json'), RUNBOOKS, { ...DEFAULT_POLICY, exemptAccounts: new Set(['111122223333']) })).toMatchObject({
      decision: 'skip',
      reason: 'account 111122223333 is exempt',
    });
    expect(decide(fixtureFinding('guardduty/crypto-ec2.event.json', { archived: true }), RUNBOOKS, DEFAULT_POLICY).reason).toBe('finding is archived in GuardDuty');
  });

  it('runs a manual runbook only from its custom action, bypassing the threshold but not exemptions', () => {
    const base = fixtureFinding('guardduty/low-severity.event.json', { type: 'Recon:EC2/Portscan', severity: 1 });
    expect(decide(base, RUNBOOKS, DEFAULT_POLICY).reason).toMatch(/is manual: run it from Security Hub with the custom action "Preserve EC2"/);
    const chosen = { ...base, origin: { kind: 'custom-action' as const, actionName: 'Preserve EC2', actionArn: 'arn:aws:securityhub:us-east-1:999988887777:action/custom/PreserveEC2' } };
    expect(decide(chosen, RUNBOOKS, DEFAULT_POLICY)).toMatchObject({ decision: 'act', runbook: { name: 'ec2-preserve-evidence' } });
    expect(decide(chosen, RUNBOOKS, { ...DEFAULT_POLICY, exemptAccounts: new Set([base.accountId]) }).decision).toBe('skip');
  });

  it('ignores imported findings that are not NEW, and cordon\'s own updates', () => {
    const f = fixtureFinding('guardduty/crypto-ec2.event.json');
    const imported = (o: object): Finding => ({ ...f, origin: { kind: 'imported', workflowStatus: 'NEW', noteUpdatedBy: undefined, noteUpdatedAt: undefined, findingUpdatedAt: '2026-11-24T10:00:00.000Z', ...o } });
    expect(decide(imported({ workflowStatus: 'NOTIFIED' }), RUNBOOKS, DEFAULT_POLICY).reason).toMatch(/workflow is NOTIFIED/);
    expect(decide(imported({ noteUpdatedBy: 'cordon', noteUpdatedAt: '2026-11-24T10:01:00.000Z' }), RUNBOOKS, DEFAULT_POLICY).reason).toMatch(/already handled by cordon/);
    // GuardDuty updated the finding after cordon's note: act again (idempotently).
    expect(decide(imported({ noteUpdatedBy: 'cordon', noteUpdatedAt: '2026-11-24T09:00:00.000Z' }), RUNBOOKS, DEFAULT_POLICY).decision).toBe('act');
    expect(decide(imported({}), RUNBOOKS, DEFAULT_POLICY).decision).toBe('act');
  });
});

describe('runbook validation', () => {
  const valid = 'name: a\ndescription: d\nfindingTypes: ["Backdoor:EC2/*"]\nactions:\n  - action: ec2.detach\n  - action: ec2.isolate\n';

  it('applies defaults (auto, reliability 5)', () => {
    const [rb] = validateRunbooks([{ file: 'a.yaml', text: valid }], ACTIONS);
    expect(rb).toMatchObject({ mode: 'auto', reliability: 5 });
  });

  it.each([
    ['reliability: 11\n', /a\.yaml: runbook "a": reliability: .*(<=10|10)/],
    ['mode: sometimes\n', /a\.yaml: runbook "a": mode: /],
    ['  - action: ec2.explode\n', /actions\[2\]\.action: unknown action "ec2\.explode"/],
    ['  - action: ec2.isolate\n    with: { cutTracked: true }\n', /actions\[2\]\.with: Unrecognized key/],
    ['  - action: ec2.snapshot\n', /ec2\.snapshot must come before ec2\.detach/],
  ])('rejects %j naming file, runbook and field', (extra, message) => {
    expect(() => validateRunbooks([{ file: 'a.yaml', text: valid + extra }], ACTIONS)).toThrow(message);
  });

  it('rejects isolating an instance without detaching it first (its health checks would get it terminated)', () => {
    const isolateOnly = 'name: a\ndescription: d\nfindingTypes: ["Backdoor:EC2/*"]\nactions:\n  - action: ec2.isolate\n  - action: ec2.detach\n';
    expect(() => validateRunbooks([{ file: 'a.yaml', text: isolateOnly }], ACTIONS)).toThrow(/a\.yaml: runbook "a": actions: ec2\.detach must come before ec2\.isolate/);
  });

  it('rejects stopping an instance after stop protection or before detaching it; accepts it stopped first', () => {
    const runbook = (...actions: string[]): string => `name: a\ndescription: d\nfindingTypes: ["Backdoor:EC2/*"]\nactions:\n${actions.map((a) => `  - ${a}\n`).join('')}`;
    const check = (text: string) => () => validateRunbooks([{ file: 'a.yaml', text }], ACTIONS);
    expect(check(runbook('action: ec2.detach', 'action: ec2.protect', 'action: ec2.stop'))).toThrow(/a\.yaml: runbook "a": actions: ec2\.stop must come before ec2\.protect/);
    expect(check(runbook('action: ec2.stop', 'action: ec2.detach'))).toThrow(/actions: ec2\.detach must come before ec2\.stop/);
    expect(check(runbook('action: ec2.detach', 'action: ec2.stop', 'action: ec2.protect'))).not.toThrow();
    expect(check(runbook('action: ec2.detach', 'action: ec2.protect', 'with: { stopProtection: false }', 'action: ec2.stop').replace('  - with:', '    with:'))).not.toThrow();
  });

  it('rejects a type claimed by two runbooks and a manual runbook without a custom action', () => {
    const other = valid.replace('name: a', 'name: b') + 'mode: manual\n';
    let error: unknown;
    try {
      validateRunbooks([{ file: 'a.yaml', text: valid }, { file: 'b.yaml', text: other }], ACTIONS);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RunbookValidationError);
    expect((error as RunbookValidationError).problems).toEqual([
      'b.yaml: runbook "b": findingTypes: "Backdoor:EC2/*" is also claimed by runbook "a" (a.yaml); a type must have one runbook',
      'b.yaml: runbook "b": customAction: a manual runbook runs only through a Security Hub custom action, so it must declare one',
    ]);
  });

  it('rejects invalid YAML with the file name', () => {
    expect(() => validateRunbooks([{ file: 'x.yaml', text: 'name: [' }], ACTIONS)).toThrow(/x\.yaml: not valid YAML/);
  });

  it('rejects custom action ids and names over Security Hub\'s 20 characters', () => {
    const text = valid + 'customAction: { id: ThisIdIsWayTooLongForIt, name: n, description: d }\n';
    expect(() => validateRunbooks([{ file: 'a.yaml', text }], ACTIONS)).toThrow(/customAction\.id: Security Hub allows 1-20 letters and digits/);
  });

  it("reserves the built-in custom actions' ids and names", () => {
    const text = valid + 'customAction: { id: CordonRelease, name: Undo, description: d }\n';
    expect(() => validateRunbooks([{ file: 'a.yaml', text }], ACTIONS)).toThrow('customAction: "CordonRelease" / "Release" is cordon\'s built-in action; choose another id and name');
  });
});
