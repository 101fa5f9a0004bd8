/**
 * `pnpm --filter @fulcrum/dataplane fuzz [--seconds N] [--seed S] [--execs N]`: the request
 * fuzzer for as long as asked, in this process (a stray exception or rejection fails the run:
 * the data plane must never crash).
 */
import { parseArgs } from 'node:util';
import { ProxyHarness } from './proxy-harness';
import { formatReport, fuzzRequests } from './request-fuzzer';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string' }, execs: { type: 'string' } },
});
const seconds = Number(values.seconds);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const execs = values.execs === undefined ? undefined : Number(values.execs);
if (!Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(seed) || (execs !== undefined && !(execs > 0))) {
  console.error('usage: fuzz [--seconds N] [--seed S] [--execs N]');
  process.exit(2);
}

const crashes: string[] = [];
process.on('uncaughtException', (err) => crashes.push(`uncaught exception: ${err.stack ?? err}`));
process.on('unhandledRejection', (err) => crashes.push(`unhandled rejection: ${err instanceof Error ? err.stack : String(err)}`));

const harness = await new ProxyHarness().start();
const report = await fuzzRequests(harness, { seed, seconds, execs });
await harness.stop();
console.log(formatReport(report));
for (const c of crashes) console.log(`CRASH ${c}`);
process.exit(report.failures.length || crashes.length ? 1 : 0);
