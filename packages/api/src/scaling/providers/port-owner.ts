import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';

/** Socket inodes listening on TCP `port` (any address, IPv4 or IPv6), from /proc/net; null where /proc/net is not there. */
function listeningInodes(port: number): Set<string> | null {
  const inodes = new Set<string>();
  let readAny = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
      readAny = true;
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue;
      if (Number.parseInt(f[1]!.split(':').pop()!, 16) === port) inodes.add(f[9]!);
    }
  }
  return readAny ? inodes : null;
}

/** The process group of `pid` (field 5 of /proc/<pid>/stat, after the parenthesised name), or null. */
function processGroup(pid: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return null;
  }
}

/**
 * Who listens on TCP `port`: a process of process group `pgid` ('group'), another process
 * ('other'), or nobody yet ('none'). An instance whose port another process bound between the
 * probe and the spawn cannot listen there, yet the port answers; only the socket's owner tells the
 * two apart. Where /proc is missing (not Linux), a port that accepts a connection counts as the
 * group's.
 */
export async function portOwner(pgid: number, port: number, host: string): Promise<'group' | 'other' | 'none'> {
  const inodes = listeningInodes(port);
  if (inodes === null) return (await accepts(host, port)) ? 'group' : 'none';
  if (!inodes.size) return 'none';
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return (await accepts(host, port)) ? 'group' : 'none';
  }
  for (const pid of pids) {
    if (processGroup(pid) !== pgid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return 'group';
      } catch {
        // closed meanwhile
      }
    }
  }
  return 'other';
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
