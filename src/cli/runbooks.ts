import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTIONS } from '../actions/registry';
import { ConfigurationError, describeError } from '../errors';
import { responderSettings } from '../config/settings';
import { parseInput } from '../findings/parse';
import { decide } from '../runbooks/decide';
import { loadRunbooks } from '../runbooks/load';
import { matchRunbook } from '../runbooks/match';
import { notApplicable } from '../respond/execute';
import { accountOuExemption, organizationPaths, resourceKinds } from '../respond/exemptions';
import { buildResponder } from '../respond/wiring';
import { resourceExemption } from '../runbooks/exemptions';
import type { ActionTarget } from '../actions/types';
import { NO_SUBJECT, type Finding } from '../findings/finding';
import type { ResponderSettings } from '../config/settings';
import type { CliIo } from './io';
import { RUNBOOKS_COMMANDS, RUNBOOKS_EXPLAIN_COMMAND, RUNBOOKS_LIST_COMMAND, RUNBOOKS_VALIDATE_COMMAND } from './commands';
import { groupHelp, parseCommand } from './options';

/** `cordon runbooks validate|explain|list`. */
export async function runRunbooks(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (!sub || sub === '--help' || sub === '-h') {
      // No subcommand is a usage error: the help goes to standard error.
      (sub ? io.stdout : io.stderr).write(`${groupHelp(RUNBOOKS_COMMANDS)}\n`);
      return sub ? 0 : 2;
    }
    if (sub === 'validate') return validate(rest, io);
    if (sub === 'explain') return await explain(rest, io);
    if (sub === 'list') return list(rest, io);
    throw new ConfigurationError(`runbooks: unknown subcommand "${sub}" (expected validate, explain or list)`);
  } catch (err) {
    io.stderr.write(`cordon runbooks: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return 2;
  }
}

function validate(argv: string[], io: CliIo): number {
  const { help, positionals } = parseCommand(RUNBOOKS_VALIDATE_COMMAND, argv);
  if (help) return printHelp(io);
  const dir = path.resolve(positionals[0] ?? responderSettings(io.env).runbooksDir);
  const runbooks = loadRunbooks(dir, ACTIONS);
  io.stdout.write(`${runbooks.length} runbook(s) in ${dir} are valid:\n`);
  for (const rb of runbooks)
    io.stdout.write(
      `  ${rb.name} (${rb.mode}, reliability ${rb.reliability}): ${rb.findingTypes.length} type pattern(s), ${rb.actions.length} action(s)\n`,
    );
  return 0;
}

function list(argv: string[], io: CliIo): number {
  const { help, settings: given } = parseCommand(RUNBOOKS_LIST_COMMAND, argv);
  if (help) return printHelp(io);
  const settings = responderSettings(io.env, { runbooksDir: given.runbooksDir?.value });
  for (const rb of loadRunbooks(settings.runbooksDir, ACTIONS)) {
    io.stdout.write(
      `${rb.name} [${rb.mode}, reliability ${rb.reliability}${rb.customAction ? `, custom action "${rb.customAction.name}"` : ''}]\n`,
    );
    io.stdout.write(`  types:   ${rb.findingTypes.join(', ')}\n`);
    io.stdout.write(`  actions: ${rb.actions.map((a) => a.action).join(' → ')}\n`);
  }
  return 0;
}

async function explain(argv: string[], io: CliIo): Promise<number> {
  const { help, positionals, settings: given, options } = parseCommand(RUNBOOKS_EXPLAIN_COMMAND, argv);
  if (help) return printHelp(io);
  if (positionals.length !== 1) throw new ConfigurationError('runbooks explain: expected one FINDING.json file (or - for standard input)');
  const source = positionals[0] as string;
  let text: string;
  try {
    text = fs.readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (err) {
    throw new ConfigurationError(`cannot read ${source}: ${(err as Error).message}`);
  }
  const settings = responderSettings(io.env, { runbooksDir: given.runbooksDir?.value });
  const runbooks = loadRunbooks(settings.runbooksDir, ACTIONS);
  // OUs are read only when exemptOus is set (the one AWS call explain may make).
  const responder = settings.exemptOus.size > 0 ? buildResponder(settings) : undefined;
  const paths = responder ? organizationPaths(responder.clients) : undefined;
  try {
    for (const item of parseInput(text)) await explainOne(item, runbooks, settings, paths, options.json, io);
  } finally {
    responder?.close();
  }
  return 0;
}

/** The exemption the configuration gives a finding (resource ARN, then OU), undefined for none, or why it cannot be told. */
async function configuredExemption(
  f: Finding,
  targets: ReadonlySet<ActionTarget>,
  settings: ResponderSettings,
  paths: ReturnType<typeof organizationPaths> | undefined,
): Promise<string | undefined> {
  const byArn = resourceExemption(f, resourceKinds(targets), settings.exemptResourceArns);
  if (byArn || !paths) return byArn;
  try {
    return await accountOuExemption(f.accountId, f.region, settings.exemptOus, paths);
  } catch (err) {
    return `unknown: ${describeError(err)}`;
  }
}

/** One finding's runbook, decision, configured exemption and steps, as text or one JSON line. */
async function explainOne(
  item: ReturnType<typeof parseInput>[number],
  runbooks: ReturnType<typeof loadRunbooks>,
  settings: ResponderSettings,
  paths: ReturnType<typeof organizationPaths> | undefined,
  json: boolean,
  io: CliIo,
): Promise<void> {
  if (item.kind !== 'finding') {
    throw new ConfigurationError(
      `${item.where}: explain needs the GuardDuty finding itself; a Security Hub finding only points to it (run \`aws guardduty get-findings\` in the administrator account)`,
    );
  }
  const f = item.finding;
  const match = matchRunbook(runbooks, f.type, f.resourceType);
  const d = decide(f, runbooks, { threshold: settings.threshold, exemptAccounts: settings.exemptAccounts });
  // An attack sequence is acted on resource by resource: a step applies when it applies to one of them.
  const subjects = f.sequence === undefined ? [f] : f.resources.flatMap((r) => (r.subject ? [{ ...f, ...NO_SUBJECT, ...r.subject }] : []));
  const steps = (d.runbook?.actions ?? []).map((s) => {
    const action = ACTIONS.get(s.action);
    const reasons = action ? subjects.map((one) => notApplicable(action, one)) : ['unknown action'];
    const applicable = reasons.some((r) => r === undefined);
    const manual = s.when?.trigger === 'custom-action' ? "only from the runbook's Security Hub custom action: " : '';
    const role = s.when?.resourceRole ? `only when the resource is the ${s.when.resourceRole}: ` : '';
    const why = applicable ? undefined : (reasons[0] ?? 'the attack sequence names no resource of this kind');
    return { action: s.action, applies: applicable, why: why ?? `${manual}${role}${action?.summary ?? ''}`, target: action?.target };
  });
  for (const r of f.sequence === undefined ? [] : f.resources.filter((one) => !one.subject))
    steps.push({
      action: 'sequence',
      applies: false,
      why: `${r.type} ${r.uid}: ${r.uncontained ?? 'no action applies'}`,
      target: undefined,
    });
  const targets = new Set(steps.flatMap((s) => (s.applies && s.target ? [s.target] : [])));
  const exemption = d.decision === 'act' ? ((await configuredExemption(f, targets, settings, paths)) ?? null) : null;
  const lines = steps.map(({ target: _target, ...s }) => s);
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ findingId: f.id, type: f.type, severity: f.severity, runbook: d.runbook?.name ?? null, pattern: match?.pattern ?? null, decision: d.decision, reason: d.reason, exemption, actions: lines })}\n`,
    );
    return;
  }
  io.stdout.write(`${f.type} (severity ${f.severity}) in ${f.accountId}/${f.region}, finding ${f.id}\n`);
  io.stdout.write(
    `  runbook:  ${d.runbook ? `${d.runbook.name}, matched by "${match?.pattern}" in ${path.basename(d.runbook.file)}` : 'none'}\n`,
  );
  io.stdout.write(`  decision: ${d.decision}: ${d.reason}\n`);
  if (d.decision === 'act')
    io.stdout.write(
      `  exemption: ${exemption ?? 'none by configuration (exemptResourceArns, exemptOus)'}${exemption && !exemption.startsWith('unknown') ? ': cordon would not act' : ''}\n`,
    );
  for (const s of lines) io.stdout.write(`  ${s.applies ? '→' : '×'} ${s.action}: ${s.why}\n`);
  io.stdout.write('  (resource exemption tags are checked live when cordon responds)\n');
}

function printHelp(io: CliIo): number {
  io.stdout.write(`${groupHelp(RUNBOOKS_COMMANDS)}\n`);
  return 0;
}
