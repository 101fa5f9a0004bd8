/**
 * The access log's own cost per request, in process: a request's record made, its line written
 * (JSON and combined) and handed to the writer, which appends to a file in a temporary
 * directory. CPU time (user + system, this process and its thread pool) per line, from
 * `process.cpuUsage`, so other work on the machine moves it far less than a wrk run's figures.
 * Lines are paced so the disk keeps up (a dropped line costs nothing and would flatter the figure).
 *
 * Usage: npx tsx bench/access-log.ts [--lines N] [--rounds R]
 * Read it beside the bench's CPU per request for Fulcrum (µs): their ratio is the log's share.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchOptions, countOption } from './bench-support';
import type { TAccessRecord, TSnapshotPool } from '@fulcrum/protocol';
import { AccessLog } from '../src/access-log/access-log';
import { AccessLogWriter } from '../src/access-log/access-log-writer';
import { logTime, roundMs } from '../src/access-log/access-record';

const USAGE = 'npx tsx bench/access-log.ts [--lines N] [--rounds R]';
const values = benchOptions(USAGE, { lines: { type: 'string' }, rounds: { type: 'string' } });
const LINES = countOption(values.lines, 300_000, 'lines', USAGE);
const ROUNDS = countOption(values.rounds, 3, 'rounds', USAGE);

/** A request as wrk's look: the fields the proxy fills for a small GET. */
function record(i: number, pool: TSnapshotPool): TAccessRecord {
  return {
    time: logTime(),
    pool: pool.name,
    poolId: pool.id,
    clientIp: '127.0.0.1',
    method: 'GET',
    protocol: 'HTTP/1.1',
    host: '127.0.0.1:8080',
    path: '/',
    status: 200,
    bytesIn: 0,
    bytesOut: 17,
    durationMs: roundMs(4.2 + (i % 997) * 0.0137),
    upstream: '127.0.0.1:9001',
    connectMs: roundMs(0.0312),
    firstByteMs: roundMs(2.1 + (i % 113) * 0.0091),
    attempts: 1,
    requestId: '6b4f5fcb-33c3-4fc8-ae58-ad6cf61ecdcd',
    termination: 'normal',
    userAgent: 'wrk',
    referer: '',
  };
}

async function perLine(format: 'json' | 'combined'): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-access-bench-'));
  const writer = new AccessLogWriter(path.join(dir, 'access.log'));
  const log = new AccessLog(writer);
  const pool = { id: 'bench', name: 'bench', accessLog: { enabled: true, sampleRate: 1, format } } as TSnapshotPool;
  const stream = (writer as unknown as { stream: { writableLength: number } }).stream;
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      if (log.wants(pool)) log.record(pool, record(i, pool));
      if (i % 500 === 0) while (stream.writableLength > 256 * 1024) await new Promise((r) => setTimeout(r, 1));
    }
  };
  await run(LINES / 4);
  const before = process.cpuUsage();
  await run(LINES);
  await writer.close();
  const used = process.cpuUsage(before);
  rmSync(dir, { recursive: true, force: true });
  if (writer.dropped > 0) throw new Error(`${writer.dropped} lines dropped: the figure would not be the log's cost`);
  return (used.user + used.system) / LINES;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (const format of ['json', 'combined'] as const) {
  const runs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) runs.push(await perLine(format));
  console.log(`${format}: ${median(runs).toFixed(2)} µs CPU per line (median of ${ROUNDS}: ${runs.map((x) => x.toFixed(2)).join(', ')}), load average ${os.loadavg()[0]!.toFixed(1)}`);
}
