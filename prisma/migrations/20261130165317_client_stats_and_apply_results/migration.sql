-- CreateTable
CREATE TABLE "PoolStatsRollup" (
    "id" BIGSERIAL NOT NULL,
    "bucket" TIMESTAMP(3) NOT NULL,
    "poolId" TEXT NOT NULL,
    "responses1xx" INTEGER NOT NULL,
    "responses2xx" INTEGER NOT NULL,
    "responses3xx" INTEGER NOT NULL,
    "responses4xx" INTEGER NOT NULL,
    "responses5xx" INTEGER NOT NULL,
    "proxyResponses" JSONB NOT NULL,
    "connAccepted" INTEGER NOT NULL,
    "connRefused" INTEGER NOT NULL,
    "connReset" INTEGER NOT NULL,
    "retries" INTEGER NOT NULL,
    "bytesIn" BIGINT NOT NULL,
    "bytesOut" BIGINT NOT NULL,
    "latencyCounts" INTEGER[],
    "latencySumMs" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "PoolStatsRollup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RevisionApply" (
    "dataplaneId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "error" TEXT,
    "refusedPools" JSONB,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RevisionApply_pkey" PRIMARY KEY ("dataplaneId","version")
);

-- CreateIndex
CREATE INDEX "PoolStatsRollup_poolId_bucket_idx" ON "PoolStatsRollup"("poolId", "bucket");

-- CreateIndex
CREATE UNIQUE INDEX "PoolStatsRollup_bucket_poolId_key" ON "PoolStatsRollup"("bucket", "poolId");

-- CreateIndex
CREATE INDEX "RevisionApply_version_idx" ON "RevisionApply"("version");