/** Left-aligned columns, for people; `--json` prints the raw objects instead. */
export function table(headers: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** "10s", "500ms", "2m", "1h" or a plain number of milliseconds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new Error(`${flag} must be a duration like 500ms, 10s, 2m or 1h (got "${value}")`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

export function parseAddress(value: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  const i = value.lastIndexOf(':');
  const host = bracketed ? bracketed[1]! : value.slice(0, i);
  const port = Number(bracketed ? bracketed[2] : value.slice(i + 1));
  if ((!bracketed && i <= 0) || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`expected host:port, got "${value}"`);
  return { host, port };
}
