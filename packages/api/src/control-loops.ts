import type { PrismaClient } from '@fulcrum/db';
import { ScalingEvaluator, setScalingEvaluator } from './scaling/scaling-evaluator';
import { DeployRunner, setDeployRunner } from './services/deploys/deploy-runner';

export interface ControlLoopsOptions {
  prisma: PrismaClient;
  /** For the scaling evaluator's advisory-lock connection. */
  databaseUrl: string;
  log?: (line: string) => void;
}

/**
 * The control plane's background work: the deploy runner and the scaling evaluator. Every
 * replica runs both; deploys are claimed atomically and rules are held by advisory locks, so
 * each is carried out once. Returns the stop function for shutdown.
 */
export function startControlLoops({ prisma, databaseUrl, log }: ControlLoopsOptions): () => Promise<void> {
  const runner = new DeployRunner(prisma, { log });
  const evaluator = new ScalingEvaluator(prisma, { databaseUrl, log });
  runner.start();
  evaluator.start();
  setDeployRunner(runner);
  setScalingEvaluator(evaluator);
  return async () => {
    setDeployRunner(undefined);
    setScalingEvaluator(undefined);
    await Promise.all([runner.stop(), evaluator.stop()]);
  };
}
