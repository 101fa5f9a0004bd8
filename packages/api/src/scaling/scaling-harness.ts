import { type SystemHarness, startSystem } from '../services/deploys/system-harness';
import { ProcessProvider } from './providers';
import { ScalingEvaluator, setScalingEvaluator } from './scaling-evaluator';

/**
 * The test control plane with a scaling evaluator; closing it stops the processes its rules
 * started. `onTick` hears of every evaluator tick: "it holds" is checked over ticks, which a busy
 * machine slows down together with the evaluator.
 */
export async function startScalingSystem(tickMs: number, onTick: () => void = () => {}): Promise<SystemHarness & { evaluator: ScalingEvaluator }> {
  let evaluator!: ScalingEvaluator;
  const sys = await startSystem({
    onStarted: async ({ prisma, databaseUrl }) => {
      evaluator = new ScalingEvaluator(prisma, { databaseUrl, tickMs, log: process.env.FULCRUM_TEST_LOG ? (l) => console.log(`[scaling] ${l}`) : undefined });
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
  return Object.assign(sys, { evaluator });
}
