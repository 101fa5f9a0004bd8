-- Rollups are kept per data plane: two replicas (or one data plane moving between them) never
-- collide on one (bucket, backend) row, so no replica's rollup is dropped.
ALTER TABLE "StatsRollup" ADD COLUMN "dataplaneId" TEXT NOT NULL DEFAULT '';
DROP INDEX "StatsRollup_bucket_backendId_key";
CREATE UNIQUE INDEX "StatsRollup_bucket_dataplaneId_backendId_key" ON "StatsRollup"("bucket", "dataplaneId", "backendId");

ALTER TABLE "PoolStatsRollup" ADD COLUMN "dataplaneId" TEXT NOT NULL DEFAULT '';
DROP INDEX "PoolStatsRollup_bucket_poolId_key";
CREATE UNIQUE INDEX "PoolStatsRollup_bucket_dataplaneId_poolId_key" ON "PoolStatsRollup"("bucket", "dataplaneId", "poolId");

-- CreateTable
CREATE TABLE "StatsFrame" (
    "id" BIGSERIAL NOT NULL,
    "dataplaneId" TEXT NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "controlPlaneId" TEXT NOT NULL,
    "frame" JSONB NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StatsFrame_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "StatsFrame_dataplaneId_ts_key" ON "StatsFrame"("dataplaneId", "ts");
CREATE INDEX "StatsFrame_ts_idx" ON "StatsFrame"("ts");
