/**
 * REST-JSON codec driven by a botocore model: wire values (JSON keys are each
 * member's `locationName`, timestamps are epoch seconds or ISO strings) to
 * "member form" (keys are the model's member names, the same names the SDK v3
 * types use, timestamps are `Date`) and back.
 *
 * Decoding never throws on a type mismatch: the raw value is kept so that
 * validation reports it with the AWS message.
 */
import type { IncomingHttpHeaders } from 'node:http';

import type { ServiceModel, Shape, ShapeRef } from './model';

/** A JSON-like object in member form or wire form. */
export type Fields = Record<string, unknown>;

/** True for a plain object (not an array, Date or null). */
export function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function resolve(model: ServiceModel, ref: ShapeRef): Shape | undefined {
  return model.shapes[ref.shape];
}

/** The wire name of a structure member. */
export function wireName(name: string, ref: ShapeRef): string {
  return ref.locationName ?? name;
}

/** Decode a JSON body value into member form. */
export function fromWire(model: ServiceModel, ref: ShapeRef, value: unknown): unknown {
  const shape = resolve(model, ref);
  if (!shape || value === null || value === undefined) return value;
  switch (shape.type) {
    case 'structure': {
      if (!isFields(value)) return value;
      const out: Fields = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        if (member.location !== undefined) continue;
        const wire = wireName(name, member);
        if (wire in value) out[name] = fromWire(model, member, value[wire]);
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) && shape.member ? value.map((v) => fromWire(model, shape.member as ShapeRef, v)) : value;
    case 'map': {
      if (!isFields(value) || !shape.value) return value;
      const valueRef = shape.value;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromWire(model, valueRef, v)]));
    }
    case 'timestamp':
      return decodeTimestamp(value);
    default:
      return value;
  }
}

function decodeTimestamp(value: unknown): unknown {
  if (typeof value === 'number') return new Date(value * 1000);
  if (typeof value === 'string') {
    const d = /^-?\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
    return Number.isNaN(d.getTime()) ? value : d;
  }
  return value;
}

/** Decode a string from a URI label, query string or header into a scalar of the member's type. */
export function fromString(model: ServiceModel, ref: ShapeRef, raw: string): unknown {
  const shape = resolve(model, ref);
  switch (shape?.type) {
    case 'integer':
    case 'long':
      return /^-?\d+$/.test(raw) ? Number(raw) : raw;
    case 'float':
    case 'double':
      return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'timestamp':
      return decodeTimestamp(raw);
    default:
      return raw;
  }
}

/** The parts of an HTTP request the decoder needs. */
export interface RequestParts {
  readonly labels: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (an empty object when the body was empty). */
  readonly body: Fields;
}

/** Build an operation's input in member form from the request's URI, query, headers and body. */
export function decodeInput(model: ServiceModel, inputShapeName: string | undefined, parts: RequestParts): Fields {
  if (!inputShapeName) return {};
  const shape = model.shapes[inputShapeName];
  if (!shape) return {};
  const input: Fields = {};
  for (const [name, member] of Object.entries(shape.members ?? {})) {
    const wire = wireName(name, member);
    switch (member.location) {
      case 'uri': {
        const raw = parts.labels[wire];
        if (raw !== undefined) input[name] = fromString(model, member, raw);
        break;
      }
      case 'querystring': {
        const memberShape = resolve(model, member);
        if (memberShape?.type === 'list' && memberShape.member) {
          const all = parts.query.getAll(wire);
          const itemRef = memberShape.member;
          if (all.length > 0) input[name] = all.map((v) => fromString(model, itemRef, v));
        } else {
          const raw = parts.query.get(wire);
          if (raw !== null) input[name] = fromString(model, member, raw);
        }
        break;
      }
      case 'header': {
        const raw = parts.headers[wire.toLowerCase()];
        if (typeof raw === 'string') input[name] = fromString(model, member, raw);
        break;
      }
      case undefined:
        if (wire in parts.body) input[name] = fromWire(model, member, parts.body[wire]);
        break;
      default:
        break;
    }
  }
  return input;
}

/**
 * Encode a value for the JSON body. Structure members are read by member
 * name, or by wire name (so a value already in wire form passes through);
 * members the model does not know are dropped, as AWS never returns them.
 */
export function toWire(model: ServiceModel, ref: ShapeRef, value: unknown): unknown {
  const shape = resolve(model, ref);
  if (!shape || value === null || value === undefined) return value;
  switch (shape.type) {
    case 'structure': {
      if (!isFields(value)) return value;
      const out: Fields = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        if (member.location !== undefined) continue;
        const wire = wireName(name, member);
        const v = value[name] !== undefined ? value[name] : value[wire];
        if (v !== undefined) out[wire] = toWire(model, member, v);
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) && shape.member ? value.map((v) => toWire(model, shape.member as ShapeRef, v)) : value;
    case 'map': {
      if (!isFields(value) || !shape.value) return value;
      const valueRef = shape.value;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(model, valueRef, v)]));
    }
    case 'timestamp': {
      const d = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : new Date(Number(value) * 1000);
      if (Number.isNaN(d.getTime())) return value;
      return shape.timestampFormat === 'iso8601' ? d.toISOString() : d.getTime() / 1000;
    }
    default:
      return value;
  }
}
