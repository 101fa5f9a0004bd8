import { type SystemHarness, startSystem } from '../services/deploys/system-harness';
import { ProcessProvider } from './providers';
import { ScalingEvaluator } from './scaling-evaluator';

/** The test control plane with a scaling evaluator; closing it stops the processes its rules started. */
export async function startScalingSystem(tickMs: number): Promise<SystemHarness> {
  return startSystem({
    onStarted: async ({ prisma, databaseUrl }) => {
      const evaluator = new ScalingEvaluator(prisma, { databaseUrl, tickMs });
      evaluator.start();
      return async () => {
        const providers = (await prisma.scalingRule.findMany()).map((r) => evaluator.providerOf(r.id));
        await evaluator.stop();
        for (const p of providers) if (p instanceof ProcessProvider) await p.stopAll();
      };
    },
  });
}
