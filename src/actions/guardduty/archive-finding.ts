import { z } from 'zod';
import { defineAction } from '../define';

const params = z.strictObject({});

/**
 * Archives the finding in the GuardDuty administrator's detector (the
 * security account: members cannot archive findings they do not own).
 * Calls are batched across findings, at most 50 ids per ArchiveFindings call.
 */
export const archiveFinding = defineAction({
  name: 'guardduty.archive',
  summary: "Archive the finding in the GuardDuty administrator's detector",
  params,
  target: 'finding',
  disruptive: false,
  permissions: { member: [], home: ['guardduty:ListDetectors', 'guardduty:ArchiveFindings'] },
  /** Nothing: an archived finding replaces no state cordon restores. */
  prior: z.undefined(),
  /** `{ archived: true }` */
  changed: z.object({ archived: z.literal(true) }),
  undo: { kind: 'keep', reason: 'the finding stays archived in GuardDuty (unarchive it in the console if needed)' },
  async run(ctx, _params, report) {
    const { finding } = ctx;
    if (finding.archived) return [report.already(finding.id, 'finding is already archived')];
    if (ctx.dryRun) return [report.planned(finding.id, 'would archive the finding in the administrator detector')];
    await ctx.archive(finding);
    return [report.done(finding.id, 'archived in the administrator detector', { changed: { archived: true } })];
  },
});
