import * as fs from 'node:fs';
import * as path from 'node:path';
import { incidents, MAX_HISTORY_DAYS, type Incident } from '../audit/history';
import { responderSettings } from '../config/settings';
import { ConfigurationError, describeError } from '../errors';
import { buildResponder } from '../respond/wiring';
import { HISTORY_COMMAND } from './commands';
import { deploymentOf } from './deployment';
import { renderHistoryHtml } from './history-html';
import type { CliIo } from './io';
import { commandHelp, parseCommand } from './options';

/** How far back `history` looks by default. */
const DEFAULT_SINCE = '7d';
const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `cordon history`: the audit trail as one timeline per incident. */
export async function runHistory(argv: string[], io: CliIo): Promise<number> {
  let responder: ReturnType<typeof buildResponder>;
  let query: { since: string; until: string; accountId?: string; findingId?: string };
  let out: { json: boolean; html: string | undefined };
  try {
    const { help, options } = parseCommand(HISTORY_COMMAND, argv);
    if (help) {
      io.stdout.write(`${commandHelp(HISTORY_COMMAND)}\n`);
      return 0;
    }
    const now = new Date();
    query = {
      since: sinceTime(options.since ?? DEFAULT_SINCE, now),
      until: now.toISOString(),
      ...(options.account !== undefined ? { accountId: accountOf(options.account) } : {}),
      ...(options.finding !== undefined ? { findingId: findingOf(options.finding) } : {}),
    };
    out = { json: options.json, html: options.html };
    responder = buildResponder(responderSettings((await deploymentOf(io.env, options.stack)).env));
  } catch (err) {
    io.stderr.write(`cordon history: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return 2;
  }
  try {
    const { audit } = responder.deps;
    const list = incidents(await audit.history(query));
    if (out.json) for (const i of list) io.stdout.write(`${JSON.stringify(i)}\n`);
    else io.stdout.write(formatHistory(list, query.since, audit.description));
    if (out.html !== undefined) {
      const file = path.resolve(out.html);
      const page = renderHistoryHtml(list, { ...query, source: audit.description, generatedAt: new Date().toISOString() });
      fs.writeFileSync(file, page, 'utf8');
      io.stderr.write(`cordon history: wrote ${file} (${list.length} incident(s))\n`);
    }
    return 0;
  } catch (err) {
    io.stderr.write(`cordon history: ${describeError(err)}\n`);
    return 1;
  } finally {
    responder.close();
  }
}

/** `--since`: an age (`30m`, `12h`, `7d`) before `now`, or an ISO time; at most MAX_HISTORY_DAYS back. */
export function sinceTime(text: string, now: Date): string {
  const age = /^(\d{1,6})([mhd])$/.exec(text.trim());
  const at = age ? now.getTime() - Number(age[1]) * (UNIT_MS[age[2] as string] as number) : Date.parse(text);
  if (!Number.isFinite(at) || (!age && !/^\d{4}-\d{2}-\d{2}/.test(text)))
    throw new ConfigurationError(`history: --since "${text}" is neither an age (30m, 12h, 7d) nor an ISO time (2026-11-30T08:00:00Z)`);
  if (now.getTime() - at > MAX_HISTORY_DAYS * UNIT_MS.d!)
    throw new ConfigurationError(`history: --since "${text}" is more than ${MAX_HISTORY_DAYS} days ago`);
  return new Date(at).toISOString();
}

function accountOf(text: string): string {
  if (!/^\d{12}$/.test(text)) throw new ConfigurationError(`history: --account "${text}" is not a 12-digit account id`);
  return text;
}

function findingOf(text: string): string {
  const id = /:detector\/[^/]+\/finding\/([^/]+)$/.exec(text)?.[1] ?? text;
  if (!/^[A-Za-z0-9_-]{1,300}$/.test(id)) throw new ConfigurationError(`history: --finding "${text}" is not a GuardDuty finding id or ARN`);
  return id;
}

function formatHistory(list: readonly Incident[], since: string, source: string): string {
  if (list.length === 0) return `No audit records since ${since} (${source}).\n`;
  const lines = [`${list.length} incident(s) since ${since} (${source}), newest first:`, ''];
  for (const i of list) {
    lines.push(
      `${i.outcome.toUpperCase()} ${i.findingType} in ${i.accountId}/${i.region} (finding ${i.findingId}, runbook ${i.runbook ?? '-'})`,
    );
    for (const e of i.events) {
      lines.push(`  ${e.at}  ${e.status.padEnd(7)} ${e.action} ${e.resource}${e.actor === 'release' ? ' [release]' : ''}: ${e.detail}`);
      if (e.prior !== undefined) lines.push(`  ${' '.repeat(e.at.length)}  replaced ${JSON.stringify(e.prior)}`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}`;
}
