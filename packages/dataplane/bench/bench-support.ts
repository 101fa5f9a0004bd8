/** What the benchmark scripts share: their tools' paths, free ports, medians. */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';

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
