import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PrismaClient } from '@fulcrum/db';
import { stopTestServer } from '@fulcrum/db/testing';
import { afterAll, beforeAll } from 'vitest';
import { BACKEND_SCRIPT, type SystemHarness, eventually, startSystem } from '../services/deploys/system-harness';
import { ProcessProvider } from './providers';
import { ScalingEvaluator, setScalingEvaluator } from './scaling-evaluator';

/**
 * BACKEND_SCRIPT that also starts a worker in its process group which ignores SIGTERM: the
 * program exits when asked, the worker runs on until it is killed.
 */
export const STUBBORN_WORKER_SCRIPT = `${BACKEND_SCRIPT}
require('child_process').spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
`;

export type ScalingSystem = SystemHarness & {
  /** The evaluator running now (a new one after restartEvaluator). */
  readonly evaluator: ScalingEvaluator;
  logTail: () => string[];
  /**
   * Stops the evaluator as the control plane's exit would (the instances it started run on),
   * runs `whileDown`, and starts a new evaluator on the same database and data folder: it knows
   * only what they hold.
   */
  restartEvaluator(whileDown: () => Promise<void>): Promise<void>;
};

// The evaluator's latest log lines (its providers' too) kept for a failing test to print.
const LOG_LINES = 300;

/**
 * The test control plane with a scaling evaluator; closing it stops the processes its rules
 * started. `onTick` hears of every evaluator tick: "it holds" is checked over ticks, which a busy
 * machine slows down together with the evaluator. `logTail()` is what the evaluator and its
 * providers logged last, for a test's diagnostics when a condition is not met.
 */
export async function startScalingSystem(tickMs: number, onTick: () => void = () => {}): Promise<ScalingSystem> {
  let evaluator!: ScalingEvaluator;
  // Every evaluator started: closing stops what any of them started.
  const evaluators: ScalingEvaluator[] = [];
  const lines: string[] = [];
  const log = (l: string) => {
    lines.push(`${new Date().toISOString()} ${l}`);
    if (lines.length > LOG_LINES) lines.shift();
    if (process.env.FULCRUM_TEST_LOG) console.log(`[scaling] ${l}`);
  };
  let start!: () => void;
  const sys = await startSystem({
    onStarted: async ({ prisma, databaseUrl }) => {
      start = () => {
        evaluator = new ScalingEvaluator(prisma, { databaseUrl, tickMs, log });
        const tick = evaluator.tick.bind(evaluator);
        evaluator.tick = () => (onTick(), tick());
        evaluator.start();
        setScalingEvaluator(evaluator);
        evaluators.push(evaluator);
      };
      start();
      return async () => {
        setScalingEvaluator(undefined);
        const providers = evaluators.flatMap((e) => e.providers());
        await evaluator.stop();
        for (const p of providers) if (p instanceof ProcessProvider) await p.stopAll();
      };
    },
  });
  const scaling = Object.assign(sys, {
    logTail: () => [...lines],
    async restartEvaluator(whileDown: () => Promise<void>) {
      setScalingEvaluator(undefined);
      await evaluator.stop();
      await whileDown();
      start();
    },
  });
  // A getter (Object.assign would copy the first evaluator's value).
  return Object.defineProperty(scaling, 'evaluator', { get: () => evaluator, enumerable: true }) as ScalingSystem;
}

/** A test file's scaling system and scratch folder; `sys` is there from the file's first test on. */
export interface ScalingSuite {
  readonly sys: ScalingSystem;
  /** A folder of the file's own (scripts the tests run), removed after its last test. */
  readonly dir: string;
}

/**
 * Registers the file's setup and teardown: before its first test the scaling system (an
 * evaluator ticking every `tickMs`, see startScalingSystem) and a data plane linked to it; after
 * its last, every process either started stopped, the database server stopped and the folder
 * removed. Call it once, at the top of a test file.
 */
