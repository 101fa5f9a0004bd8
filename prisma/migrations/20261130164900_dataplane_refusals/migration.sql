-- What a data plane refused: a whole snapshot (nack) or some pools of one it applied (partial
-- ack), so deploys can stop when their revision is refused and the dashboard can show it.
ALTER TABLE "Dataplane" ADD COLUMN "refusedConfigVersion" INTEGER;
ALTER TABLE "Dataplane" ADD COLUMN "refusedPools" JSONB;
