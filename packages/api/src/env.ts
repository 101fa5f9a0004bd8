/** The one place @fulcrum/api reads the environment. */
export const apiEnv = {
  /** FULCRUM_SECRET_KEY: the key that seals secrets at rest (secrets/secret-box.ts); unset: a key file in the data folder. */
  secretKey: process.env.FULCRUM_SECRET_KEY,
  /**
   * FULCRUM_SESSION_IDLE_HOURS, default 12: a dashboard session unused this long has ended (each
   * use slides it), within the fixed 7-day cap.
   */
  sessionIdleMs: positive('FULCRUM_SESSION_IDLE_HOURS', 12) * 3_600_000,
  /** What the control plane keeps of the data that grows (retention/prune-old-rows.ts). */
  retention: {
    /** FULCRUM_RETAIN_REVISIONS, default 1000: the newest revisions kept. */
    revisions: positiveInt('FULCRUM_RETAIN_REVISIONS', 1000),
    /** FULCRUM_RETAIN_EVENTS_DAYS, default 90. */
    eventsDays: positive('FULCRUM_RETAIN_EVENTS_DAYS', 90),
    /** FULCRUM_RETAIN_STATS_DAYS, default 7: the 10 s rollups behind the 1 h and 24 h charts. */
    statsDays: positive('FULCRUM_RETAIN_STATS_DAYS', 7),
    /** FULCRUM_PRUNE_INTERVAL_MINUTES, default 10: how often a replica tries to prune. */
    intervalMinutes: positive('FULCRUM_PRUNE_INTERVAL_MINUTES', 10),
  },
};

function positive(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(value)}`);
  return n;
}

function positiveInt(name: string, fallback: number): number {
  const n = positive(name, fallback);
  if (!Number.isInteger(n)) throw new Error(`${name} must be a whole number, not ${JSON.stringify(process.env[name])}`);
  return n;
}
