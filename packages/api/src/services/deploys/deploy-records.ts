import type { Deploy, DeployStep, Prisma, PrismaClient } from '@fulcrum/db';
import type { TDeployRecord } from '@fulcrum/protocol';
import { recordEvent } from '../events/events';

export function toDeployRecord(d: Deploy & { steps: DeployStep[] }): TDeployRecord {
  return {
    id: d.id,
    poolId: d.poolId,
    versionLabel: d.versionLabel,
    strategy: d.strategy as TDeployRecord['strategy'],
    status: d.status,
    spec: d.spec,
    idempotencyKey: d.idempotencyKey,
    startedBy: d.startedBy,
    error: d.error,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    finishedAt: d.finishedAt?.toISOString() ?? null,
    steps: [...d.steps].sort((a, b) => a.seq - b.seq).map((s) => ({ seq: s.seq, name: s.name, status: s.status, detail: s.detail ?? null, createdAt: s.createdAt.toISOString() })),
  };
}

export interface StepInput {
  deployId: string;
  poolId: string;
  name: string;
  status: 'done' | 'passed' | 'failed' | 'started' | 'requested' | 'warning';
  message: string;
  data?: Record<string, unknown>;
}

/** Every step is a DeployStep row and an Event on the pool's timeline. */
export async function recordStep(prisma: PrismaClient, s: StepInput): Promise<void> {
  const detail = { message: s.message, ...s.data } as Prisma.InputJsonValue;
  await prisma.$transaction(async (tx) => {
    const last = await tx.deployStep.findFirst({ where: { deployId: s.deployId }, orderBy: { seq: 'desc' }, select: { seq: true } });
    await tx.deployStep.create({ data: { deployId: s.deployId, seq: (last?.seq ?? 0) + 1, name: s.name, status: s.status, detail } });
    await recordEvent(tx, {
      kind: 'deploy_step',
      severity: s.status === 'failed' ? 'error' : s.status === 'warning' || s.status === 'requested' ? 'warning' : 'info',
      poolId: s.poolId,
      message: `deploy ${s.deployId}: ${s.name} ${s.status}: ${s.message}`,
      data: { deployId: s.deployId, ...(s.data ?? {}) } as Prisma.InputJsonValue,
    });
  });
}
