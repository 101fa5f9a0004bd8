import { z } from 'zod';
import { TAIL_MAX_LINES_PER_SECOND, ZAccessRecord } from './access-log';
import { ZAcmeChallengeSet } from './acme';
import { ZDataplaneEvent } from './event';
import { ZId } from './primitives';
import { ZStatsFrame } from './stats';

/**
 * The control plane <-> data plane link, modelled on Envoy's xDS handshake: the control plane
 * pushes `{version, hash, config}`; the data plane acks the version it applied or nacks with the
 * version it kept and the error.
 */
export const DATAPLANE_WS_PATH = '/ws/dataplane';

/** WebSocket close codes the hub uses (4000-4999 are application codes). */
export const WS_CLOSE = {
  unauthorized: 4401,
  forbidden: 4403,
  badMessage: 4400,
  replaced: 4409,
  shuttingDown: 4503,
} as const;

// Data plane -> control plane
export const ZHelloMessage = z.object({
  type: z.literal('hello'),
  dataplaneId: ZId,
  name: z.string().min(1).max(128),
  softwareVersion: z.string().max(64),
  configVersion: z.number().int().min(0).nullable(),
  configHash: z.string().nullable(),
});
/** A pool of an applied snapshot that could not take its new config (e.g. its port is held). */
export const ZRefusedPool = z.object({
  poolId: ZId,
  pool: z.string().max(128),
  error: z.string().max(2000),
  /** Whether it still serves its previous config (false: it is down on this data plane). */
  keptPrevious: z.boolean(),
});
export type TRefusedPool = z.infer<typeof ZRefusedPool>;

/**
 * `refused` (absent from older data planes) makes it a partial ack: every other pool runs the
 * version, the ones named keep their previous config or are down, as Envoy applies per listener.
 */
export const ZAckMessage = z.object({
  type: z.literal('ack'),
  version: z.number().int().min(0),
  hash: z.string(),
  refused: z.array(ZRefusedPool).max(1000).optional(),
});
export const ZNackMessage = z.object({
  type: z.literal('nack'),
  version: z.number().int().min(0).nullable(),
  keptVersion: z.number().int().min(0).nullable(),
  error: z.string().max(8000),
});
export const ZStatsMessage = z.object({ type: z.literal('stats'), frame: ZStatsFrame });
export const ZEventMessage = z.object({ type: z.literal('event'), event: ZDataplaneEvent });
/**
 * Sampled access records for the live tail, only for the pools the control plane asked for
 * (`tail`), at most TAIL_MAX_LINES_PER_SECOND a second; `dropped` counts the lines left out
 * since the previous message (over the bound).
 */
export const ZTailLinesMessage = z.object({
  type: z.literal('tail_lines'),
  lines: z.array(ZAccessRecord).max(TAIL_MAX_LINES_PER_SECOND),
  dropped: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type TTailLinesMessage = z.infer<typeof ZTailLinesMessage>;
/** The data plane answers the ACME challenge set up to `seq` (what the control plane waits for before asking the CA to validate). */
export const ZAcmeChallengesAppliedMessage = z.object({ type: z.literal('acme_challenges_applied'), seq: z.number().int().min(0) });
export const ZPingMessage = z.object({ type: z.literal('ping'), ts: z.number() });
export const ZPongMessage = z.object({ type: z.literal('pong'), ts: z.number() });

export const ZDataplaneToControl = z.discriminatedUnion('type', [
  ZHelloMessage,
  ZAckMessage,
  ZNackMessage,
  ZStatsMessage,
  ZEventMessage,
  ZTailLinesMessage,
  ZAcmeChallengesAppliedMessage,
  ZPingMessage,
  ZPongMessage,
]);
export type TDataplaneToControl = z.infer<typeof ZDataplaneToControl>;

// Control plane -> data plane. The snapshot's `config` is validated by the data plane with
// ZConfigSnapshot itself, so that a bad one can be nacked with the reason rather than dropped.
export const ZSnapshotMessage = z.object({
  type: z.literal('snapshot'),
  version: z.number().int().min(0),
  hash: z.string(),
  config: z.unknown(),
});
export const ZWelcomeMessage = z.object({ type: z.literal('welcome'), serverTime: z.number(), heartbeatMs: z.number().int() });

/** The pools someone watches the live tail of, now (empty: stop tailing). Replaces the previous set. */
export const ZTailMessage = z.object({ type: z.literal('tail'), poolIds: z.array(ZId).max(1000) });

/**
 * The pending ACME HTTP-01 challenges, whole (replaces the previous set; empty: none). Kept out of
 * snapshots: they live minutes, and must not become revisions, diffs or rollbacks.
 */
export const ZAcmeChallengesMessage = ZAcmeChallengeSet.extend({ type: z.literal('acme_challenges') });
export type TAcmeChallengesMessage = z.infer<typeof ZAcmeChallengesMessage>;

export const ZControlToDataplane = z.discriminatedUnion('type', [ZSnapshotMessage, ZWelcomeMessage, ZTailMessage, ZAcmeChallengesMessage, ZPingMessage, ZPongMessage]);
export type TControlToDataplane = z.infer<typeof ZControlToDataplane>;
