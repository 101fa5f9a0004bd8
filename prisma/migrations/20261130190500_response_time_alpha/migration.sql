-- Pools that existed ran least_response_time with 0.3 on the newest sample: they keep it. New pools get the guide's 0.8.
ALTER TABLE "Pool" ADD COLUMN "responseTimeAlpha" DOUBLE PRECISION NOT NULL DEFAULT 0.3;
ALTER TABLE "Pool" ALTER COLUMN "responseTimeAlpha" SET DEFAULT 0.8;
