/** The one place @fulcrum/api reads the environment. */
export const apiEnv = {
  /**
   * FULCRUM_SESSION_IDLE_HOURS, default 12: a dashboard session unused this long has ended (each
   * use slides it), within the fixed 7-day cap.
   */
  sessionIdleMs: hours(process.env.FULCRUM_SESSION_IDLE_HOURS, 12) * 3_600_000,
};

function hours(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`FULCRUM_SESSION_IDLE_HOURS must be a positive number of hours, not ${JSON.stringify(value)}`);
  return n;
}
