'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '../lib/trpc';
import { Field } from './field';
import { NumberField } from './number-field';

/** Where the plain-HTTP redirect points: `$host` carries the port the client typed, so only a listener on 443 has a clean https URL. */
export const HTTPS_DEFAULT_PORT = 443;

/**
 * An https listener's TLS: the certificates it serves by SNI (the first checked is the default),
 * the lowest TLS version, HTTP/2 through ALPN, and optionally a plain-HTTP listener that
 * redirects every request to it.
 */
export function ListenerTlsFields({ errors, httpsPort }: { errors: Record<string, string[]>; httpsPort: number | undefined }) {
  const trpc = useTRPC();
  const certificates = useQuery(trpc.certificates.list.queryOptions({}));
  const canRedirect = httpsPort === HTTPS_DEFAULT_PORT;
  return (
    <fieldset className="tls-fields">
      <legend>TLS</legend>
      <div className="field" data-field="tls.certificateIds">
        <span className="label">Certificates (served by SNI; the first checked is the default)</span>
        {certificates.data?.length === 0 && (
          <p className="muted">
            No certificates yet: <Link href="/certificates">upload one</Link> first.
          </p>
        )}
        <fieldset className="checks" aria-label="Certificates">
          {certificates.data?.map((c) => (
            <label key={c.id} className="check">
              <input type="checkbox" name="tls.certificateIds" value={c.id} />
              {c.name}{' '}
              <span className="muted">
                ({c.names.join(', ')}; until {new Date(c.notAfter).toLocaleDateString()})
              </span>
            </label>
          ))}
        </fieldset>
        {errors['tls.certificateIds']?.[0] && (
          <span className="field-error" role="alert">
            {errors['tls.certificateIds'][0]}
          </span>
        )}
      </div>
      <div className="grid">
        <Field label="Minimum TLS version" name="tls.minVersion" errors={errors}>
          <select name="tls.minVersion" defaultValue="TLSv1.2">
            <option value="TLSv1.2">TLS 1.2</option>
            <option value="TLSv1.3">TLS 1.3</option>
          </select>
        </Field>
        <Field label="HTTP/2 (ALPN h2)" name="tls.http2" errors={errors} hint="Clients that offer h2 speak HTTP/2; backends stay HTTP/1.1">
          <input type="checkbox" name="tls.http2" />
        </Field>
        <Field
          label="Also redirect plain HTTP here"
          name="redirectHttp"
          errors={errors}
          hint={
            canRedirect ? 'Adds an http listener whose every request gets 308 to https://<host><path>' : `Needs this listener on port ${HTTPS_DEFAULT_PORT} (the client's Host keeps the port it typed)`
          }
        >
          <input type="checkbox" name="redirectHttp" disabled={!canRedirect} />
        </Field>
        {canRedirect && <NumberField label="Plain HTTP port" name="redirectHttpPort" errors={errors} defaultValue={80} min={1} max={65535} />}
      </div>
    </fieldset>
  );
}
