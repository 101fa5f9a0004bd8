import type { PrismaClient } from '@fulcrum/db';
import { type SystemHarness, startSystem } from '../services/deploys/system-harness';
import { ProcessProvider } from './providers';
import { ScalingEvaluator, setScalingEvaluator } from './scaling-evaluator';

// The evaluator's latest log lines (its providers' too) kept for a failing test to print.
const LOG_LINES = 300;

/**
 * The test control plane with a scaling evaluator; closing it stops the processes its rules
 * started. `onTick` hears of every evaluator tick: "it holds" is checked over ticks, which a busy
 * machine slows down together with the evaluator. `logTail()` is what the evaluator and its
 * providers logged last, for a test's diagnostics when a condition is not met.
 */
export async function startScalingSystem(tickMs: number, onTick: () => void = () => {}): Promise<SystemHarness & { evaluator: ScalingEvaluator; logTail: () => string[] }> {
  let evaluator!: ScalingEvaluator;
  const lines: string[] = [];
  const log = (l: string) => {
    lines.push(`${new Date().toISOString()} ${l}`);
    if (lines.length > LOG_LINES) lines.shift();
    if (process.env.FULCRUM_TEST_LOG) console.log(`[scaling] ${l}`);
  };
  const sys = await startSystem({
    onStarted: async ({ prisma, databaseUrl }) => {
      evaluator = new ScalingEvaluator(prisma, { databaseUrl, tickMs, log });
      const tick = evaluator.tick.bind(evaluator);
      evaluator.tick = () => (onTick(), tick());
      evaluator.start();
      setScalingEvaluator(evaluator);
      return async () => {
        setScalingEvaluator(undefined);
        const providers = (await prisma.scalingRule.findMany()).map((r) => evaluator.providerOf(r.id));
        await evaluator.stop();
        for (const p of providers) if (p instanceof ProcessProvider) await p.stopAll();
      };
    },
  });
  return Object.assign(sys, { evaluator, logTail: () => [...lines] });
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
