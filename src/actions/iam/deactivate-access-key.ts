import { IAMClient, ListAccessKeysCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { defineAction } from '../define';
import { rootSkip } from './root';

const params = z.strictObject({});

/**
 * Temporary keys start with `ASIA` (IAM User Guide, "Unique identifier
 * prefixes"): an IAM user's come from a console or GetSessionToken session,
 * which no key deactivation ends; a deny on the user does.
 */
const TEMPORARY_KEY = /^ASIA/;

/**
 * Deactivates (never deletes) the IAM user's access key named in the finding.
 * Temporary (ASIA…) and root keys cannot be deactivated this way: the outcome
 * is `skipped` with the reason and the channel it leaves (closed by
 * `iam.deny-user` when the runbook denies the user too). GuardDuty's guide:
 * "Remediating potentially compromised AWS credentials".
 */
export const deactivateAccessKey = defineAction({
  name: 'iam.deactivate-access-key',
  summary: 'Set the leaked access key of the IAM user to Inactive',
  params,
  target: 'access-key',
  disruptive: true,
  permissions: { member: ['iam:ListAccessKeys', 'iam:UpdateAccessKey'], home: [] },
  /**
   * The key's user and its status before cordon, as IAM listed it.
   * @example { userName: 'deploy-bot', status: 'Active' }
   */
  prior: z.object({ userName: z.string(), status: z.string().optional() }),
  /** @example { status: 'Inactive' } */
  changed: z.object({ status: z.literal('Inactive') }),
  undo: {
    kind: 'restore',
    permissions: ['iam:ListAccessKeys', 'iam:UpdateAccessKey'],
    async run(ctx, record, report) {
      const keyId = record.resource;
      const { userName } = record.prior;
      if (!ctx.reactivateKeys) {
        return [
          report.skipped(
            keyId,
            `${keyId} left Inactive: a leaked key should stay off (rotate it); pass --reactivate-keys to turn it back on`,
          ),
        ];
      }
      if (record.prior.status !== 'Active')
        return [report.already(keyId, `${keyId} was ${String(record.prior.status)} before cordon acted`)];
      const iam = ctx.member(IAMClient);
      const keys = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
      const found = keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId);
      if (!found) return [report.skipped(keyId, `access key ${keyId} no longer exists on ${userName}`)];
      if (found.Status === 'Active') return [report.already(keyId, `${keyId} of ${userName} is already Active`)];
      if (ctx.dryRun) return [report.planned(keyId, `would re-activate ${keyId} of ${userName}`)];
      await iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: keyId, Status: 'Active' }));
      return [
        report.done(keyId, `re-activated ${keyId} of ${userName}`, {
          prior: { status: 'Inactive' },
          changed: { status: 'Active' },
        }),
      ];
    },
  },
  async run(ctx, _params, report) {
    const key = ctx.finding.accessKey;
    const root = rootSkip(report, key);
    if (root) return [root];
    const keyId = key?.accessKeyId;
    if (!keyId || !key.userName) return [report.skipped(keyId ?? '', 'finding names no access key and user')];
    if (key.userType !== 'IAMUser') {
      return [
        report.skipped(
          keyId,
          `${key.userType ?? 'unknown'} credentials are not an IAM user's long-term key; revoke the role's sessions instead`,
        ),
      ];
    }
    if (TEMPORARY_KEY.test(keyId))
      return [
        report.skipped(
          keyId,
          `${keyId} is a temporary key of ${key.userName}'s session (console or GetSessionToken): it cannot be deactivated; a deny on the user (iam.deny-user) ends it`,
          { remains: ['user-temporary-credentials'] },
        ),
      ];
    const iam = ctx.member(IAMClient);
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: key.userName }));
    const found = keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId);
    if (!found) return [report.failed(keyId, `access key ${keyId} not found on user ${key.userName} (deleted already?)`)];
    if (found.Status === 'Inactive') return [report.already(keyId, `${keyId} of ${key.userName} is already Inactive`)];
    if (ctx.dryRun)
      return [
        report.planned(keyId, `would deactivate ${keyId} of ${key.userName}`, {
          prior: { userName: key.userName, status: found.Status },
        }),
      ];
    await iam.send(new UpdateAccessKeyCommand({ UserName: key.userName, AccessKeyId: keyId, Status: 'Inactive' }));
    return [
      report.done(keyId, `deactivated ${keyId} of ${key.userName}`, {
        prior: { userName: key.userName, status: found.Status },
        changed: { status: 'Inactive' },
      }),
    ];
  },
});
