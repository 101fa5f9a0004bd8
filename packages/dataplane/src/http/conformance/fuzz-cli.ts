/**
 * `pnpm --filter @fulcrum/dataplane fuzz [--responses] [--seconds N] [--seed S] [--execs N]`: the
 * request fuzzer (or with `--responses`, the response fuzzer: `pnpm … fuzz:responses`) for as
 * long as asked, in this process (a stray exception or rejection fails the run: the data plane
 * must never crash).
 */
import { parseArgs } from 'node:util';
import { ProxyHarness } from './proxy-harness';
import { formatReport, fuzzRequests } from './request-fuzzer';
import { ResponseHarness } from './response-harness';
import { formatResponseReport, fuzzResponses } from './response-fuzzer';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string' }, execs: { type: 'string' }, responses: { type: 'boolean', default: false } },
});
const seconds = Number(values.seconds);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const execs = values.execs === undefined ? undefined : Number(values.execs);
if (!Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(seed) || (execs !== undefined && !(execs > 0))) {
  console.error('usage: fuzz [--responses] [--seconds N] [--seed S] [--execs N]');
  process.exit(2);
}

const crashes: string[] = [];
process.on('uncaughtException', (err) => crashes.push(`uncaught exception: ${err.stack ?? err}`));
process.on('unhandledRejection', (err) => crashes.push(`unhandled rejection: ${err instanceof Error ? err.stack : String(err)}`));

let failed: boolean;
if (values.responses) {
  const harness = await new ResponseHarness().start();
  const report = await fuzzResponses(harness, { seed, seconds, execs });
  await harness.stop();
  console.log(formatResponseReport(report));
  failed = report.failures.length > 0;
} else {
  const harness = await new ProxyHarness().start();
  const report = await fuzzRequests(harness, { seed, seconds, execs });
  await harness.stop();
  console.log(formatReport(report));
  failed = report.failures.length > 0;
}
for (const c of crashes) console.log(`CRASH ${c}`);
process.exit(failed || crashes.length ? 1 : 0);
