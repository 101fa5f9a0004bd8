-- How an HTTP pool treats client requests (head deadline and limits, trusted proxies, error
-- details). An empty object means the defaults of @fulcrum/protocol's ZHttpSettings.
ALTER TABLE "Pool" ADD COLUMN "http" JSONB NOT NULL DEFAULT '{}';
