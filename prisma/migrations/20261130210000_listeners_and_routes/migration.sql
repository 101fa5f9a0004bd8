-- Listeners and routes (#16): a pool no longer listens by itself. The listen address of every
-- pool becomes a listener named after the pool, made with it in one step (poolId), with one
-- catch-all route to it. Both take the id of the pool, as the schema-1 upgrade of data planes
-- does, so the compiled snapshot serves the same ports with the same head limits and idle timeout.
-- (No semicolons or quotes in these comments: the migration runner splits statements on them.)

CREATE TYPE "ListenerProtocol" AS ENUM ('http', 'https', 'tcp');

CREATE TABLE "Listener" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "address" TEXT NOT NULL DEFAULT '0.0.0.0',
    "port" INTEGER NOT NULL,
    "protocol" "ListenerProtocol" NOT NULL DEFAULT 'http',
    "http" JSONB NOT NULL DEFAULT '{}',
    "idleMs" INTEGER NOT NULL DEFAULT 60000,
    "tls" JSONB,
    "poolId" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Listener_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "Route" (
    "id" TEXT NOT NULL,
    "listenerId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "match" JSONB NOT NULL,
    "action" JSONB NOT NULL,
    "poolId" TEXT,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "rewrite" JSONB,
    "rateLimit" JSONB,
    "timeouts" JSONB,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Route_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "Listener_name_key" ON "Listener"("name");
CREATE UNIQUE INDEX "Listener_port_key" ON "Listener"("port");
CREATE UNIQUE INDEX "Listener_poolId_key" ON "Listener"("poolId");
CREATE INDEX "Route_poolId_idx" ON "Route"("poolId");
CREATE UNIQUE INDEX "Route_listenerId_name_key" ON "Route"("listenerId", "name");

ALTER TABLE "Listener" ADD CONSTRAINT "Listener_poolId_fkey" FOREIGN KEY ("poolId") REFERENCES "Pool"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Route" ADD CONSTRAINT "Route_listenerId_fkey" FOREIGN KEY ("listenerId") REFERENCES "Listener"("id") ON DELETE CASCADE ON UPDATE CASCADE;
-- NO ACTION: a pool that a route sends to cannot be deleted from under it. Deleting a pool
-- deletes its own listener (and so the route of that listener) first.
ALTER TABLE "Route" ADD CONSTRAINT "Route_poolId_fkey" FOREIGN KEY ("poolId") REFERENCES "Pool"("id") ON DELETE NO ACTION ON UPDATE CASCADE;

-- The listener takes what a pool read before any route was known: the head limits and trusted
-- proxies of its http settings (absent keys keep their defaults) and its idle timeout.
INSERT INTO "Listener" ("id", "name", "address", "port", "protocol", "http", "idleMs", "poolId", "createdAt", "updatedAt")
SELECT p."id", p."name", p."listenHost", p."listenPort", p."protocol"::text::"ListenerProtocol",
       COALESCE((SELECT jsonb_object_agg(h.key, h.value) FROM jsonb_each(CASE WHEN jsonb_typeof(p."http") = 'object' THEN p."http" ELSE '{}'::jsonb END) h
                 WHERE h.key IN ('headTimeoutMs', 'maxHeadBytes', 'maxHeaders', 'trustedProxies')), '{}'::jsonb),
       COALESCE(CASE WHEN jsonb_typeof(p."timeouts" -> 'idleMs') = 'number' THEN (p."timeouts" ->> 'idleMs')::numeric::integer END, 60000),
       p."id", p."createdAt", now()
FROM "Pool" p;

INSERT INTO "Route" ("id", "listenerId", "name", "priority", "match", "action", "poolId", "headers", "createdAt", "updatedAt")
SELECT p."id", p."id", p."name", 0,
       '{"hosts":[],"path":{"type":"prefix","value":"/"},"methods":[],"headers":[],"query":[]}'::jsonb,
       jsonb_build_object('type', 'pool', 'poolId', p."id"), p."id",
       '{"request":[],"response":[]}'::jsonb, p."createdAt", now()
FROM "Pool" p;

DROP INDEX "Pool_listenPort_key";
ALTER TABLE "Pool" DROP COLUMN "listenHost",
DROP COLUMN "listenPort";