export function scalingSuite(name: string, tickMs: number, onTick?: () => void): ScalingSuite {
  const dir = mkdtempSync(path.join(os.tmpdir(), `fulcrum-${name}-`));
  let sys: ScalingSystem | undefined;
  beforeAll(async () => {
    sys = await startScalingSystem(tickMs, onTick);
    await sys.startDataplane();
  });
  afterAll(async () => {
    await sys?.close();
    await stopTestServer();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    get sys() {
      if (!sys) throw new Error('the scaling system starts before the first test: read `sys` inside a test or a hook');
      return sys;
    },
  };
}

/**
 * A pool of its own with a rule named `bounds` over a process profile that runs
 * `source` as [node, script, port, name, 'ok'], with thresholds no traffic here reaches: only the
 * rule's bounds scale it. Answers the pool, the rule's id and version, the rule as sent and the script.
 */
export async function poolWithRule(suite: ScalingSuite, name: string, bounds: { minInstances: number; maxInstances: number }, source = BACKEND_SCRIPT) {
  const { sys } = suite;
  const script = path.join(suite.dir, `${name}.cjs`);
  writeFileSync(script, source);
  await sys.createProcessProfile(`${name}-node`, [process.execPath, script, '{port}', name, 'ok']);
  const pool = await sys.createPool({ name, healthCheck: { path: '/health', intervalMs: 300, timeoutMs: 2000, rise: 1, fall: 2 }, drainTimeoutMs: 2000 });
  const rule = { name: 'bounds', metric: 'rps_per_backend', scaleUpThreshold: 1e6, scaleDownThreshold: 0, cooldownMs: 0, ...bounds, provider: { profile: `${name}-node` } };
  const created = await sys.call('POST', `/pools/${name}/scaling-rules`, { rule });
  if (created.status !== 200) throw new Error(`scaling rule of ${name}: HTTP ${created.status} ${JSON.stringify(created.json)}`);
  const { id: ruleId, version } = created.json as { id: string; version: number };
  return { pool, ruleId, version, rule, script };
}

/**
 * A real PostgreSQL trigger that refuses the pool's `nth` new backend from now on, once, with
 * 'refused by a test trigger' (the caller gets the database's own error). `name` names the
 * trigger and what it uses; the function returned drops them again.
 */
export async function refuseNthBackend(prisma: Pick<PrismaClient, '$executeRawUnsafe'>, poolId: string, nth: number, name: string): Promise<() => Promise<void>> {
  const drop = async () => {
    await prisma.$executeRawUnsafe(`DROP TRIGGER IF EXISTS ${name} ON "Backend"`);
    await prisma.$executeRawUnsafe(`DROP FUNCTION IF EXISTS ${name}`);
    await prisma.$executeRawUnsafe(`DROP SEQUENCE IF EXISTS ${name}_inserts`);
  };
  await prisma.$executeRawUnsafe(`CREATE SEQUENCE ${name}_inserts`);
  await prisma.$executeRawUnsafe(
    `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF nextval('${name}_inserts') = ${nth} THEN RAISE EXCEPTION 'refused by a test trigger'; END IF; RETURN NEW; END $$`,
  );
  await prisma.$executeRawUnsafe(`CREATE TRIGGER ${name} BEFORE INSERT ON "Backend" FOR EACH ROW WHEN (NEW."poolId" = '${poolId}') EXECUTE FUNCTION ${name}()`);
  return drop;
}

/** The ports of every process running `script` (its argv is [node, script, port, ...]), read from /proc: what runs, whoever knows of it. */
export function runningPorts(script: string): number[] {
  const ports: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    if (argv[1] === script) ports.push(Number(argv[2]));
  }
  return ports.sort((a, b) => a - b);
}

/** An event as GET /events answers it: what the tests read of it. */
export interface EventRow {
  severity: string;
  message: string;
  data: Record<string, unknown>;
}

/**
 * Reads until `found` holds for what `read` answers, or `passes` evaluator passes (`ticks()` counts
 * them) went by without it; answers the last read, for the test to say what it saw.
 */
export async function readForPasses<T>(ticks: () => number, passes: number, read: () => Promise<T>, found: (value: T) => boolean, what: string): Promise<T> {
  const from = ticks();
  const { value } = await eventually(
    async () => {
      const value = await read();
      return found(value) || ticks() - from >= passes ? { value } : undefined;
    },
    300_000,
    what,
  );
  return value;
}

/** Kills a process group a failing test may leave running (an instance the provider no longer stops). */
export function killGroup(leader: number | undefined): void {
  try {
    if (leader) process.kill(-leader, 'SIGKILL');
  } catch {
    // gone
  }
}
