/**
 * Every PostgreSQL advisory lock Fulcrum takes, by name, in one place: two locks that shared an
 * id by accident would serialize unrelated work (or, worse, let one hold the other's guarantee).
 * The values never change between releases: during a rolling upgrade an old and a new replica
 * must contend for the same lock. (Prisma's schema engine takes 72707369 while it migrates; keep
 * clear of it.)
 */

/** Locks keyed by one integer, or the first key of a two-key lock whose second key is an id's hashtext. */
export const LOCK_ID = {
  /** Serializes revision writers (commitChange) across replicas. */
  revisionCommit: 7_310_001,
  /** With hashtext(pool id): one deploy start at a time per pool. */
  deployStart: 7_310_002,
  /** With hashtext(rule id), session-level: the replica holding it evaluates the scaling rule. */
  scalingRule: 7_310_003,
  /** Session-level try-lock: one replica at a time prunes old rows (retention). */
  retention: 7_310_004,
  /** Session-level try-lock: one replica at a time runs ACME renewals. */
  acmeRenewal: 7_310_005,
  /** Transaction-level: ACME challenge rows commit in seq order (a data plane's acked seq covers every lower one). */
  acmeChallenges: 7_310_006,
  /** Serializes building the migrated template database across test processes sharing a server. */
  testTemplate: 0x66756c63,
} as const;

/** Locks keyed by PostgreSQL's hashtext(name) (taken as `pg_advisory_xact_lock(hashtext(${name}))`). */
export const LOCK_NAME = {
  /** The check "no user yet" and the insert of the first admin. */
  firstAdmin: 'fulcrum_first_admin',
  /** Binding a dataplane token to the data-plane id it says hello with. */
  dataplaneBinding: 'fulcrum_dataplane_binding',
  /** Role changes and deletions of users (never leave the system without an admin). */
  adminRoles: 'fulcrum_admins',
} as const;
