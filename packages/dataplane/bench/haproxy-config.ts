/**
 * The HAProxy every bench row measures: one thread, `http-reuse always`, round robin over the
 * backends; `bind` is the frontend's bind line (address, and TLS settings for the https rows).
 */
export function haproxyConfig(bind: string, backendPorts: number[]): string {
  return `global
  nbthread 1
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always
frontend fe
  bind ${bind}
  default_backend be
backend be
  balance roundrobin
${backendPorts.map((p, i) => `  server s${i} 127.0.0.1:${p}`).join('\n')}
`;
}
