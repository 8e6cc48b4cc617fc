import { paginateDescribeActionTargets, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { ACTIONS } from '../actions/registry';
import { ConfigurationError, describeError } from '../errors';
import { responderSettings } from '../config/settings';
import { customActions, type CustomActionSpec } from '../runbooks/custom-actions';
import { loadRunbooks } from '../runbooks/load';
import type { CliIo } from './io';
import { ACTIONS_LIST_COMMAND } from './commands';
import { commandHelp, parseCommand } from './options';

/** `cordon actions list`. */
export async function runActions(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    // No subcommand is a usage error: the help goes to standard error.
    (sub ? io.stdout : io.stderr).write(`${commandHelp(ACTIONS_LIST_COMMAND)}\n`);
    return sub ? 0 : 2;
  }
  let specs: CustomActionSpec[];
  let flags: { deployed: boolean; json: boolean };
  try {
    if (sub !== 'list') throw new ConfigurationError(`actions: unknown subcommand "${sub}" (expected list)`);
    const { help, settings, options } = parseCommand(ACTIONS_LIST_COMMAND, rest);
    if (help) {
      io.stdout.write(`${commandHelp(ACTIONS_LIST_COMMAND)}\n`);
      return 0;
    }
    specs = customActions(loadRunbooks(responderSettings(io.env, { runbooksDir: settings.runbooksDir?.value }).runbooksDir, ACTIONS));
    flags = { deployed: options.deployed, json: options.json };
  } catch (err) {
    io.stderr.write(`cordon actions: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return 2;
  }
  let deployed: Set<string> | undefined;
  if (flags.deployed) {
    const hub = new SecurityHubClient({});
    try {
      deployed = new Set();
      for await (const page of paginateDescribeActionTargets({ client: hub }, {})) {
        for (const t of page.ActionTargets ?? []) if (t.ActionTargetArn) deployed.add(t.ActionTargetArn.split('/').pop() as string);
      }
    } catch (err) {
      io.stderr.write(`cordon actions: cannot list Security Hub action targets: ${describeError(err)}\n`);
      return 1;
    } finally {
      hub.destroy();
    }
  }
  const rows = specs.map((s) => ({
    id: s.id,
    name: s.name,
    runs: s.runs.kind === 'runbook' ? `runbook ${s.runs.runbook}` : `built-in ${s.runs.builtin}`,
    description: s.description,
    ...(deployed ? { deployed: deployed.has(s.id) } : {}),
  }));
  if (flags.json) {
    for (const r of rows) io.stdout.write(`${JSON.stringify(r)}\n`);
  } else {
    const idWidth = Math.max(2, ...rows.map((r) => r.id.length)) + 2;
    const nameWidth = Math.max(4, ...rows.map((r) => r.name.length)) + 2;
    io.stdout.write(`${'ID'.padEnd(idWidth)}${'NAME'.padEnd(nameWidth)}${deployed ? 'DEPLOYED  ' : ''}RUNS\n`);
    for (const r of rows)
      io.stdout.write(
        `${r.id.padEnd(idWidth)}${r.name.padEnd(nameWidth)}${deployed ? (r.deployed ? 'yes' : 'MISSING').padEnd(10) : ''}${r.runs}\n`,
      );
  }
  return deployed && rows.some((r) => r.deployed === false) ? 1 : 0;
}
