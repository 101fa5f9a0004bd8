-- Sessions end after an idle period as well as at their fixed expiry.
ALTER TABLE "Session" ADD COLUMN "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- A dataplane token speaks for one data plane: the id it first said hello with.
ALTER TABLE "ApiToken" ADD COLUMN "dataplaneId" TEXT;
CREATE UNIQUE INDEX "ApiToken_dataplaneId_key" ON "ApiToken"("dataplaneId");
