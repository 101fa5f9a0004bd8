import { ACME_CHALLENGE_PREFIX, type TAcmeChallengeSet, ZAcmeChallengeSet } from '@fulcrum/protocol';

/**
 * The pending ACME HTTP-01 challenges this data plane answers, as the control plane last sent
 * them (the whole set each time). Looked up by the exact path an http listener sees; a token
 * outside the base64url alphabet can never be in the map (the set is validated whole), so a path
 * with `/`, `..` or `%` falls through to normal routing.
 */
export class AcmeChallengeAnswers {
  private byToken = new Map<string, string>();
  /** The highest challenge seq of the set held (acked to the control plane). */
  seq = 0;

  /** Replaces the set; a set that does not validate is refused whole (the old one stays) with the reason. */
  replace(raw: unknown): { ok: true; seq: number } | { ok: false; error: string } {
    const parsed = ZAcmeChallengeSet.safeParse(raw);
    if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'set'}: ${i.message}`).join('; ') };
    this.set(parsed.data);
    return { ok: true, seq: parsed.data.seq };
  }

  set(set: TAcmeChallengeSet): void {
    this.byToken = new Map(set.challenges.map((c) => [c.token, c.keyAuthorization]));
    this.seq = set.seq;
  }

  /** The whole set, to hand on (a cluster's workers). */
  current(): TAcmeChallengeSet {
    return { seq: this.seq, challenges: [...this.byToken].map(([token, keyAuthorization]) => ({ token, keyAuthorization })) };
  }

  get size(): number {
    return this.byToken.size;
  }

  /** The key authorization for a request path `/.well-known/acme-challenge/<token>` (query already split off), else undefined. */
  answer(path: string): string | undefined {
    if (this.byToken.size === 0 || !path.startsWith(ACME_CHALLENGE_PREFIX)) return undefined;
    return this.byToken.get(path.slice(ACME_CHALLENGE_PREFIX.length));
  }
}
