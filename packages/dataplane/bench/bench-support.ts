/** What the benchmark scripts share: their tools' paths, free ports, medians. */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * The script's options (`pnpm bench -- --quick` passes the `--` along, so it is dropped). `--help`
 * prints the usage; an unknown option or a missing value is named, with the usage, and exits 2.
 */
export function benchOptions<O extends NonNullable<ParseArgsConfig['options']>>(usage: string, options: O) {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`Usage: ${usage}`);
    process.exit(0);
  }
  try {
    return parseArgs({ args, options, allowPositionals: false }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\nUsage: ${usage}`);
    process.exit(2);
  }
}

/** A file option (a baseline build): its absolute path, or undefined when not given; a missing file exits 2. */
export function fileOption(value: string | undefined, name: string, usage: string): string | undefined {
  if (value === undefined) return undefined;
  const file = path.resolve(value);
  if (existsSync(file) && statSync(file).isFile()) return file;
  console.error(`--${name}: no such file: ${file}\nUsage: ${usage}`);
  process.exit(2);
}

/** A count option (rounds, seconds, requests): a whole number of at least 1, else the usage and exit 2. */
export function countOption(value: string | undefined, fallback: number, name: string, usage: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (Number.isInteger(n) && n >= 1) return n;
  console.error(`--${name} must be a whole number of at least 1, not ${JSON.stringify(value)}\nUsage: ${usage}`);
  process.exit(2);
}

/** The path of an installed command, or undefined. */
export function installed(cmd: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${cmd}`])
        .toString()
        .trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** The path of a command the benchmark cannot run without; exits naming the packages when it is missing. */
export function need(cmd: string, packages: string): string {
  const found = installed(cmd);
  if (found) return found;
  console.error(`${cmd} is not installed. The benchmark uses Debian's packages: apt-get install -y ${packages}`);
  process.exit(2);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
