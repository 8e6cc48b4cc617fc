import type { z } from 'zod';
import { outcome, type ActionOutcome } from '../outcome';

/** The channels an outcome leaves open or closes (see RESIDUAL_CHANNELS in src/outcome.ts). */
export type Residuals = Pick<ActionOutcome, 'remains' | 'closes'>;
import type { ActionContext, ActionDefinition, AuditPayload, UndoContext, UndoRecord } from './types';

/** One part of a record: required, unless its schema allows it to be absent. */
type Part<K extends 'prior' | 'changed', T> = undefined extends T ? { readonly [k in K]?: T } : { readonly [k in K]: T };

/**
 * The `prior` and `changed` of a `done` outcome as the action's schemas type
 * them: a part its schema allows to be absent may be left out; any other is
 * required, so a change its undo could not read does not compile.
 */
export type Recorded<Prior extends AuditPayload, Changed extends AuditPayload> = Part<'prior', Prior> & Part<'changed', Changed>;

/**
 * Builds one action's outcomes with its name bound once. What `done` records
 * is typed by the action's schemas; `already` and `planned` may record either
 * part, `skipped` and `failed` record nothing.
 */
export interface OutcomeReporter<Prior extends AuditPayload, Changed extends AuditPayload> {
  /** The action's name, as runbooks name it. */
  readonly action: string;
  /** A change made: the state it replaced and what it made, for `release`; and what it leaves open or closes. */
  readonly done: (resource: string, detail: string, record: Recorded<Prior, Changed> & Residuals) => ActionOutcome;
  /** In place already: nothing changed. */
  readonly already: (resource: string, detail: string, record?: Partial<Recorded<Prior, Changed>> & Residuals) => ActionOutcome;
  /** What a dry run would do. */
  readonly planned: (resource: string, detail: string, record?: Partial<Recorded<Prior, Changed>> & Residuals) => ActionOutcome;
  /** Does not apply to this resource (and what that leaves open, or why there is nothing to close). */
  readonly skipped: (resource: string, detail: string, residuals?: Residuals) => ActionOutcome;
  /** Could not be done; the detail says why and what was left. */
  readonly failed: (resource: string, detail: string) => ActionOutcome;
}

/** What undo outcomes record (a release's own audit records, never undone): any payload. */
export type UndoReporter = OutcomeReporter<AuditPayload, AuditPayload>;

/** An action as its file declares it, for `defineAction`. */
export interface ActionSpec<P, Prior extends AuditPayload, Changed extends AuditPayload> extends Pick<
  ActionDefinition<P, Prior, Changed>,
  'name' | 'summary' | 'params' | 'target' | 'disruptive' | 'runs' | 'permissions' | 'prefetch' | 'prepare'
> {
  /** Schema of the `prior` its outcomes record: the state a `done` replaced, which `release` restores. */
  readonly prior: z.ZodType<Prior>;
  /** Schema of the `changed` its outcomes record: what a `done` created or changed. */
  readonly changed: z.ZodType<Changed>;
  /** Acts on the finding; `report` builds its outcomes. */
  run(ctx: ActionContext, params: P, report: OutcomeReporter<Prior, Changed>): Promise<ActionOutcome[]>;
  /** How `release` undoes one of its `done` outcomes (from the record as its schemas read it), or why it keeps it. */
  readonly undo:
    | {
        readonly kind: 'restore';
        /** IAM actions the restore calls in the member account (granted to the member role). */
        readonly permissions: readonly string[];
        run(ctx: UndoContext, record: UndoRecord<Prior, Changed>, report: UndoReporter): Promise<ActionOutcome[]>;
      }
    | { readonly kind: 'keep'; readonly reason: string };
}

/** The outcome builder of one action. */
function reporter<Prior extends AuditPayload, Changed extends AuditPayload>(action: string): OutcomeReporter<Prior, Changed> {
  return {
    action,
    done: (resource, detail, record) => outcome(action, resource, 'done', detail, record),
    already: (resource, detail, record = {}) => outcome(action, resource, 'already', detail, record),
    planned: (resource, detail, record = {}) => outcome(action, resource, 'planned', detail, record),
    skipped: (resource, detail, residuals = {}) => outcome(action, resource, 'skipped', detail, residuals),
    failed: (resource, detail) => outcome(action, resource, 'failed', detail),
  };
}

/**
 * Makes an action from its declaration: its name bound once into the outcome
 * builders its run and undo are handed, its `prior` and `changed` schemas
 * typing what it records and what its undo reads. Returns the definition the
 * registry, runbook validation, the responder and `release` use.
 */
export function defineAction<P, Prior extends AuditPayload, Changed extends AuditPayload>(
  spec: ActionSpec<P, Prior, Changed>,
): ActionDefinition<P, Prior, Changed> {
  const { run, undo, ...declared } = spec;
  const report = reporter<Prior, Changed>(spec.name);
  const undoReport: UndoReporter = reporter(spec.name);
  return {
    ...declared,
    run: (ctx, params) => run(ctx, params, report),
    undo:
      undo.kind === 'keep'
        ? undo
        : { kind: 'restore', permissions: undo.permissions, run: (ctx, record) => undo.run(ctx, record, undoReport) },
  };
}

/** An audited change as `release` holds it, before its action's schemas read it. */
export interface AuditedChange {
  readonly resource: string;
  readonly prior?: unknown;
  readonly changed?: unknown;
}

/**
 * Reads an audited change with its action's schemas (pure): the typed record
 * its undo takes, or every way the record does not fit them (written by
 * another version of cordon, or edited by hand), each naming the field.
 */
export function readUndoRecord<Prior extends AuditPayload, Changed extends AuditPayload>(
  action: Pick<ActionDefinition<unknown, Prior, Changed>, 'prior' | 'changed'>,
  change: AuditedChange,
): { readonly ok: true; readonly record: UndoRecord<Prior, Changed> } | { readonly ok: false; readonly problems: readonly string[] } {
  const prior = action.prior.safeParse(change.prior);
  const changed = action.changed.safeParse(change.changed);
  if (prior.success && changed.success)
    return { ok: true, record: { resource: change.resource, prior: prior.data, changed: changed.data } };
  return {
    ok: false,
    problems: [...problemsOf('prior', prior.error?.issues ?? []), ...problemsOf('changed', changed.error?.issues ?? [])],
  };
}

/** `prior.groupIds: Invalid input: expected array, received undefined`; a union lists why each of its forms does not fit. */
function problemsOf(part: string, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const at = [part, ...issue.path.map(String)].join('.');
    if (issue.code === 'invalid_union' && issue.errors.length > 0)
      return `${at}: fits none of its forms (${issue.errors.map((form) => problemsOf(at, form).join(', ')).join('; or ')})`;
    return `${at}: ${issue.message}`;
  });
}
