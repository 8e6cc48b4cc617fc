import { paginateDescribeActionTargets, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { ACTION_CATALOGUE } from '../actions/registry';
import { ConfigurationError, describeError } from '../errors';
import { responderSettings } from '../config/settings';
import { customActions, type CustomActionSpec } from '../runbooks/custom-actions';
import { loadRunbooks } from '../runbooks/load';
import { parseFlags } from './args';
import type { CliIo } from './io';

const HELP = `usage: npx cordon actions list [--runbooks DIR] [--deployed] [--json]

The Security Hub custom actions cordon offers: one per runbook that declares a
customAction, plus the built-ins "False positive" and "Release". The responder
stack creates them; --deployed also asks Security Hub (AWS_REGION, security
account) which of them exist.`;

/** `cordon actions list`. */
export async function runActions(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    io.stdout.write(`${HELP}\n`);
    return sub ? 0 : 2;
  }
  let specs: CustomActionSpec[];
  let flags: { deployed: boolean; json: boolean };
  try {
    if (sub !== 'list') throw new ConfigurationError(`actions: unknown subcommand "${sub}" (expected list)`);
    const { values } = parseFlags(
      'actions list',
      rest,
      { runbooks: { type: 'string' }, deployed: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
      false,
    );
    specs = customActions(loadRunbooks(responderSettings(io.env, { runbooksDir: values.runbooks }).runbooksDir, ACTION_CATALOGUE));
    flags = { deployed: values.deployed === true, json: values.json === true };
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
