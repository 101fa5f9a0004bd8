import type { PrismaClient } from '@fulcrum/db';
import { ZProviderProfileSpec } from '@fulcrum/protocol';
import { errorText } from '../error-text';
import { DEFAULT_DOCKER_SOCKET, DockerProvider, type DockerEndpoint, labelledOwners } from './providers/docker-provider';
import { type RecordedRule, goneFromDatabase } from './recorded-rules';

/** Every Engine a docker profile of this database names, once each. */
async function dockerEndpoints(prisma: PrismaClient): Promise<Map<string, DockerEndpoint>> {
  const endpoints = new Map<string, DockerEndpoint>();
  for (const profile of await prisma.providerProfile.findMany({ select: { spec: true } })) {
    const parsed = ZProviderProfileSpec.safeParse(profile.spec);
    if (!parsed.success || parsed.data.kind !== 'docker') continue;
    const { baseUrl, socketPath } = parsed.data;
    endpoints.set(baseUrl ?? `unix:${socketPath ?? DEFAULT_DOCKER_SOCKET}`, baseUrl ? { baseUrl } : { socketPath: socketPath ?? DEFAULT_DOCKER_SOCKET });
  }
  return endpoints;
}

/**
 * The rules gone from this database (deleted, with their pool or not, while no control plane
 * ran) whose `docker` containers still run at the Engine of a docker profile, found by the labels
 * naming their owner; each with a provider over its containers. An Engine that does not answer is
 * logged and left: its containers are looked for again at the next start.
 */
export async function labelledRulesGoneWhileDown(prisma: PrismaClient, database: string, log: (line: string) => void): Promise<RecordedRule[]> {
  const found: (RecordedRule & { endpoint: DockerEndpoint })[] = [];
  for (const [where, endpoint] of await dockerEndpoints(prisma)) {
    try {
      for (const owner of await labelledOwners(endpoint, database)) found.push({ owner, endpoint, provider: DockerProvider.ofLabels(endpoint, owner) });
    } catch (err) {
      log(`the containers at the Docker Engine ${where} could not be listed: ${errorText(err)}; those of rules deleted while no control plane ran are looked for again at the next start`);
    }
  }
  return goneFromDatabase(prisma, found);
}
