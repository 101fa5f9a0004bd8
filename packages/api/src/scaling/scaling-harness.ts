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
