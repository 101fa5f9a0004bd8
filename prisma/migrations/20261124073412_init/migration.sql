-- CreateEnum
CREATE TYPE "PoolProtocol" AS ENUM ('http', 'tcp');

-- CreateEnum
CREATE TYPE "AdminState" AS ENUM ('active', 'draining', 'disabled');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('admin', 'operator', 'viewer', 'dataplane');

-- CreateEnum
CREATE TYPE "DeployStatus" AS ENUM ('pending', 'running', 'succeeded', 'failed', 'aborted', 'rolled_back');

-- CreateEnum
CREATE TYPE "EventSeverity" AS ENUM ('info', 'warning', 'error');

-- CreateTable
CREATE TABLE "Pool" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "protocol" "PoolProtocol" NOT NULL DEFAULT 'http',
    "listenHost" TEXT NOT NULL DEFAULT '0.0.0.0',
    "listenPort" INTEGER NOT NULL,
    "algorithm" TEXT NOT NULL DEFAULT 'round_robin',
    "hashKey" JSONB NOT NULL,
    "healthCheck" JSONB NOT NULL,
    "outlierDetection" JSONB NOT NULL,
    "timeouts" JSONB NOT NULL,
    "retries" JSONB NOT NULL,
    "stickiness" JSONB NOT NULL,
    "slowStartMs" INTEGER NOT NULL DEFAULT 0,
    "drainTimeoutMs" INTEGER NOT NULL DEFAULT 30000,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Pool_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Backend" (
    "id" TEXT NOT NULL,
    "poolId" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "weight" INTEGER NOT NULL DEFAULT 1,
    "backup" BOOLEAN NOT NULL DEFAULT false,
    "maxConnections" INTEGER NOT NULL DEFAULT 0,
    "adminState" "AdminState" NOT NULL DEFAULT 'active',
    "versionLabel" TEXT,
    "managedBy" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Backend_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConfigRevision" (
    "id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,
    "snapshot" JSONB NOT NULL,
    "author" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "rollbackOf" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConfigRevision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScalingRule" (
    "id" TEXT NOT NULL,
    "poolId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "metric" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "state" JSONB,
    "lastActionAt" TIMESTAMP(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ScalingRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Deploy" (
    "id" TEXT NOT NULL,
    "poolId" TEXT NOT NULL,
    "versionLabel" TEXT NOT NULL,
    "strategy" TEXT NOT NULL,
    "status" "DeployStatus" NOT NULL DEFAULT 'pending',
    "spec" JSONB NOT NULL,
    "idempotencyKey" TEXT,
    "startedBy" TEXT NOT NULL,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Deploy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeployStep" (
    "id" TEXT NOT NULL,
    "deployId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "detail" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeployStep_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Event" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "severity" "EventSeverity" NOT NULL DEFAULT 'info',
    "poolId" TEXT,
    "backendId" TEXT,
    "dataplaneId" TEXT,
    "message" TEXT NOT NULL,
    "data" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "createdById" TEXT,
    "lastUsedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Dataplane" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "softwareVersion" TEXT NOT NULL,
    "connected" BOOLEAN NOT NULL DEFAULT false,
    "controlPlaneId" TEXT,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "appliedConfigVersion" INTEGER,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Dataplane_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StatsRollup" (
    "id" BIGSERIAL NOT NULL,
    "bucket" TIMESTAMP(3) NOT NULL,
    "poolId" TEXT NOT NULL,
    "backendId" TEXT NOT NULL,
    "requests" INTEGER NOT NULL,
    "responses2xx" INTEGER NOT NULL,
    "responses3xx" INTEGER NOT NULL,
    "responses4xx" INTEGER NOT NULL,
    "responses5xx" INTEGER NOT NULL,
    "errors" INTEGER NOT NULL,
    "bytesIn" BIGINT NOT NULL,
    "bytesOut" BIGINT NOT NULL,
    "activeConnections" INTEGER NOT NULL,
    "p50Ms" DOUBLE PRECISION NOT NULL,
    "p95Ms" DOUBLE PRECISION NOT NULL,
    "p99Ms" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "StatsRollup_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Pool_name_key" ON "Pool"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Pool_listenPort_key" ON "Pool"("listenPort");

-- CreateIndex
CREATE INDEX "Backend_poolId_idx" ON "Backend"("poolId");

-- CreateIndex
CREATE UNIQUE INDEX "Backend_poolId_host_port_key" ON "Backend"("poolId", "host", "port");

-- CreateIndex
CREATE UNIQUE INDEX "ConfigRevision_version_key" ON "ConfigRevision"("version");

-- CreateIndex
CREATE UNIQUE INDEX "ScalingRule_poolId_name_key" ON "ScalingRule"("poolId", "name");

-- CreateIndex
CREATE INDEX "Deploy_poolId_createdAt_idx" ON "Deploy"("poolId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Deploy_poolId_idempotencyKey_key" ON "Deploy"("poolId", "idempotencyKey");

-- CreateIndex
CREATE UNIQUE INDEX "DeployStep_deployId_seq_key" ON "DeployStep"("deployId", "seq");

-- CreateIndex
CREATE INDEX "Event_createdAt_idx" ON "Event"("createdAt");

-- CreateIndex
CREATE INDEX "Event_poolId_createdAt_idx" ON "Event"("poolId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE UNIQUE INDEX "Session_tokenHash_key" ON "Session"("tokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE INDEX "StatsRollup_poolId_bucket_idx" ON "StatsRollup"("poolId", "bucket");

-- CreateIndex
CREATE UNIQUE INDEX "StatsRollup_bucket_backendId_key" ON "StatsRollup"("bucket", "backendId");

-- AddForeignKey
ALTER TABLE "Backend" ADD CONSTRAINT "Backend_poolId_fkey" FOREIGN KEY ("poolId") REFERENCES "Pool"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScalingRule" ADD CONSTRAINT "ScalingRule_poolId_fkey" FOREIGN KEY ("poolId") REFERENCES "Pool"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deploy" ADD CONSTRAINT "Deploy_poolId_fkey" FOREIGN KEY ("poolId") REFERENCES "Pool"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeployStep" ADD CONSTRAINT "DeployStep_deployId_fkey" FOREIGN KEY ("deployId") REFERENCES "Deploy"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Event" ADD CONSTRAINT "Event_poolId_fkey" FOREIGN KEY ("poolId") REFERENCES "Pool"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
