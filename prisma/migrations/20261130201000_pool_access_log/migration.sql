-- A pool's access-log settings (enabled, sample rate, json or combined format). An empty object
-- means the defaults of @fulcrum/protocol's ZAccessLogSettings.
ALTER TABLE "Pool" ADD COLUMN "accessLog" JSONB NOT NULL DEFAULT '{}';
