/**
 * What cordon tells people about a finding (pure): one EventBridge event per
 * finding it contained, held or failed on, `source: cordon`, on the security
 * account's bus. docs/notifications.md documents the detail; this schema is
 * its one definition.
 */
import { z } from 'zod';
import { CIRCUIT_OPEN } from '../respond/circuit';
import type { FindingResult } from '../respond/result';

/** The events' `source`. */
export const NOTIFICATION_SOURCE = 'cordon';

/** What happened to a finding, as a notification says it. */
export const NOTIFICATION_OUTCOMES = ['contained', 'partially-contained', 'held', 'failed', 'planned', 'released'] as const;

/** A notification's outcome. */
export type NotificationOutcome = (typeof NOTIFICATION_OUTCOMES)[number];

/** The detail type of each outcome: `cordon Finding Contained`… (what a rule matches on). */
export const NOTIFICATION_DETAIL_TYPES: Readonly<Record<NotificationOutcome, string>> = {
  contained: 'cordon Finding Contained',
  'partially-contained': 'cordon Finding Partially Contained',
  held: 'cordon Finding Held',
  failed: 'cordon Finding Failed',
  planned: 'cordon Finding Planned',
  released: 'cordon Finding Released',
};

/**
 * The detail of a notification (version 1).
 *
 * @example
 * {"version":"1","outcome":"partially-contained","findingId":"6ec…","findingArn":"arn:aws:guardduty:us-east-1:111122223333:detector/…/finding/6ec…",
 *  "accountId":"111122223333","region":"us-east-1","type":"CryptoCurrency:EC2/BitcoinTool.B!DNS","severity":8,"runbook":"ec2-instance-compromise",
 *  "resources":["i-0abc"],"reason":"reliability 5 + severity 8 = 13 > 10",
 *  "actions":[{"action":"ec2.isolate","resource":"eni-0abc","status":"done","detail":"moved to the quarantine group"}],
 *  "remains":["DNS to the VPC resolver is still open: …"],"securityHub":"updated",
 *  "summary":"cordon PARTIALLY CONTAINED CryptoCurrency:EC2/BitcoinTool.B!DNS in 111122223333/us-east-1 (i-0abc), runbook ec2-instance-compromise: …"}
 */
export const notificationDetailSchema = z.object({
  version: z.literal('1'),
  outcome: z.enum(NOTIFICATION_OUTCOMES),
  findingId: z.string(),
  findingArn: z.string(),
  accountId: z.string(),
  region: z.string(),
  type: z.string(),
  severity: z.number().nullable(),
  runbook: z.string().nullable(),
  /** The resources the actions were about (instances, interfaces, keys, users, buckets…), without repeats. */
  resources: z.array(z.string()),
  reason: z.string(),
  actions: z.array(z.object({ action: z.string(), resource: z.string(), status: z.string(), detail: z.string() })),
  /** What stays open (residual channels), as the Security Hub note says it. */
  remains: z.array(z.string()),
  securityHub: z.string(),
  /** One line naming the account, resources, runbook, what was done and what remains: what e-mail and chat show. */
  summary: z.string(),
});

/** A notification's detail. */
export type NotificationDetail = z.infer<typeof notificationDetailSchema>;

/** A notification: its detail type and detail. */
export interface Notification {
  readonly detailType: string;
  readonly detail: NotificationDetail;
}

/** The outcome a result is notified as, or undefined when nobody needs to hear of it (skipped by policy, not GuardDuty). */
export function outcomeOf(r: FindingResult): NotificationOutcome | undefined {
  if (r.decision === 'skip') return r.reason.startsWith(CIRCUIT_OPEN) || / is manual: /.test(r.reason) ? 'held' : undefined;
  if (r.actions.some((a) => a.status === 'failed') || r.securityHub.status === 'failed') return 'failed';
  if (r.runbook === 'builtin:release') return 'released';
  if (r.actions.length > 0 && r.actions.every((a) => a.status === 'planned' || a.status === 'skipped'))
    return r.actions.some((a) => a.status === 'planned') ? 'planned' : undefined;
  if (!r.actions.some((a) => a.status === 'done' || a.status === 'already')) return undefined;
  return (r.remains ?? []).length > 0 ? 'partially-contained' : 'contained';
}

/** The notification of a result, when one is due (pure). */
export function notificationOf(r: FindingResult): Notification | undefined {
  const outcome = outcomeOf(r);
  if (!outcome) return undefined;
  const resources = [...new Set(r.actions.map((a) => a.resource))];
  const remains = [...(r.remains ?? [])];
  const done = r.actions.filter((a) => a.status !== 'skipped').map((a) => `${a.action} ${a.status}`);
  const summary = [
    `cordon ${outcome.replace('-', ' ').toUpperCase()} ${r.type} in ${r.accountId}/${r.region}${resources.length > 0 ? ` (${resources.join(', ')})` : ''}`,
    `, runbook ${r.runbook ?? 'none'}: `,
    outcome === 'held' ? r.reason : done.join(', ') || r.reason,
    remains.length > 0 ? `. STILL OPEN: ${remains.join('; ')}` : '',
    '.',
  ].join('');
  return {
    detailType: NOTIFICATION_DETAIL_TYPES[outcome],
    detail: {
      version: '1',
      outcome,
      findingId: r.findingId,
      findingArn: r.findingArn,
      accountId: r.accountId,
      region: r.region,
      type: r.type,
      severity: r.severity,
      runbook: r.runbook,
      resources,
      reason: r.reason,
      actions: r.actions.map(({ action, resource, status, detail }) => ({ action, resource, status, detail })),
      remains,
      securityHub: r.securityHub.status,
      summary,
    },
  };
}
