/**
 * Request validation as strict as AWS's, driven by the botocore model:
 * required members, types, string/list/map lengths, number ranges, enums and
 * patterns, recursively through structures, lists and maps. Limits that AWS
 * documents but the model does not carry (Security Hub's 100 finding
 * identifiers, 512-character notes…) are added by {@link DocumentedLimits}.
 *
 * Messages follow AWS's validation format:
 * `1 validation error detected: Value '…' at 'findingIds' failed to satisfy
 * constraint: Member must have length less than or equal to 50`.
 */
import { isFields, wireName } from './codec';
import type { ServiceModel, Shape, ShapeRef } from './model';

/** One failed constraint, at a wire-name path such as `accountDetails.3.email`. */
export interface Violation {
  readonly path: string;
  readonly message: string;
}

/** Constraints added on top of a shape: length/size bounds and a pattern. */
export interface ExtraConstraint {
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
}

/**
 * Limits AWS documents outside the model. `shapes` tighten a named shape
 * everywhere it is used; `operations` tighten one operation's input at a path
 * of member names, where `[]` stands for every list item, `{}` for every map
 * value and `{key}` for every map key (e.g. `Note.Text`, `UserDefinedFields.{key}`).
 */
export interface DocumentedLimits {
  readonly shapes?: Readonly<Record<string, ExtraConstraint>>;
  readonly operations?: Readonly<Record<string, Readonly<Record<string, ExtraConstraint>>>>;
}

const patternCache = new Map<string, RegExp | null>();

function compilePattern(pattern: string): RegExp | null {
  if (!patternCache.has(pattern)) {
    let re: RegExp | null;
    try {
      // botocore patterns are Java regexes matched against the whole value.
      re = new RegExp(`^(?:${pattern})$`, 'su');
    } catch {
      // A Java-only construct: the constraint cannot be checked in JavaScript.
      re = null;
    }
    patternCache.set(pattern, re);
  }
  return patternCache.get(pattern) ?? null;
}

