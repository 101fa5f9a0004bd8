-- ACME: accounts at certificate authorities (key sealed, never in the clear), certificates they
-- issue and renew, and the HTTP-01 challenges data planes answer while an order runs.
ALTER TABLE "Certificate" ADD COLUMN "acmeAccountId" TEXT,
ADD COLUMN "acmeRenewBeforeDays" INTEGER,
ADD COLUMN "acmeLastError" TEXT,
ADD COLUMN "acmeFailures" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "acmeNextAttemptAt" TIMESTAMP(3);

ALTER TABLE "Dataplane" ADD COLUMN "acmeChallengesSeq" INTEGER;

CREATE TABLE "AcmeAccount" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "directoryUrl" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "accountUrl" TEXT NOT NULL,
    "keySealed" TEXT NOT NULL,
    "directoryCaPem" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AcmeAccount_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "AcmeChallenge" (
    "token" TEXT NOT NULL,
    "keyAuthorization" TEXT NOT NULL,
    "seq" SERIAL NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AcmeChallenge_pkey" PRIMARY KEY ("token")
);

CREATE UNIQUE INDEX "AcmeAccount_name_key" ON "AcmeAccount"("name");

CREATE UNIQUE INDEX "AcmeChallenge_seq_key" ON "AcmeChallenge"("seq");

ALTER TABLE "Certificate" ADD CONSTRAINT "Certificate_acmeAccountId_fkey" FOREIGN KEY ("acmeAccountId") REFERENCES "AcmeAccount"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
