import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigurationError } from '../errors';
import { BUILTIN_ACTIONS } from './custom-actions';
import { DEFAULT_RELIABILITY, type Runbook } from './runbook';

/** What the validator needs to know of each action: its parameters. */
export type ActionCatalogue = ReadonlyMap<string, { readonly params: z.ZodType }>;

/** The runbooks failed validation; `problems` lists every one, each naming file, runbook and field. */
export class RunbookValidationError extends ConfigurationError {
  public constructor(public readonly problems: readonly string[]) {
    super(`invalid runbooks:\n  - ${problems.join('\n  - ')}`);
    this.name = 'RunbookValidationError';
  }
}

const TYPE_PATTERN = /^[A-Za-z0-9*]+:[A-Za-z0-9*]+\/[A-Za-z0-9*.!&_:-]+$|^\*$|^[A-Za-z0-9]+:\*$/;

/**
 * The runbook file format (YAML or JSON, one runbook per file). See runbooks/README.md.
 *
 * @example
 * name: ec2-instance-compromise
 * description: The instance itself is doing harm.
 * mode: auto
 * reliability: 6
 * findingTypes: ["CryptoCurrency:EC2/*", "Backdoor:EC2/*"]
 * actions:
 *   - action: ec2.snapshot
 *   - action: ec2.isolate
 */
export const runbookFileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lowercase letters, digits and dashes (1-63)'),
  description: z.string().min(1, 'must not be empty'),
  mode: z.enum(['auto', 'manual']).default('auto'),
  reliability: z.number().int('expected a whole number').min(0).max(10).default(DEFAULT_RELIABILITY),
  findingTypes: z
    .array(z.string().regex(TYPE_PATTERN, 'expected a GuardDuty type such as "Backdoor:EC2/C&CActivity.B" or a pattern such as "CryptoCurrency:EC2/*"'))
    .min(1, 'must name at least one finding type'),
  resourceTypes: z
    .array(z.string().regex(/^[A-Za-z0-9]{1,64}$/, 'expected a GuardDuty resource type such as "Instance", "ECSCluster" or "EKSCluster"'))
    .min(1, 'must name at least one resource type (or leave resourceTypes out: any)')
    .optional(),
  customAction: z
    .strictObject({
      id: z.string().regex(/^[A-Za-z0-9]{1,20}$/, 'Security Hub allows 1-20 letters and digits'),
      name: z.string().min(1).max(20, 'Security Hub allows at most 20 characters'),
      description: z.string().min(1).max(256),
    })
    .optional(),
  actions: z
    .array(
      z.strictObject({
        action: z.string().min(1),
        with: z.record(z.string(), z.unknown()).default({}),
        when: z
          .strictObject({ resourceRole: z.enum(['TARGET', 'ACTOR']).optional(), trigger: z.literal('custom-action').optional() })
          .refine((w) => w.resourceRole !== undefined || w.trigger !== undefined, 'expected resourceRole, trigger or both')
          .optional(),
      }),
    )
    .min(1, 'must list at least one action'),
});

