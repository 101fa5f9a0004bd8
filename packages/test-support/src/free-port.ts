import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The first port of the kernel's ephemeral range (Linux; 32768 elsewhere). */
function ephemeralStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A TCP port on 127.0.0.1 that is free now, for a listener whose port must be known before it
 * binds (wherever the code can, bind port 0 and read the port back instead). Drawn at random
 * below the kernel's ephemeral range: no port-0 bind and no outgoing connection of any process
 * is given such a port, so between this probe and the real bind only another explicit chooser
 * could take it (and callers that can retry on EADDRINUSE do).
 */
export async function freePort(): Promise<number> {
  const high = ephemeralStart();
  const low = Math.max(10_000, high - 12_000);
  for (let i = 0; i < 100; i++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${low}-${high - 1}`);
}

/**
 * `size` consecutive ports, all free now and all below the kernel's ephemeral range, for a
 * program given a range to choose from (a process provider profile's port range); resolves with
 * the first. Like freePort: whatever binds them later is another explicit chooser, never an
 * outgoing connection.
 */
export async function freePortRange(size: number): Promise<number> {
  const high = ephemeralStart();
  const low = Math.max(10_000, high - 12_000);
  for (let i = 0; i < 100; i++) {
    const first = low + Math.floor(Math.random() * (high - low - size));
    let free = true;
    for (let port = first; free && port < first + size; port++) free = await canListen(port);
    if (free) return first;
  }
  throw new Error(`no ${size} free ports in a row in ${low}-${high - 1}`);
}
