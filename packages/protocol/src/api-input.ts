import { z } from 'zod';

type AnySchema = z.ZodType;

/** PostgreSQL's `integer`: every whole number the API stores or compares with a column fits it. */
export const INT32_MAX = 2_147_483_647;
export const INT32_MIN = -2_147_483_648;

const noNul = (s: string) => !s.includes('\0');

/**
 * The form of a schema that the API accepts at its boundary (tRPC and REST inputs):
 * - objects refuse fields they do not declare (zod's default silently drops them, so a typo
 *   like `listenport` was accepted and ignored);
 * - strings refuse NUL bytes, which PostgreSQL cannot store (it answered 500 with its own text);
 * - whole numbers are bounded to PostgreSQL's `integer` unless the schema bounds them tighter.
 * Applied once here rather than at every field; the shared schemas stay tolerant where the data
 * plane needs it (a snapshot from a newer control plane may carry fields an older one ignores).
 */
export function zApiInput<T extends z.ZodType>(schema: T): T {
  return strictened(schema) as T;
}

const memo = new WeakMap<AnySchema, AnySchema>();

function strictened(schema: AnySchema): AnySchema {
  const done = memo.get(schema);
  if (done) return done;
  const out = build(schema);
  memo.set(schema, out);
  return out;
}

function build(schema: AnySchema): AnySchema {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const clone = (changes: Record<string, unknown>) => schema.clone({ ...def, ...changes } as typeof schema._zod.def);
  switch (def.type) {
    case 'object': {
      const shape: Record<string, AnySchema> = {};
      for (const [key, field] of Object.entries(def.shape as Record<string, AnySchema>)) shape[key] = strictened(field);
      const catchall = def.catchall as AnySchema | undefined;
      return clone({ shape, catchall: catchall && catchall._zod.def.type !== 'unknown' ? strictened(catchall) : z.never() });
    }
    case 'string':
      return (schema as z.ZodString).refine(noNul, 'must not contain a NUL byte');
    case 'number': {
      const n = schema as z.ZodNumber;
      if (!n.isInt) return schema;
      let bounded = n;
      if (n.maxValue === null || n.maxValue > INT32_MAX) bounded = bounded.max(INT32_MAX, `must be at most ${INT32_MAX}`);
      if (n.minValue === null || n.minValue < INT32_MIN) bounded = bounded.min(INT32_MIN, `must be at least ${INT32_MIN}`);
      return bounded;
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return clone({ innerType: strictened(def.innerType as AnySchema) });
    case 'array':
      return clone({ element: strictened(def.element as AnySchema) });
    case 'union':
      return clone({ options: (def.options as AnySchema[]).map(strictened) });
    case 'intersection':
      return clone({ left: strictened(def.left as AnySchema), right: strictened(def.right as AnySchema) });
    case 'record':
      return clone({ keyType: strictened(def.keyType as AnySchema), valueType: strictened(def.valueType as AnySchema) });
    case 'tuple':
      return clone({ items: (def.items as AnySchema[]).map(strictened), rest: def.rest ? strictened(def.rest as AnySchema) : null });
    case 'pipe':
      // Only the input side meets the client; a transform's output is ours.
      return clone({ in: strictened(def.in as AnySchema) });
    case 'lazy': {
      const getter = def.getter as () => AnySchema;
      return z.lazy(() => strictened(getter()));
    }
    default:
      // Enums, literals, booleans, void, unknown, ...: nothing to tighten.
      return schema;
  }
}
