import { z } from 'zod';
import { ZBackendConfig } from './backend';
import { ZPoolConfig } from './pool';
import { ZChangeReason } from './revision';

/** The foreign config formats Fulcrum reads and writes. */
export const CONFIG_FORMATS = ['nginx', 'haproxy'] as const;
export const ZConfigFormat = z.enum(CONFIG_FORMATS, { error: 'format must be nginx or haproxy' });
export type TConfigFormat = z.infer<typeof ZConfigFormat>;

/** Larger files are refused before parsing: real nginx.conf / haproxy.cfg files are a few KiB. */
export const CONFIG_TEXT_LIMIT = 256 * 1024;

export const ZConfigImportRequest = z.object({
  format: ZConfigFormat,
  text: z.string().min(1, 'text is empty: send the file contents').max(CONFIG_TEXT_LIMIT, `text is longer than ${CONFIG_TEXT_LIMIT} characters`),
  /** Shown in error messages (`nginx.conf:12`), never opened. */
  fileName: z
    .string()
    .trim()
    .max(200)
    .regex(/^[^\n\r]*$/, 'fileName must be one line')
    .optional(),
  /** false (default): answer the plan only. true: apply it as one revision. */
  apply: z.boolean().default(false),
  /** A pool whose name exists is replaced (its settings and backends) instead of refusing the import. */
  replace: z.boolean().default(false),
  reason: ZChangeReason,
});
export type TConfigImportRequest = z.infer<typeof ZConfigImportRequest>;

/** Where in the source file something came from. */
export const ZConfigNote = z.object({
  line: z.number().int(),
  directive: z.string(),
  message: z.string(),
});
export type TConfigNote = z.infer<typeof ZConfigNote>;

export const ZImportedPool = z.object({
  name: z.string(),
  action: z.enum(['create', 'replace']),
  /** The block it came from, e.g. `upstream backend_servers` at line 3. */
  from: z.object({ line: z.number().int(), block: z.string() }),
  config: ZPoolConfig,
  backends: z.array(ZBackendConfig),
  /** What became what: each source directive that set something, and the setting it became. */
  mappings: z.array(ZConfigNote),
});
export type TImportedPool = z.infer<typeof ZImportedPool>;

export const ZImportPlan = z.object({
  format: ZConfigFormat,
  pools: z.array(ZImportedPool),
  /** Imported, but behaves differently from the source; read before applying. */
  warnings: z.array(ZConfigNote),
  /** Not imported: no Fulcrum equivalent (yet), with the reason. */
  unsupported: z.array(ZConfigNote),
  /** The plan cannot be applied until these are fixed (a name or port already taken, a value out of range). */
  errors: z.array(ZConfigNote),
  /** Set when the plan was applied: the one revision it became. */
  applied: z.object({ revision: z.number().int() }).nullable(),
});
export type TImportPlan = z.infer<typeof ZImportPlan>;

export const ZPoolExport = z.object({ format: ZConfigFormat, fileName: z.string(), text: z.string() });
export type TPoolExport = z.infer<typeof ZPoolExport>;

/**
 * The format of a file, from its name, else its contents: HAProxy files have sections
 * (`backend x`, `frontend x`, `listen x`, `defaults`, `global`) at the start of a line without
 * braces; NGINX files have `upstream x {` / `server {` blocks. Undecided: null (ask the user).
 */
export function guessConfigFormat(fileName: string, text: string): TConfigFormat | null {
  const base = fileName.toLowerCase().split(/[\\/]/).pop() ?? '';
  if (/haproxy|\.cfg$/.test(base)) return 'haproxy';
  if (/nginx|\.conf$/.test(base) && !/haproxy/.test(base)) {
    if (!/^\s*(frontend|backend|listen)\s+[^\s;{]+\s*$/m.test(text)) return 'nginx';
  }
  const nginx = /^\s*(upstream\s+\S+|server|http|stream|events|location\s+[^{]*)\s*\{/m.test(text);
  const haproxy = /^\s*(global|defaults|(frontend|backend|listen)\s+[^\s;{]+)\s*(#.*)?$/m.test(text);
  if (nginx === haproxy) return null;
  return nginx ? 'nginx' : 'haproxy';
}
