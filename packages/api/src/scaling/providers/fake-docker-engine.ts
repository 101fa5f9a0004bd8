import type { ServerResponse } from 'node:http';
import { json } from './fake-api-server';

/** Just enough of the Docker Engine API v1.43 to hold containers in memory. */
export function fakeEngine() {
  const containers = new Map<string, { Id: string; Created: number; State: string; Labels: Record<string, string>; hostPort: number }>();
  let next = 1;
  return (req: { method: string; url: string; body: string }, res: ServerResponse) => {
    const u = new URL(req.url, 'http://docker');
    let m: RegExpExecArray | null;
    if (!u.pathname.startsWith('/v1.43/')) return json(res, 400, { message: 'client version missing' });
    const p = u.pathname.slice('/v1.43'.length);
    if (req.method === 'POST' && p === '/containers/create') {
      const body = JSON.parse(req.body) as { Image: string; Labels: Record<string, string> };
      if (!body.Image) return json(res, 400, { message: 'no image' });
      const id = `c${next++}`;
      containers.set(id, { Id: id, Created: next, State: 'created', Labels: body.Labels, hostPort: 32000 + next });
      return json(res, 201, { Id: id, Warnings: [] });
    }
    if (req.method === 'GET' && p === '/containers/json') {
      const filters = JSON.parse(u.searchParams.get('filters') ?? '{}') as { label?: string[] };
      const list = [...containers.values()].filter((c) => (filters.label ?? []).every((l) => c.Labels[l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1)));
      return json(res, 200, list);
    }
    if ((m = /^\/containers\/(\w+)\/start$/.exec(p)) && req.method === 'POST') {
      const c = containers.get(m[1]!);
      if (!c) return json(res, 404, { message: 'no such container' });
      c.State = 'running';
      return json(res, 204);
    }
    if ((m = /^\/containers\/(\w+)\/json$/.exec(p)) && req.method === 'GET') {
      const c = containers.get(m[1]!);
      if (!c) return json(res, 404, { message: 'no such container' });
      return json(res, 200, { Id: c.Id, NetworkSettings: { Ports: { '8080/tcp': c.State === 'running' ? [{ HostIp: '127.0.0.1', HostPort: String(c.hostPort) }] : null } } });
    }
    if ((m = /^\/containers\/(\w+)\/stop$/.exec(p)) && req.method === 'POST') {
      const c = containers.get(m[1]!);
      if (!c) return json(res, 404, { message: 'no such container' });
      c.State = 'exited';
      return json(res, 204);
    }
    if ((m = /^\/containers\/(\w+)$/.exec(p)) && req.method === 'DELETE') {
      return json(res, containers.delete(m[1]!) ? 204 : 404);
    }
    json(res, 404, { message: `unknown ${req.method} ${p}` });
  };
}
