import type { IncomingHttpHeaders } from 'node:http';

/** Node's header object as a fetch `Headers`, which the context reads. */
export function headersFromNode(headers: IncomingHttpHeaders): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(headers)) {
    if (Array.isArray(v)) v.forEach((x) => h.append(k, x));
    else if (v !== undefined) h.set(k, v);
  }
  return h;
}
