import type { AnyTRPCRouter } from '@trpc/server';
import { type OpenApiProcedureRecord, forEachOpenApiProcedure, getInputOutputParsers, getPathParameters, getPathRegExp, normalizePath } from 'trpc-to-openapi';
import { z } from 'zod';
import { AppError } from '../errors';

/** One REST operation: the procedure behind `METHOD /path/{param}` and how its input arrives. */
export interface RestRoute {
  method: string;
  pattern: RegExp;
  pathParams: string[];
  /** The tRPC procedure path, e.g. `pools.update`. */
  procedure: string;
  /** Whether the procedure takes input at all (z.void() ones take none). */
  takesInput: boolean;
  /** The fields of the input object, to read query and path strings strictly. */
  shape: Record<string, z.ZodType>;
}

/** The operations of the OpenAPI document, from the same `meta.openapi` the generator reads. */
export function restRoutes(router: AnyTRPCRouter): RestRoute[] {
  const routes: RestRoute[] = [];
  forEachOpenApiProcedure(router._def.procedures as OpenApiProcedureRecord, ({ path, type, procedure, meta }) => {
    if (type === 'subscription') return;
    const { inputParser, hasInputsDefined } = getInputOutputParsers(procedure);
    const input = unwrap(inputParser as unknown as z.ZodType);
    const takesInput = hasInputsDefined && input._zod.def.type !== 'void';
    const route = normalizePath(meta.openapi.path);
    routes.push({
      method: meta.openapi.method,
      pattern: getPathRegExp(route),
      pathParams: getPathParameters(route),
      procedure: path,
      takesInput,
      shape: input instanceof z.ZodObject ? (input.shape as Record<string, z.ZodType>) : {},
    });
  });
  return routes;
}

function unwrap(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
  if (def.innerType && ['optional', 'nullable', 'default', 'prefault', 'readonly'].includes(def.type)) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  return schema;
}

/**
 * Query and path parameters arrive as strings. Only a field declared as a number or boolean is
 * converted, and only from its plain spelling (`42`, `-1`, `0.5`, `true`): `0x4650`, `1e3`, ``
 * and `[1]` stay strings and the schema refuses them. Everything else is passed as given, so
 * an undeclared parameter reaches the (strict) schema and is refused by name.
 */
export function fromStringParams(params: Map<string, string[]>, shape: Record<string, z.ZodType>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, values] of params) {
    const field = shape[key] ? unwrap(shape[key]) : undefined;
    const convert = (v: string): unknown => {
      const type = field?._zod.def.type;
      if (type === 'number' && /^-?\d{1,15}(\.\d{1,15})?$/.test(v)) return Number(v);
      if (type === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
      return v;
    };
    out[key] = values.length > 1 ? values.map(convert) : convert(values[0]!);
  }
  return out;
}

export function decodePathParam(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw AppError.field(name, `${name} in the path is not valid percent-encoding`);
  }
}
