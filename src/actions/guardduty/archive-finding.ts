import { z } from 'zod';
import { type ActionDefinition } from '../types';
import { outcome } from '../../outcome';

const params = z.strictObject({});

/**
 * Archives the finding in the GuardDuty administrator's detector (the
 * security account: members cannot archive findings they do not own).
 * Calls are batched across findings, at most 50 ids per ArchiveFindings call.
 */
export const archiveFinding: ActionDefinition<z.infer<typeof params>> = {
  name: 'guardduty.archive',
  summary: "Archive the finding in the GuardDuty administrator's detector",
  params,
  target: 'finding',
  disruptive: false,
  permissions: { member: [], home: ['guardduty:ListDetectors', 'guardduty:ArchiveFindings'] },
  undo: { kind: 'keep', reason: 'the finding stays archived in GuardDuty (unarchive it in the console if needed)' },
  async run(ctx) {
    const { finding } = ctx;
    if (finding.archived) return [outcome(this.name, finding.id, 'already', 'finding is already archived')];
    if (ctx.dryRun) return [outcome(this.name, finding.id, 'planned', 'would archive the finding in the administrator detector')];
    await ctx.archive(finding);
    return [outcome(this.name, finding.id, 'done', 'archived in the administrator detector', { changed: { archived: true } })];
  },
};
