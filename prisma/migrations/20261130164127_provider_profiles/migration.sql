-- Provider profiles, issue 13: what scaling may execute or call is declared by an admin, and a rule
-- only names a profile and fills in the parameters it declares.

-- CreateTable
CREATE TABLE "ProviderProfile" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "kind" TEXT NOT NULL,
    "spec" JSONB NOT NULL,
    "secret" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ProviderProfile_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ProviderProfile_name_key" ON "ProviderProfile"("name");

-- AlterTable
ALTER TABLE "ScalingRule" ADD COLUMN     "legacyProvider" JSONB,
ADD COLUMN     "params" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "profileId" TEXT;

-- Existing rules carry an inline provider, a shell command or a socket or a URL, that any operator
-- could write, the exploit among them. Turning them into admin profiles would bless exactly that
-- input, and a shell string has no faithful argv form. So each rule is kept whole but disabled,
-- its old provider moved aside where an admin can read it and where nothing runs it. The rule
-- runs again once it picks a profile. Instances it started keep serving as ordinary backends.
UPDATE "ScalingRule"
SET "legacyProvider" = "config" -> 'provider',
    "config" = jsonb_set("config" - 'provider', '{enabled}', 'false'),
    "enabled" = false,
    "version" = "version" + 1,
    "updatedAt" = CURRENT_TIMESTAMP
WHERE "config" -> 'provider' IS NOT NULL;

-- CreateIndex
CREATE INDEX "ScalingRule_profileId_idx" ON "ScalingRule"("profileId");

-- AddForeignKey
ALTER TABLE "ScalingRule" ADD CONSTRAINT "ScalingRule_profileId_fkey" FOREIGN KEY ("profileId") REFERENCES "ProviderProfile"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A rule runs only through a profile, whatever code writes the row.
ALTER TABLE "ScalingRule" ADD CONSTRAINT "ScalingRule_enabled_needs_profile" CHECK (NOT "enabled" OR "profileId" IS NOT NULL);
