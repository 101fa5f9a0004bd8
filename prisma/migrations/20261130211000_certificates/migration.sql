-- TLS certificates for https listeners. The private key is stored sealed (AES-256-GCM under the
-- control plane's secret key, bound to the row), never in the clear.
CREATE TABLE "Certificate" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "chainPem" TEXT NOT NULL,
    "keySealed" TEXT NOT NULL,
    "names" TEXT[],
    "notBefore" TIMESTAMP(3) NOT NULL,
    "notAfter" TIMESTAMP(3) NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "keyType" TEXT NOT NULL,
    "issuer" TEXT NOT NULL DEFAULT '',
    "version" INTEGER NOT NULL DEFAULT 1,
    "expiringNoticeVersion" INTEGER,
    "expiredNoticeVersion" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Certificate_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "Certificate_name_key" ON "Certificate"("name");
CREATE INDEX "Certificate_notAfter_idx" ON "Certificate"("notAfter");
