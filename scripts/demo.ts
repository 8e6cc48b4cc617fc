/**
 * `npm run demo`: cordon's main job on the local emulator, no AWS account needed.
 *
 * Starts moto_server plus cordon's GuardDuty/Security Hub emulator behind one
 * endpoint, builds a small organization (a security account, 3 member
 * accounts, 2 regions, VPCs, instances with EBS volumes, IAM users with keys,
 * roles, buckets), publishes real-shaped GuardDuty findings, runs
 * `npx cordon respond` on them as a user would, runs it again to show
 * idempotency, prints the Security Hub status of every finding and cordon's
 * threat list (the findings' indicators, in every region's GuardDuty).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import {
  guardDutyEvent,
  sampleFinding,
  buildWorld,
  buildFamilies,
  familyFindings,
  type World,
  MotoMissingError,
  startLocalAws,
  type LocalAws,
} from '../local-aws';

const ROOT = path.resolve(__dirname, '..');
/** The security account's bucket of cordon's threat list (the responder stack creates it when deployed). */
const INTEL_BUCKET = 'cordon-demo-intel';

/** The list bucket, versioned as the stack makes it. */
async function createIntelBucket(endpoint: string, region: string): Promise<void> {
  const s3 = new S3Client({ endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, forcePathStyle: true });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: INTEL_BUCKET }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: INTEL_BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  } finally {
    s3.destroy();
  }
}

function findingsFor(world: World): Array<Record<string, unknown>> {
  const [m1, m2, m3] = world.memberAccountIds as [string, string, string];
  const inst = (accountId: string, region: string, name: string) => {
    const found = world.instances.find((i) => i.accountId === accountId && i.region === region && i.name === name);
    if (!found) throw new Error(`demo world has no ${name} in ${accountId} ${region}`);
    return found.target;
  };
  const user = (accountId: string, userName: string) => world.users.find((u) => u.accountId === accountId && u.userName === userName);
  const [r1, r2] = world.regions as [string, string];
  const key = user(m2, 'deploy-bot');
  const exemptKey = user(m3, 'break-glass');
  return [
    sampleFinding('CryptoCurrency:EC2/BitcoinTool.B!DNS', { accountId: m1, region: r1, instance: inst(m1, r1, 'web-1') }),
    sampleFinding('Backdoor:EC2/C&CActivity.B!DNS', { accountId: m2, region: r2, instance: inst(m2, r2, 'web-2') }),
    sampleFinding('UnauthorizedAccess:EC2/SSHBruteForce', {
      accountId: m1,
      region: r2,
      instance: inst(m1, r2, 'web-2'),
      resourceRole: 'TARGET',
      remoteIp: '203.0.113.66',
    }),
    sampleFinding('UnauthorizedAccess:IAMUser/MaliciousIPCaller', {
      accountId: m2,
      region: r1,
      accessKey: { accessKeyId: key?.accessKeyId ?? '', userName: 'deploy-bot', userType: 'IAMUser' },
    }),
    sampleFinding('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', {
      accountId: m1,
      region: r1,
      accessKey: {
        accessKeyId: 'ASIAEXAMPLEEXFILTRATED',
        userName: 'web-instance-role',
        userType: 'AssumedRole',
        sessionName: inst(m1, r1, 'web-2').instanceId,
      },
    }),
    sampleFinding('Policy:S3/BucketAnonymousAccessGranted', {
      accountId: m3,
      region: r1,
      bucket: world.buckets.find((b) => b.accountId === m3 && b.region === r1)?.name ?? '',
    }),
    sampleFinding('Impact:EC2/AbusedDomainRequest.Reputation', { accountId: m3, region: r1, instance: inst(m3, r1, 'web-2'), severity: 2 }),
    sampleFinding('CryptoCurrency:EC2/BitcoinTool.B', { accountId: m3, region: r2, instance: inst(m3, r2, 'bastion') }),
    sampleFinding('Stealth:IAMUser/PasswordPolicyChange', {
      accountId: m3,
      region: r1,
      accessKey: { accessKeyId: exemptKey?.accessKeyId ?? '', userName: 'break-glass', userType: 'IAMUser' },
      severity: 8,
    }),
    sampleFinding('Execution:Runtime/NewBinaryExecuted', { accountId: m2, region: r1, instance: inst(m2, r1, 'web-1'), severity: 5 }),
    // The root user deleting objects: cordon cannot contain root, and says so (NOTIFIED, nothing changed).
    sampleFinding('Impact:S3/AnomalousBehavior.Delete', {
      accountId: m1,
      region: r2,
      accessKey: { accessKeyId: 'AKIAEXAMPLEROOTKEY01', userName: 'Root', userType: 'Root' },
      bucket: world.buckets.find((b) => b.accountId === m1 && b.region === r2)?.name ?? '',
    }),
  ];
}

