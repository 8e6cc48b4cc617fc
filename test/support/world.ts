import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { GetFindingsCommand, SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import {
  buildWorld,
  sampleFinding,
  guardDutyEvent,
  type SampleTarget,
  type World,
  type WorldInstance,
  type LocalAws,
} from '../../local-aws';
import { HOME_CREDENTIALS, startLocal } from './local';
import { responderSettings } from '../../src/config/settings';
import { buildResponder, type Responder } from '../../src/respond/wiring';

/**
 * moto + the emulator for one test file (`startLocal`), the demo organization
 * built in it, and GuardDuty and Security Hub seeded with that organization.
 */
export async function startWorld(options: { readonly memberCount: number; readonly regions: readonly string[] }): Promise<{
  local: LocalAws;
  world: World;
}> {
  const local = await startLocal();
  const world = await buildWorld({ endpoint: local.endpoint, ...options });
  local.emulator.seedOrganization({
    administratorAccountId: world.securityAccountId,
    memberAccountIds: world.memberAccountIds,
    regions: world.regions,
  });
  return { local, world };
}

/** SDK clients in a member account, for asserting AWS state. */
export async function memberClients(local: LocalAws, world: World, accountId: string, region: string) {
  const credentials = await world.credentialsFor(accountId);
  const cfg = { endpoint: local.endpoint, region, credentials };
  return { ec2: new EC2Client(cfg), iam: new IAMClient(cfg), s3: new S3Client({ ...cfg, forcePathStyle: true }) };
}

/** The instance of the world by account, region and name. */
export function instanceOf(world: World, accountId: string, region: string, name: string): WorldInstance {
  const found = world.instances.find((i) => i.accountId === accountId && i.region === region && i.name === name);
  if (!found) throw new Error(`no ${name} in ${accountId} ${region}`);
  return found;
}

/** Publishes a sample finding to the emulator (GuardDuty + Security Hub) and returns it. */
export function publish(local: LocalAws, type: string, target: SampleTarget): Record<string, unknown> {
  const finding = sampleFinding(type, target);
  local.emulator.publishGuardDutyFinding(finding);
  return finding;
}

/** Writes events to a temp file for `cordon respond FILE`. */
export function eventsFile(findings: ReadonlyArray<Record<string, unknown>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-test-'));
  const file = path.join(dir, 'events.jsonl');
  fs.writeFileSync(file, findings.map((f) => JSON.stringify(guardDutyEvent(f))).join('\n') + '\n');
  return file;
}

/** A fresh audit file path. */
export function auditFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-audit-')), 'audit.jsonl');
}

/** The Security Hub finding of a GuardDuty finding, as the security account sees it. */
export async function hubFinding(local: LocalAws, finding: Record<string, unknown>): Promise<AwsSecurityFinding | undefined> {
  const hub = new SecurityHubClient({ endpoint: local.endpoint, region: String(finding.region), credentials: HOME_CREDENTIALS });
  const out = await hub.send(new GetFindingsCommand({ Filters: { Id: [{ Value: String(finding.arn), Comparison: 'EQUALS' }] } }));
  hub.destroy();
  return out.Findings?.[0];
}

/** The ARN of the managed policy iam.deny-user attaches. */
export const AWS_DENY_ALL_ARN = 'arn:aws:iam::aws:policy/AWSDenyAll';

/** The managed policies attached to an IAM user, by ARN. */
export async function attachedPolicies(iam: IAMClient, userName: string): Promise<string[]> {
  return ((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }))).AttachedPolicies ?? []).map(
    (p) => p.PolicyArn ?? '',
  );
}

/**
 * One Lambda environment: a responder built as the handler builds it (its own
 * clients and credentials cache) on a DynamoDB audit table, with circuit caps
 * out of the way. Close it when done.
 */
export function lambdaEnvironment(table: string, actor: string, now?: () => Date): Responder {
  const settings = responderSettings({
    ...process.env,
    CORDON_AUDIT_TABLE: table,
    CORDON_CIRCUIT_ACCOUNT_LIMIT: '1000',
    CORDON_CIRCUIT_ORG_LIMIT: '1000',
  });
  return buildResponder(settings, { actor, ...(now ? { now } : {}) });
}
