import type { APIRequestContext } from '@playwright/test';

/**
 * tRPC over plain HTTP with a request context's cookies (a page's `page.request` shares the
 * page's session), for setting up data and checking what the server stored.
 */
async function unwrap<T>(path: string, res: Awaited<ReturnType<APIRequestContext['get']>>): Promise<T> {
  const text = await res.text();
  let body: { result?: { data: T }; error?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`${path}: HTTP ${res.status()} ${text.slice(0, 500)}`);
  }
  if (!body.result) throw new Error(`${path}: HTTP ${res.status()} ${JSON.stringify(body.error)}`);
  return body.result.data;
}

export async function trpcQuery<T = unknown>(api: APIRequestContext, path: string, input?: unknown): Promise<T> {
  const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  return unwrap<T>(path, await api.get(`/api/trpc/${path}${query}`));
}

export async function trpcMutation<T = unknown>(api: APIRequestContext, path: string, input?: unknown): Promise<T> {
  return unwrap<T>(path, await api.post(`/api/trpc/${path}`, input === undefined ? {} : { data: input }));
}
