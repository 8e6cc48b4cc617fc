import { IAMClient, ListAccessKeysCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { type ActionDefinition } from '../types';
import { outcome } from '../../outcome';

const params = z.strictObject({});

/**
 * Deactivates (never deletes) the IAM user's access key named in the finding.
 * Temporary (ASIA…) and root keys cannot be deactivated this way; the outcome says so.
 */
export const deactivateAccessKey: ActionDefinition<z.infer<typeof params>> = {
  name: 'iam.deactivate-access-key',
  summary: 'Set the leaked access key of the IAM user to Inactive',
  params,
  target: 'access-key',
  disruptive: true,
  permissions: { member: ['iam:ListAccessKeys', 'iam:UpdateAccessKey'], home: [] },
  undo: {
    kind: 'restore',
    permissions: ['iam:ListAccessKeys', 'iam:UpdateAccessKey'],
    async run(ctx, record) {
      const keyId = record.resource;
      const userName = String(record.prior.userName ?? '');
      if (!ctx.reactivateKeys) {
        return [
          outcome(
            'iam.deactivate-access-key',
            keyId,
            'skipped',
            `${keyId} left Inactive: a leaked key should stay off (rotate it); pass --reactivate-keys to turn it back on`,
          ),
        ];
      }
      if (record.prior.status !== 'Active')
        return [outcome('iam.deactivate-access-key', keyId, 'already', `${keyId} was ${String(record.prior.status)} before cordon acted`)];
      const iam = ctx.member(IAMClient);
      const keys = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
      const found = keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId);
      if (!found) return [outcome('iam.deactivate-access-key', keyId, 'skipped', `access key ${keyId} no longer exists on ${userName}`)];
      if (found.Status === 'Active')
        return [outcome('iam.deactivate-access-key', keyId, 'already', `${keyId} of ${userName} is already Active`)];
      if (ctx.dryRun) return [outcome('iam.deactivate-access-key', keyId, 'planned', `would re-activate ${keyId} of ${userName}`)];
      await iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: keyId, Status: 'Active' }));
      return [
        outcome('iam.deactivate-access-key', keyId, 'done', `re-activated ${keyId} of ${userName}`, {
          prior: { status: 'Inactive' },
          changed: { status: 'Active' },
        }),
      ];
    },
  },
  async run(ctx) {
    const key = ctx.finding.accessKey;
    const keyId = key?.accessKeyId;
    if (!keyId || !key.userName) return [outcome(this.name, keyId ?? '', 'skipped', 'finding names no access key and user')];
    if (key.userType !== 'IAMUser') {
      return [
        outcome(
          this.name,
          keyId,
          'skipped',
          `${key.userType ?? 'unknown'} credentials are not an IAM user's long-term key; revoke the role's sessions instead`,
        ),
      ];
    }
    const iam = ctx.member(IAMClient);
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: key.userName }));
    const found = keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId);
    if (!found) return [outcome(this.name, keyId, 'failed', `access key ${keyId} not found on user ${key.userName} (deleted already?)`)];
    if (found.Status === 'Inactive') return [outcome(this.name, keyId, 'already', `${keyId} of ${key.userName} is already Inactive`)];
    if (ctx.dryRun)
      return [
        outcome(this.name, keyId, 'planned', `would deactivate ${keyId} of ${key.userName}`, {
          prior: { userName: key.userName, status: found.Status },
        }),
      ];
    await iam.send(new UpdateAccessKeyCommand({ UserName: key.userName, AccessKeyId: keyId, Status: 'Inactive' }));
    return [
      outcome(this.name, keyId, 'done', `deactivated ${keyId} of ${key.userName}`, {
        prior: { userName: key.userName, status: found.Status },
        changed: { status: 'Inactive' },
      }),
    ];
  },
};
