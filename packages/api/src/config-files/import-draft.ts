import type { TBackendConfigInput, TConfigNote, TPoolConfigInput } from '@fulcrum/protocol';

/** Pool settings an importer may set; the rest keep Fulcrum's defaults. */
export type PoolSettings = Partial<Omit<TPoolConfigInput, 'name' | 'listenHost' | 'listenPort'>>;

export interface PoolDraft {
  /** The name in the source file (`upstream backend_servers`), before it is made a Fulcrum name. */
  sourceName: string;
  from: { line: number; block: string };
  settings: PoolSettings;
  /** The line that last set each top-level setting, so an out-of-range value is reported there. */
  settingLines: Partial<Record<keyof TPoolConfigInput, number>>;
  listen: { host: string; port: number; line: number } | null;
  backends: { line: number; config: TBackendConfigInput }[];
  mappings: TConfigNote[];
}

/**
 * What an importer read from a file, before it meets the database: pools with the line each
 * thing came from, and the notes (warnings, unsupported items, errors) in file order.
 */
export class ImportDraft {
  readonly pools: PoolDraft[] = [];
  readonly warnings: TConfigNote[] = [];
  readonly unsupported: TConfigNote[] = [];
  readonly errors: TConfigNote[] = [];

  addPool(sourceName: string, line: number, block: string): PoolDraft {
    const pool: PoolDraft = { sourceName, from: { line, block }, settings: {}, settingLines: {}, listen: null, backends: [], mappings: [] };
    this.pools.push(pool);
    return pool;
  }

  warn(line: number, directive: string, message: string): void {
    this.warnings.push({ line, directive, message });
  }

  unsupport(line: number, directive: string, message: string): void {
    this.unsupported.push({ line, directive, message });
  }

  error(line: number, directive: string, message: string): void {
    this.errors.push({ line, directive, message });
  }
}

/** Sets one pool setting (merging nested objects) and records what became what. */
export function setPool<K extends keyof PoolSettings>(pool: PoolDraft, key: K, value: PoolSettings[K], note: { line: number; directive: string; becomes: string }): void {
  const current = pool.settings[key];
  pool.settings[key] = current && typeof current === 'object' && value && typeof value === 'object' ? ({ ...current, ...value } as PoolSettings[K]) : value;
  pool.settingLines[key] = note.line;
  pool.mappings.push({ line: note.line, directive: note.directive, message: note.becomes });
}
