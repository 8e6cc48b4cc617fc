import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { FileAuditStore } from '../audit/file-store';
import { DynamoDbAuditStore } from '../audit/dynamodb-store';
import type { ResponderStore } from '../audit/store';
import { ClientFactory } from '../aws/clients';
import { MemberCredentialsCache } from '../aws/credentials';
import type { ResponderSettings } from '../config/settings';
import { GuardDutyArchiver } from '../guardduty/archiver';
import { ACTIONS } from '../actions/registry';
import { indicatorGuard } from '../intel/indicators';
import { IntelLists } from '../intel/lists';
import { loadRunbooks } from '../runbooks/load';
import { EventBridgeNotifier, type NotificationFailure } from '../notify/publisher';
import { SecurityHubWriter } from '../securityhub/writer';
import { CircuitBreaker } from './circuit';
import type { ResponderDeps } from './responder';

/** cordon's lists when a list bucket is set (the findings' indicators are shared), else undefined. */
export function intelLists(settings: ResponderSettings, clients: ClientFactory, now: () => Date): IntelLists | undefined {
  const { bucket, bucketRegion, ttlDays, regions } = settings.intel;
  if (!bucket) return undefined;
  return new IntelLists({
    clients,
    bucket,
    bucketRegion,
    regions,
    ttlMs: ttlDays * 86_400_000,
    now,
    dryRun: settings.dryRun,
    guard: indicatorGuard(process.env, bucket),
  });
}

/** The responder's dependencies plus what must be closed at the end. */
export interface Responder {
  readonly deps: ResponderDeps;
  readonly clients: ClientFactory;
  close(): void;
}

/**
 * Builds the responder from settings: one client factory (one client per
 * service, account and region), one credentials cache (one AssumeRole per
 * account and region), the audit store and the Security Hub writer.
 * Loads and validates the runbooks first, so bad configuration fails before any AWS call.
 */
export function buildResponder(
  settings: ResponderSettings,
  overrides: {
    now?: () => Date;
    actor?: string;
    onHeld?: ResponderDeps['onHeld'];
    onResults?: ResponderDeps['onResults'];
    /** Told what EventBridge refused (the Lambda logs it, the CLI warns). @default ignored */
    onNotifyFailure?: (failures: readonly NotificationFailure[]) => void;
  } = {},
): Responder {
  const runbooks = loadRunbooks(settings.runbooksDir, ACTIONS);
  const clients: ClientFactory = new ClientFactory({
    maxSockets: Math.max(16, settings.concurrency * 2),
    // Only called once a member client is requested, after `credentials` exists.
    memberCredentials: (accountId, region) => credentials.provider(accountId, region),
  });
  const credentials = new MemberCredentialsCache((region) => clients.home(STSClient, region), {
    roleName: settings.roleName,
    externalId: settings.externalId,
  });
  const audit: ResponderStore =
    settings.audit.kind === 'dynamodb'
      ? new DynamoDbAuditStore(clients.home(DynamoDBClient, settings.audit.region), settings.audit.table)
      : new FileAuditStore(settings.audit.file);
  const deps: ResponderDeps = {
    clients,
    archiver: new GuardDutyArchiver(clients),
    writer: new SecurityHubWriter(clients),
    credentials,
    runbooks,
    policy: { threshold: settings.threshold, exemptAccounts: settings.exemptAccounts },
    audit,
    circuit: new CircuitBreaker(audit, settings.circuit),
    onHeld: overrides.onHeld,
    onResults: overrides.onResults,
    dryRun: settings.dryRun,
    now: overrides.now ?? (() => new Date()),
    exemptTag: settings.exemptTag,
    exemptResourceArns: settings.exemptResourceArns,
    exemptOus: settings.exemptOus,
    responderRoleName: settings.roleName,
    concurrency: settings.concurrency,
    actor: overrides.actor,
    intel: intelLists(settings, clients, overrides.now ?? (() => new Date())),
    notifier:
      settings.notify === undefined
        ? undefined
        : new EventBridgeNotifier(clients, {
            region: settings.notify.region,
            eventBus: settings.notify.bus,
            onFailure: overrides.onNotifyFailure ?? (() => undefined),
          }),
  };
  return { deps, clients, close: () => clients.destroy() };
}
