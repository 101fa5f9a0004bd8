import { type TPoolConfig, ZPoolConfig } from '@fulcrum/protocol';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { PoolForm, readForm } from './pool-form';

/**
 * What a browser would submit for the rendered form untouched: every named control's default
 * (inputs' value, checked checkboxes, selects' selected option, textareas' text), as FormData.
 */
function submittedDefaults(html: string): FormData {
  const decodeEntities = (s: string) => s.replaceAll('&quot;', '"').replaceAll('&#x27;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
  const attr = (tag: string, name: string) => {
    const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
    return m ? decodeEntities(m[1]!) : undefined;
  };
  const data = new FormData();
  for (const [tag] of html.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(tag, 'name');
    if (!name) continue;
    if (attr(tag, 'type') === 'checkbox') {
      if (/\schecked=""/.test(tag)) data.append(name, 'on');
    } else data.append(name, attr(tag, 'value') ?? '');
  }
  for (const [, open, body] of html.matchAll(/(<select\b[^>]*>)([\s\S]*?)<\/select>/g)) {
    const name = attr(open!, 'name');
    const selected = /<option\b[^>]*\sselected=""[^>]*>/.exec(body!)?.[0] ?? /<option\b[^>]*>/.exec(body!)?.[0];
    if (name && selected) data.append(name, attr(selected, 'value') ?? '');
  }
  for (const [, open, body] of html.matchAll(/(<textarea\b[^>]*>)([\s\S]*?)<\/textarea>/g)) {
    const name = attr(open!, 'name');
    if (name) data.append(name, decodeEntities(body!).replace(/^\n/, ''));
  }
  return data;
}

const roundTrip = (config: TPoolConfig) => ZPoolConfig.parse(readForm(submittedDefaults(renderToStaticMarkup(<PoolForm initial={config} submitLabel="Save" onSubmit={() => {}} />))));

describe('PoolForm', () => {
  it('submits every setting of a pool unchanged when the operator edits nothing (no field falls back to a default)', () => {
    const config = ZPoolConfig.parse({
      name: 'shop',
      protocol: 'http',
      listenHost: '127.0.0.2',
      listenPort: 18080,
      algorithm: 'least_response_time',
      hashKey: { source: 'header', name: 'x-user' },
      healthCheck: { enabled: false, type: 'http', path: '/healthz', expectedStatusMin: 200, expectedStatusMax: 204, bodyContains: 'ok', intervalMs: 3000, timeoutMs: 900, rise: 3, fall: 4 },
      outlierDetection: { enabled: false, consecutiveErrors: 7, baseEjectionMs: 12_000, maxEjectionPercent: 30 },
      timeouts: { connectMs: 1500, firstByteMs: 20_000, idleMs: 45_000 },
      retries: { attempts: 1, on5xx: true, budgetPercent: 15 },
      stickiness: { mode: 'cookie', cookieName: 'SID', headerName: 'x-sticky', ttlSeconds: 600 },
      slowStartMs: 5000,
      responseTimeAlpha: 0.5,
      drainTimeoutMs: 10_000,
      http: { headTimeoutMs: 5000, maxHeadBytes: 32_768, maxHeaders: 64, trustedProxies: ['10.0.0.0/8', '192.168.1.1', '2001:db8::/32'], exposeErrorDetails: true },
    });
    expect(roundTrip(config)).toEqual(config);
  });

  it('keeps the defaults of a new pool', () => {
    const config = ZPoolConfig.parse({ name: 'fresh', listenPort: 8080 });
    expect(roundTrip(config)).toEqual(config);
  });
});
