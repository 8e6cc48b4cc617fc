import { BackupClient, ListTagsCommand, TagResourceCommand } from '@aws-sdk/client-backup';
import { defineTagAction } from '../tagging';

/**
 * Tags a recovery point Malware Protection for Backup found malware in
 * (`Execution:EC2/MaliciousFile!RecoveryPoint`, `Execution:S3/MaliciousFile!RecoveryPoint`)
 * with the finding: marked as under investigation, kept as evidence.
 * GuardDuty's guide: "Remediating a potentially compromised EC2 Recovery
 * Point" (https://docs.aws.amazon.com/guardduty/latest/ug/compromised-ec2-recoverypoint.html: tag the
 * recovery point to indicate it is under investigation). Restricting the
 * vault's access policy and suspending restore jobs stay with a person.
 */
export const tagRecoveryPoint = defineTagAction({
  name: 'backup.tag-recovery-point',
  summary: 'Tag the malicious recovery point with the finding id, type and time (kept as evidence)',
  target: 'recovery-point',
  permissions: ['backup:ListTags', 'backup:TagResource'],
  resourceOf: (ctx) =>
    ctx.finding.backup?.kind === 'recovery-point' ? { id: ctx.finding.backup.arn, arn: ctx.finding.backup.arn } : undefined,
  async read(ctx, arn) {
    return (await ctx.member(BackupClient).send(new ListTagsCommand({ ResourceArn: arn }))).Tags ?? {};
  },
  async write(ctx, arn, tags) {
    await ctx.member(BackupClient).send(new TagResourceCommand({ ResourceArn: arn, Tags: { ...tags } }));
  },
});
