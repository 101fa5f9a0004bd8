/** One backend as a deploy takes it, before the schema checks it (so bad input reaches the schema's messages). */
export interface BackendLine {
  host: string;
  port: number;
  weight?: number;
}

/**
 * Reads `host:port [weight]`, one a line (blank lines skipped); an IPv6 host goes in brackets
 * (`[::1]:8080`). A line without a port keeps port NaN so the schema reports it on that line.
 */
export function parseBackendLines(text: string): BackendLine[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [address = '', weight] = line.split(/\s+/);
      const bracketed = /^\[([^\]]+)\]:(\d*)$/.exec(address);
      const colon = address.lastIndexOf(':');
      const host = bracketed ? bracketed[1]! : colon > 0 ? address.slice(0, colon) : address;
      const port = bracketed ? bracketed[2]! : colon > 0 ? address.slice(colon + 1) : '';
      return { host, port: port === '' ? Number.NaN : Number(port), ...(weight === undefined ? {} : { weight: Number(weight) }) };
    });
}

/** Comma- or space-separated numbers, e.g. canary steps `10, 50, 100`. */
export function parseNumberList(text: string): number[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
}
