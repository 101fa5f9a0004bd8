import type { PrismaClient } from '@fulcrum/db';
import { apiEnv } from './env';
import { RetentionPruner } from './retention/retention-pruner';
import { AcmeRenewer } from './services/acme/acme-renewer';
import { CertificateExpiryWatcher } from './services/certificates/certificate-expiry';
import { ScalingEvaluator, setScalingEvaluator } from './scaling/scaling-evaluator';
import { DeployRunner, setDeployRunner } from './services/deploys/deploy-runner';

export interface ControlLoopsOptions {
  prisma: PrismaClient;
  /** For the scaling evaluator's and the retention pruner's advisory-lock connections. */
  databaseUrl: string;
  log?: (line: string) => void;
}

/**
 * The control plane's background work: the deploy runner, the scaling evaluator, retention and
 * certificate expiry notices and ACME renewals. Every replica runs all five (expiry notices are claimed per row); deploys are claimed atomically, rules are held by advisory locks
 * and one replica at a time prunes and renews, so each is carried out once. Returns the stop function.
 */
export function startControlLoops({ prisma, databaseUrl, log }: ControlLoopsOptions): () => Promise<void> {
  const runner = new DeployRunner(prisma, { log });
  const evaluator = new ScalingEvaluator(prisma, { databaseUrl, log });
  const { intervalMinutes, ...kept } = apiEnv.retention;
  const pruner = new RetentionPruner(prisma, { databaseUrl, settings: { ...kept, sessionIdleMs: apiEnv.sessionIdleMs }, intervalMs: intervalMinutes * 60_000, log });
  const expiry = new CertificateExpiryWatcher(prisma, { log });
  const acme = new AcmeRenewer(prisma, { databaseUrl, log });
  runner.start();
  evaluator.start();
  pruner.start();
  expiry.start();
  acme.start();
  setDeployRunner(runner);
  setScalingEvaluator(evaluator);
  return async () => {
    setDeployRunner(undefined);
    setScalingEvaluator(undefined);
    await Promise.all([runner.stop(), evaluator.stop(), pruner.stop(), expiry.stop(), acme.stop()]);
  };
}
