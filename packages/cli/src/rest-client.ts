import { type TFieldErrors, flattenZodIssues } from '@fulcrum/protocol';
import type { z } from 'zod';
import { ApiError } from './errors';

interface ErrorBody {
  message?: string;
  data?: { fieldErrors?: TFieldErrors | null };
  issues?: Parameters<typeof flattenZodIssues>[0];
}

/** The REST API at `<url>/api/v1` with a bearer token; every answer is checked against its schema. */
export class RestClient {
  readonly base: string;

  constructor(
    url: string,
    private readonly token: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    const trimmed = url.replace(/\/+$/, '');
    this.base = trimmed.endsWith('/api/v1') ? trimmed : `${trimmed}/api/v1`;
  }

  async request<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      const hint = /certificate/i.test(cause) ? ' (--ca FILE trusts the CA that issued it)' : '';
      throw new ApiError(0, `cannot reach ${this.base}: ${cause}${hint}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError(res.status, `${method} ${path} answered with something other than JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const e = (json ?? {}) as ErrorBody;
      const fieldErrors = e.data?.fieldErrors ?? (e.issues ? flattenZodIssues(e.issues) : {});
      throw new ApiError(res.status, e.message ?? res.statusText, fieldErrors);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ApiError(res.status, `unexpected answer from ${method} ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data;
  }
}
