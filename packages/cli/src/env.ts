/** The one place fulcrumctl reads the environment: flags win over these. */
export function cliEnv(env: NodeJS.ProcessEnv = process.env): { url?: string; token?: string; ca?: string } {
  return { url: env.FULCRUM_URL || undefined, token: env.FULCRUM_TOKEN || undefined, ca: env.FULCRUM_CA || undefined };
}
