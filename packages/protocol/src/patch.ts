import { z } from 'zod';

type AnySchema = z.ZodType;

/** A schema without its default, so that an absent field stays absent. */
function withoutDefault(schema: AnySchema): AnySchema {
  return schema instanceof z.ZodDefault ? withoutDefault(schema.unwrap() as AnySchema) : schema;
}

/**
 * The partial form of an object schema for PATCH-style updates: every field optional, no
 * defaults filled in (a plain `.partial()` would still apply them and so reset fields the
 * caller never sent), nested objects partial too. The service merges the patch onto the stored
 * value and validates the result with the full schema.
 */
export function zPatch<T extends z.ZodObject>(schema: T) {
  const shape: Record<string, AnySchema> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, AnySchema>)) {
    const inner = withoutDefault(field);
    shape[key] = (inner instanceof z.ZodObject ? zPatch(inner) : inner).optional();
  }
  return z.object(shape) as unknown as z.ZodObject<{ [K in keyof T['shape']]: z.ZodOptional<T['shape'][K]> }>;
}

/** Deep-merges a patch (from zPatch) onto a stored value: nested objects field by field. */
export function mergePatch<T extends Record<string, unknown>>(current: T, patch: Partial<T>): T {
  const out: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const prev = out[key];
    out[key] = isPlainObject(value) && isPlainObject(prev) ? mergePatch(prev, value) : value;
  }
  return out as T;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A patch merged onto the stored value and validated with the full schema. `changed` is false
 * when the result equals the stored value (an empty or no-op patch): callers then write nothing,
 * no revision included.
 */
export function applyPatch<S extends z.ZodType<Record<string, unknown>>>(
  schema: S,
  current: Record<string, unknown>,
  patch: Record<string, unknown>,
): { success: true; data: z.infer<S>; changed: boolean } | { success: false; error: z.ZodError } {
  const before = schema.safeParse(current);
  const after = schema.safeParse(mergePatch(current, patch));
  if (!after.success) return { success: false, error: after.error };
  // Both sides went through the same schema, so equal values serialize alike.
  return { success: true, data: after.data, changed: !before.success || JSON.stringify(before.data) !== JSON.stringify(after.data) };
}
