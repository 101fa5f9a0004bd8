-- Logins for database health checks: the password column holds a SecretBox-sealed value only.
CREATE TABLE "DatabaseCredential" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "user" TEXT NOT NULL,
    "password" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DatabaseCredential_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "DatabaseCredential_name_key" ON "DatabaseCredential"("name");
