/**
 * A backend for CPU tests, as its own process: `/burn?procs=N` forks N children that spin (each
 * gives up after two minutes, so a test that dies leaves nothing burning for long), `/calm` kills
 * them, anything else answers `ok`. The children stay in the instance's process group, so only a
 * reading over the whole group sees the load: the serving process itself stays idle.
 */
export const BURNER_SCRIPT = `
const { spawn } = require('child_process');
const port = Number(process.argv[2]);
const burners = [];
const calm = () => { for (const b of burners.splice(0)) b.kill('SIGKILL'); };
require('http').createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/burn') {
    const n = Math.min(4, Number(u.searchParams.get('procs') || 1));
    while (burners.length < n) burners.push(spawn(process.execPath, ['-e', 'const end = Date.now() + 120000; while (Date.now() < end) {}'], { stdio: 'ignore' }));
    return res.end(String(burners.length));
  }
  if (u.pathname === '/calm') { calm(); return res.end('0'); }
  res.end('ok');
}).listen(port, '127.0.0.1');
process.on('SIGTERM', () => { calm(); process.exit(0); });
`;
