import { ConfigurationError, describeError } from '../errors';
import { responderSettings } from '../config/settings';
import { releaseFinding, releaseUpdate, type Release } from '../release/release';
import { requireCallerCredentials } from '../aws/caller-credentials';
import { buildResponder } from '../respond/wiring';
import type { CliIo } from './io';
import { RELEASE_COMMAND } from './commands';
import { deploymentOf } from './deployment';
import { commandHelp, parseCommand } from './options';

/** `cordon release`: undo a finding's containment. */
export async function runRelease(argv: string[], io: CliIo): Promise<number> {
  let responder: ReturnType<typeof buildResponder>;
  let ids: string[];
  let options: { dryRun: boolean; force: boolean; reactivateKeys: boolean };
  let json: boolean;
  try {
    const { help, settings: given, options: values } = parseCommand(RELEASE_COMMAND, argv);
    if (help) {
      io.stdout.write(`${commandHelp(RELEASE_COMMAND)}\n`);
      return 0;
    }
    ids = values.finding.map(findingIdOf);
    if (ids.length === 0) throw new ConfigurationError('release: --finding ID is required (a GuardDuty finding id or ARN)');
    const settings = responderSettings((await deploymentOf(io.env, values.stack)).env, {
      roleName: given.roleName?.value,
      dryRun: given.dryRun !== undefined,
    });
    options = { dryRun: settings.dryRun, force: values.force, reactivateKeys: values.reactivateKeys };
    json = values.json;
    await requireCallerCredentials();
    responder = buildResponder(settings, { actor: 'cli' });
  } catch (err) {
    io.stderr.write(`cordon release: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return 2;
  }
  try {
    const releases: Release[] = [];
    for (const id of ids) releases.push(await releaseFinding(id, { ...responder.deps, actor: 'cli' }, options));
    const notes = new Map<string, string>();
    if (!options.dryRun) {
      const updates = releases.flatMap((r) => (r.actions.length > 0 ? [releaseUpdate(r)] : [])).filter((u) => u !== undefined);
      for (const [arn, result] of await responder.deps.writer.write(updates)) notes.set(arn, `${result.status} (${result.detail})`);
    }
    let code = 0;
    for (const r of releases) {
      const securityHub = options.dryRun
        ? 'skipped (dry run)'
        : r.findingArn && notes.has(r.findingArn)
          ? notes.get(r.findingArn)
          : 'not written (nothing released)';
      // Not found (no audit record) or not fully restored; a finding cordon changed nothing for is released as it is.
      if (r.findingArn === undefined || r.actions.some((a) => a.status === 'failed')) code = 1;
      if (json) {
        io.stdout.write(
          `${JSON.stringify({ findingId: r.findingId, accountId: r.accountId, region: r.region, type: r.findingType, summary: r.summary, actions: r.actions.map(({ action, resource, status, detail }) => ({ action, resource, status, detail })), securityHub })}\n`,
        );
        continue;
      }
      io.stdout.write(
        `${options.dryRun ? 'PLAN' : 'RELEASE'} ${r.findingId}${r.accountId ? ` in ${r.accountId}/${r.region} (${r.findingType})` : ''}\n     ${r.summary}\n`,
      );
      for (const a of r.actions) io.stdout.write(`     ${a.status.padEnd(7)} ${a.action} ${a.resource}: ${a.detail}\n`);
      io.stdout.write(`     security hub: ${securityHub}\n`);
    }
    if (!json) io.stdout.write(`\n${options.dryRun ? 'Dry run: nothing changed.' : `Audit: ${responder.deps.audit.description}.`}\n`);
    return code;
  } catch (err) {
    io.stderr.write(`cordon release: ${describeError(err)}\n`);
    return 1;
  } finally {
    responder.close();
  }
}

/** A finding id from an id or a GuardDuty finding ARN; anything else is bad input. */
function findingIdOf(value: string): string {
  const arn = /^arn:[^:]+:guardduty:[^:]+:\d{12}:detector\/[^/]+\/finding\/([^/]+)$/.exec(value);
  const id = arn ? (arn[1] as string) : value;
  if (!/^[A-Za-z0-9_-]{1,300}$/.test(id))
    throw new ConfigurationError(`release: --finding "${value}" is not a GuardDuty finding id or ARN`);
  return id;
}
