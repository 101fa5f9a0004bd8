import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import { ColumnTypeEnum, bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import { connectionParts } from '../connection-url';
import { dbEnv } from '../env';

interface WasmApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: object } }>;
}

let loaded: Promise<void> | undefined;
let lastPanic: string | undefined;

/** The message of the engine's last panic, for error reports. */
export function lastEnginePanic(): string | undefined {
  return lastPanic;
}

/**
 * Node 20 cannot import `.wasm` as an ES module, so the engine's wasm is instantiated here
 * against its own JS glue, once per process.
 */
function loadWasm(): Promise<void> {
  loaded ??= (async () => {
    // The engine reports a Rust panic's message here before it throws.
    const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(m: string): void } };
    g.PRISMA_WASM_PANIC_REGISTRY ??= { set_message: (m: string) => (lastPanic = m) };
    const gluePath = fileURLToPath(import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
    const bytes = readFileSync(gluePath.replace(/schema_engine_bg\.js$/, 'schema_engine_bg.wasm'));
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const { instance } = await wasm.instantiate(bytes, { './schema_engine_bg.js': bg });
    (bg as unknown as { __wbg_set_wasm(w: unknown): void }).__wbg_set_wasm(instance.exports);
    (instance.exports as unknown as { __wbindgen_start(): void }).__wbindgen_start();
  })();
  return loaded;
}

interface PgField {
  dataTypeID: number;
}
interface RawQueryable {
  performIO(q: unknown): Promise<{ fields: PgField[] }>;
  queryRaw(q: unknown): Promise<{ columnTypes: number[] }>;
  startTransaction?(...args: unknown[]): Promise<RawQueryable>;
}

const PG_INTERNAL_CHAR = 18;
const PG_TEXT = 25;

/**
 * The engine's introspection reads catalog columns of PostgreSQL's internal `"char"` type
 * (oid 18), which the pg adapter does not map and the engine expects as Character. Each raw
 * query on this connection (and its transactions) is relabelled; calls are serialized so the
 * columns noted by one query are never confused with another's.
 */
function mapInternalChar<T>(adapter: T): T {
  const q = adapter as unknown as RawQueryable;
  const performIO = q.performIO.bind(q);
  const queryRaw = q.queryRaw.bind(q);
  let charColumns: number[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  q.performIO = async (query) => {
    const result = await performIO(query);
    charColumns = [];
    result.fields.forEach((f, i) => {
      if (f.dataTypeID === PG_INTERNAL_CHAR) {
        f.dataTypeID = PG_TEXT;
        charColumns.push(i);
      }
    });
    return result;
  };
  q.queryRaw = (query) => {
    const run = chain.then(async () => {
      const result = await queryRaw(query);
      for (const i of charColumns) result.columnTypes[i] = ColumnTypeEnum.Character;
      return result;
    });
    chain = run.catch(() => undefined);
    return run;
  };
  if (q.startTransaction) {
    const start = q.startTransaction.bind(q);
    q.startTransaction = async (...args) => mapInternalChar(await start(...args));
  }
  return adapter;
}

export interface EngineHandle {
  engine: SchemaEngine;
  /** Frees the engine and closes its connections (which hold the migration advisory lock). */
  close(): Promise<void>;
}

/**
 * Starts Prisma's schema engine over the pg driver adapter. Connections are configured from
 * separate fields, because a connection string would override the shadow database's name; the
 * shadow database's pool is closed before the database is dropped.
 */
export async function openSchemaEngine(url: string, schema?: { path: string; content: string }): Promise<EngineHandle> {
  await loadWasm();
  const parts = connectionParts(url);
  const main = new PrismaPg({ ...parts });
  const opened: { dispose(): Promise<void> }[] = [];
  const factory = {
    provider: 'postgres' as const,
    adapterName: main.adapterName,
    async connect() {
      const adapter = mapInternalChar(await main.connect());
      opened.push(adapter);
      return adapter;
    },
    async connectToShadowDb() {
      const name = `fulcrum_shadow_${randomUUID().replaceAll('-', '')}`;
      const admin = new pg.Client({ ...parts });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      const adapter = mapInternalChar(await new PrismaPg({ ...parts, database: name }).connect());
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      };
      return adapter;
    },
  };
  const debug = dbEnv.debugMigrations ? (m: string) => console.error(m) : () => {};
  const Engine = (bg as unknown as { SchemaEngine: typeof SchemaEngine }).SchemaEngine;
  const engine = await Engine.new({ datamodels: schema ? [[schema.path, schema.content]] : undefined }, debug, bindMigrationAwareSqlAdapterFactory(factory));
  return {
    engine,
    async close() {
      engine.free();
      // Freeing the engine leaves the pool open, and an idle connection keeps the session-level
      // advisory lock of the last migration: the next engine on this database would wait for it.
      await Promise.all(opened.splice(0).map((a) => a.dispose().catch(() => undefined)));
    },
  };
}
