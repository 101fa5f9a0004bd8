import { LOCK_ID } from '@fulcrum/db';
import pg from 'pg';

/**
 * Session-level advisory locks on one dedicated connection: a rule is evaluated by the replica
 * holding its lock, and when that replica dies its connection (and lock) goes with it, so
 * another replica takes over at its next tick. Prisma's pooled connections cannot hold them.
 */
export class RuleLocks {
  private client: pg.Client | undefined;
  private readonly held = new Set<string>();

  constructor(private readonly databaseUrl: string) {}

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('error', () => {
      // The locks died with the connection; the next tick reconnects and competes again.
      this.held.clear();
      if (this.client === client) this.client = undefined;
    });
    await client.connect();
    this.client = client;
    return client;
  }

  /** True when this process holds (or just took) the rule's lock. */
  async acquire(ruleId: string): Promise<boolean> {
    if (this.held.has(ruleId) && this.client) return true;
    const c = await this.connection();
    const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [LOCK_ID.scalingRule, ruleId]);
    if (r.rows[0]?.ok) this.held.add(ruleId);
    return this.held.has(ruleId);
  }

  async release(ruleId: string): Promise<void> {
    if (!this.held.delete(ruleId) || !this.client) return;
    await this.client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_ID.scalingRule, ruleId]).catch(() => {});
  }

  heldIds(): string[] {
    return [...this.held];
  }

  async close(): Promise<void> {
    this.held.clear();
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => {});
  }
}