function show(value: unknown): string {
  let text: string;
  if (value instanceof Date) text = value.toISOString();
  else if (typeof value === 'string') text = value;
  else text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

/** Validate an operation input (member form) against its shape and the documented limits. */
export function validateInput(
  model: ServiceModel,
  operationName: string,
  inputShapeName: string | undefined,
  input: Record<string, unknown>,
  limits: DocumentedLimits = {},
): Violation[] {
  if (!inputShapeName) return [];
  const violations: Violation[] = [];
  validateValue(model, { shape: inputShapeName }, input, '', limits, violations);
  const extras = limits.operations?.[operationName] ?? {};
  for (const [path, constraint] of Object.entries(extras)) {
    applyAtPath(model, inputShapeName, input, path.split('.'), '', constraint, violations);
  }
  return violations;
}

/** Validate any value against a shape (used for seeded findings too). */
export function validateValue(
  model: ServiceModel,
  ref: ShapeRef,
  value: unknown,
  path: string,
  limits: DocumentedLimits,
  out: Violation[],
): void {
  const base = model.shapes[ref.shape];
  if (!base) return;
  const shape: Shape = { ...base, ...(limits.shapes?.[ref.shape] ?? {}) };
  const fail = (constraint: string): void => {
    out.push({ path, message: `Value '${show(value)}' at '${path}' failed to satisfy constraint: ${constraint}` });
  };
  switch (shape.type) {
    case 'structure': {
      if (!isFields(value)) return fail('Member must be a structure');
      for (const req of shape.required ?? []) {
        const member = shape.members?.[req];
        if (member && (value[req] === undefined || value[req] === null)) {
          const at = join(path, wireName(req, member));
          out.push({ path: at, message: `Value null at '${at}' failed to satisfy constraint: Member must not be null` });
        }
      }
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        const v = value[name];
        if (v !== undefined && v !== null) validateValue(model, member, v, join(path, wireName(name, member)), limits, out);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return fail('Member must be a list');
      checkBounds(value.length, shape, 'length', fail);
      const item = shape.member;
      if (item) value.forEach((v, i) => validateValue(model, item, v, join(path, String(i + 1)), limits, out));
      return;
    }
    case 'map': {
      if (!isFields(value)) return fail('Member must be a map');
      const entries = Object.entries(value);
      checkBounds(entries.length, shape, 'length', fail);
      for (const [k, v] of entries) {
        if (shape.key) validateValue(model, shape.key, k, join(path, `${k}.key`), limits, out);
        if (shape.value) validateValue(model, shape.value, v, join(path, `${k}.value`), limits, out);
      }
      return;
    }
    case 'string': {
      if (typeof value !== 'string') return fail('Member must be a string');
      checkBounds([...value].length, shape, 'length', fail);
      if (shape.enum && !shape.enum.includes(value)) fail(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      if (shape.pattern) {
        const re = compilePattern(shape.pattern);
        if (re && !re.test(value)) fail(`Member must satisfy regular expression pattern: ${shape.pattern}`);
      }
      return;
    }
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail('Member must be an integer');
      return checkBounds(value, shape, 'value', fail);
    case 'float':
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail('Member must be a number');
      return checkBounds(value, shape, 'value', fail);
    case 'boolean':
      if (typeof value !== 'boolean') fail('Member must be a boolean');
      return;
    case 'timestamp':
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) fail('Member must be a timestamp');
      return;
    case 'blob':
      if (typeof value !== 'string') fail('Member must be a base64-encoded blob');
      return;
    default:
      return;
  }
}

function checkBounds(n: number, shape: ExtraConstraint, what: 'length' | 'value', fail: (c: string) => void): void {
  if (shape.min !== undefined && n < shape.min) fail(`Member must have ${what} greater than or equal to ${shape.min}`);
  if (shape.max !== undefined && n > shape.max) fail(`Member must have ${what} less than or equal to ${shape.max}`);
}

function join(path: string, part: string): string {
  return path ? `${path}.${part}` : part;
}

function applyAtPath(
  model: ServiceModel,
  shapeName: string,
  value: unknown,
  steps: readonly string[],
  path: string,
  constraint: ExtraConstraint,
  out: Violation[],
): void {
  const shape = model.shapes[shapeName];
  if (!shape || value === undefined || value === null) return;
  const [step, ...rest] = steps;
  if (step === undefined) {
    checkExtra(value, path, constraint, out);
    return;
  }
  if (step === '[]' && Array.isArray(value) && shape.member) {
    const item = shape.member.shape;
    value.forEach((v, i) => applyAtPath(model, item, v, rest, join(path, String(i + 1)), constraint, out));
  } else if ((step === '{}' || step === '{key}') && isFields(value) && shape.value && shape.key) {
    for (const [k, v] of Object.entries(value)) {
      if (step === '{key}') applyAtPath(model, shape.key.shape, k, rest, join(path, `${k}.key`), constraint, out);
      else applyAtPath(model, shape.value.shape, v, rest, join(path, `${k}.value`), constraint, out);
    }
  } else if (isFields(value)) {
    const member = shape.members?.[step];
    if (member) applyAtPath(model, member.shape, value[step], rest, join(path, wireName(step, member)), constraint, out);
  }
}

function checkExtra(value: unknown, path: string, c: ExtraConstraint, out: Violation[]): void {
  const fail = (constraint: string): void => {
    out.push({ path, message: `Value '${show(value)}' at '${path}' failed to satisfy constraint: ${constraint}` });
  };
  const size =
    typeof value === 'string'
      ? [...value].length
      : Array.isArray(value)
        ? value.length
        : isFields(value)
          ? Object.keys(value).length
          : undefined;
  if (size !== undefined) checkBounds(size, c, 'length', fail);
  if (c.pattern && typeof value === 'string') {
    const re = compilePattern(c.pattern);
    if (re && !re.test(value)) fail(`Member must satisfy regular expression pattern: ${c.pattern}`);
  }
}

/** The AWS-style summary of violations: `N validation error(s) detected: a; b`. */
export function describeViolations(violations: readonly Violation[]): string {
  const n = violations.length;
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${violations.map((v) => v.message).join('; ')}`;
}