function runCordon(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/cordon.cjs'), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  let local: LocalAws;
  try {
    local = await startLocalAws();
  } catch (err) {
    if (err instanceof MotoMissingError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-demo-'));
  try {
    console.log(`== local AWS at ${local.endpoint} (moto_server + cordon's GuardDuty/Security Hub emulator)`);
    const world = await buildWorld({ endpoint: local.endpoint });
    console.log(
      `== organization: security account ${world.securityAccountId}, members ${world.memberAccountIds.join(', ')}, regions ${world.regions.join(', ')}`,
    );
    console.log(
      `   ${world.instances.length} instances (2 EBS volumes each), ${world.users.length} IAM users with keys, ${world.buckets.length} buckets`,
    );
    local.emulator.seedOrganization({
      administratorAccountId: world.securityAccountId,
      memberAccountIds: world.memberAccountIds,
      regions: world.regions,
    });
    const families = await buildFamilies(world, local.endpoint);
    console.log(
      `   and in ${families.accountId} ${families.region}: Lambda ${families.lambda.functionName}, ECS task of ${families.task.clusterArn.split('/').pop()}, RDS ${families.database.instanceId}, EKS ${families.eks.clusterName}, s3://${families.object.bucket}/${families.object.key}, ${families.snapshot.snapshotId}, ${families.image.imageId}`,
    );
    // One finding of every 2026 family (malware, runtime, Lambda, RDS, S3 object, Kubernetes, attack sequence).
    const findings = [...findingsFor(world), ...Object.values(familyFindings(world, families))];
    for (const f of findings) local.emulator.publishGuardDutyFinding(f);
    const file = path.join(work, 'findings.jsonl');
    fs.writeFileSync(file, findings.map((f) => JSON.stringify(guardDutyEvent(f))).join('\n') + '\n');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ENDPOINT_URL: local.endpoint,
      AWS_REGION: world.regions[0],
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      CORDON_AUDIT_FILE: path.join(work, 'audit.jsonl'),
      CORDON_INTEL_BUCKET: INTEL_BUCKET,
      CORDON_INTEL_REGIONS: world.regions.join(','),
      // Every family acts in one member account: the circuit breaker (default 5 containments an hour per account) would hold most.
      CORDON_CIRCUIT_ACCOUNT_LIMIT: '30',
      AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
    };
    await createIntelBucket(local.endpoint, world.regions[0] ?? 'us-east-1');
    delete env.AWS_PROFILE;

    console.log(`\n== npx cordon respond ${path.basename(file)} --dry-run   (${findings.length} GuardDuty findings)\n`);
    const dry = await runCordon(['respond', file, '--dry-run'], env);
    console.log(`\n== npx cordon respond ${path.basename(file)}\n`);
    const first = await runCordon(['respond', file], env);
    console.log(`\n== the same findings delivered again (idempotency: nothing is done twice)`);
    console.log(`   (moto reports an attached interface's groups unioned with the instance's launch groups, so`);
    console.log(`   ec2.isolate cannot see its own quarantine there and re-applies it; AWS reports "already")\n`);
    const again = await runCordon(['respond', file], env);

    console.log('\n== Security Hub, as analysts see it (security account)');
    for (const region of world.regions) {
      const hub = new SecurityHubClient({
        endpoint: local.endpoint,
        region,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
      const out = await hub.send(new GetFindingsCommand({ MaxResults: 100 }));
      for (const f of out.Findings ?? []) {
        const type = f.Types?.[0]?.split('/').pop() ?? '';
        console.log(
          `   ${region} ${f.AwsAccountId} ${(f.Workflow?.Status ?? '').padEnd(8)} ${type.padEnd(58)} ${f.Note?.Text?.slice(0, 160) ?? ''}`,
        );
      }
      hub.destroy();
    }
    console.log(`\n== npx cordon intel list   (the findings' indicators on cordon's threat list, in GuardDuty in every region)\n`);
    const intel = await runCordon(['intel', 'list'], env);
    for (const region of world.regions)
      for (const l of local.emulator.guardDutyLists(world.securityAccountId, region))
        console.log(`   GuardDuty ${region}: ${l.kind} ${l.name} ${l.status}, ${l.entries.length} entries: ${l.entries.join(' ')}`);
    const compromised = findings.find((f) => String(f.type).startsWith('CryptoCurrency:EC2/'));
    let release = 0;
    if (compromised) {
      console.log(`\n== an analyst releases a contained instance: npx cordon release --finding ${String(compromised.id)}\n`);
      release = await runCordon(['release', '--finding', String(compromised.id)], env);
    }
    console.log('\n== npx cordon status   (the blast-radius circuit breaker)\n');
    await runCordon(['status'], env);
    const codes = { dry, first, again, intel, release };
    console.log(`\n== exit codes: ${JSON.stringify(codes)}; audit trail: ${env.CORDON_AUDIT_FILE}`);
    return Object.values(codes).every((c) => c === 0) ? 0 : 1;
  } finally {
    await local.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