/** Loads and validates every `*.yaml`, `*.yml` and `*.json` runbook in a folder (README files are skipped). */
export function loadRunbooks(dir: string, catalogue: ActionCatalogue): Runbook[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => /\.(ya?ml|json)$/i.test(n)).sort();
  } catch (err) {
    throw new ConfigurationError(`cannot read runbooks folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const files = names.map((name) => {
    const file = path.join(dir, name);
    return { file, text: fs.readFileSync(file, 'utf8') };
  });
  if (files.length === 0) throw new ConfigurationError(`runbooks folder ${dir} holds no .yaml, .yml or .json runbook`);
  return validateRunbooks(files, catalogue);
}

/** Validates runbook texts (pure): every problem is collected, then thrown together. */
export function validateRunbooks(files: ReadonlyArray<{ file: string; text: string }>, catalogue: ActionCatalogue): Runbook[] {
  const problems: string[] = [];
  const runbooks: Runbook[] = [];
  for (const { file, text } of files) {
    const label = path.basename(file);
    let raw: unknown;
    try {
      raw = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
    } catch (err) {
      problems.push(`${label}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    const named = raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string' ? `runbook "${(raw as { name: string }).name}"` : 'runbook';
    const parsed = runbookFileSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${label}: ${named}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
      continue;
    }
    const rb = parsed.data;
    const where = `${label}: runbook "${rb.name}"`;
    rb.actions.forEach((step, i) => {
      const spec = catalogue.get(step.action);
      if (!spec) {
        problems.push(`${where}: actions[${i}].action: unknown action "${step.action}" (known: ${[...catalogue.keys()].sort().join(', ')})`);
        return;
      }
      const params = spec.params.safeParse(step.with);
      if (!params.success) {
        for (const issue of params.error.issues) problems.push(`${where}: actions[${i}].with${issue.path.length ? '.' + issue.path.join('.') : ''}: ${issue.message}`);
      }
    });
    const order = rb.actions.map((a) => a.action);
    const snapshotAt = order.indexOf('ec2.snapshot');
    const firstEc2Change = order.findIndex((a) => a.startsWith('ec2.') && a !== 'ec2.snapshot');
    if (snapshotAt > firstEc2Change && firstEc2Change >= 0) {
      problems.push(`${where}: actions: ec2.snapshot must come before ${order[firstEc2Change]} (evidence is taken before any change to the instance)`);
    }
    // An isolated instance fails its Auto Scaling / load balancer health checks and would be terminated with the evidence.
    const isolateAt = order.indexOf('ec2.isolate');
    const detachAt = order.indexOf('ec2.detach');
    if (isolateAt >= 0 && (detachAt < 0 || detachAt > isolateAt)) {
      problems.push(`${where}: actions: ec2.detach must come before ec2.isolate (an isolated instance fails its health checks and Auto Scaling would terminate it, evidence and all)`);
    }
    // Stop protection makes EC2 refuse StopInstances (EC2 User Guide, DisableApiStop): stop first, then protect.
    const stopAt = order.indexOf('ec2.stop');
    const protectAt = rb.actions.findIndex((a) => a.action === 'ec2.protect' && a.with.stopProtection !== false);
    if (stopAt >= 0 && protectAt >= 0 && protectAt < stopAt) {
      problems.push(`${where}: actions: ec2.stop must come before ec2.protect (its stop protection makes EC2 refuse to stop the instance); or give ec2.protect stopProtection: false`);
    }
    // A stopped instance fails its health checks too: Auto Scaling would replace and terminate it.
    if (stopAt >= 0 && (detachAt < 0 || detachAt > stopAt)) {
      problems.push(`${where}: actions: ec2.detach must come before ec2.stop (a stopped instance fails its health checks and Auto Scaling would terminate it, evidence and all)`);
    }
    runbooks.push({
      name: rb.name,
      description: rb.description,
      file,
      mode: rb.mode,
      reliability: rb.reliability,
      findingTypes: rb.findingTypes,
      resourceTypes: rb.resourceTypes,
      customAction: rb.customAction,
      actions: rb.actions.map((a) => ({ action: a.action, with: a.with, when: a.when })),
    });
  }
  problems.push(...crossChecks(runbooks));
  if (problems.length > 0) throw new RunbookValidationError(problems);
  return runbooks;
}

/** True when two runbooks' resource types share one (undefined: any). */
function overlap(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return !a || !b || a.some((t) => b.includes(t));
}

function crossChecks(runbooks: readonly Runbook[]): string[] {
  const problems: string[] = [];
  const byName = new Map<string, Runbook>();
  const byPattern = new Map<string, Runbook[]>();
  const byActionId = new Map<string, Runbook>();
  for (const rb of runbooks) {
    const label = `${path.basename(rb.file)}: runbook "${rb.name}"`;
    const other = byName.get(rb.name);
    if (other) problems.push(`${label}: name: also used by ${path.basename(other.file)}`);
    byName.set(rb.name, rb);
    for (const pattern of rb.findingTypes) {
      const owners = byPattern.get(pattern) ?? [];
      // Two runbooks may share a pattern only for disjoint resource types (an instance's runtime finding, an ECS task's…).
      const owner = owners.find((o) => o !== rb && overlap(o.resourceTypes, rb.resourceTypes));
      if (owner) problems.push(`${label}: findingTypes: "${pattern}" is also claimed by runbook "${owner.name}" (${path.basename(owner.file)})${owner.resourceTypes || rb.resourceTypes ? ' for the same resource type' : ''}; a type must have one runbook`);
      byPattern.set(pattern, [...owners, rb]);
    }
    if (rb.customAction) {
      const owner = byActionId.get(rb.customAction.id);
      if (owner) problems.push(`${label}: customAction.id: "${rb.customAction.id}" is also used by runbook "${owner.name}"`);
      const builtin = Object.values(BUILTIN_ACTIONS).find((b) => b.id === rb.customAction?.id || b.name === rb.customAction?.name);
      if (builtin) problems.push(`${label}: customAction: "${builtin.id}" / "${builtin.name}" is cordon's built-in action; choose another id and name`);
      byActionId.set(rb.customAction.id, rb);
    }
    if (rb.mode === 'manual' && !rb.customAction) {
      problems.push(`${label}: customAction: a manual runbook runs only through a Security Hub custom action, so it must declare one`);
    }
  }
  return problems;
}
