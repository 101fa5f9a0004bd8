'use client';

import { ALGORITHMS, ALGORITHM_DESCRIPTIONS, type TPoolConfig, type TPoolConfigInput, ZPoolConfig } from '@fulcrum/protocol';
import { type ReactNode, useState } from 'react';
import { foldListErrors } from '../lib/field-errors';
import { listOf, numberOf, textOf } from '../lib/form-values';
import { useSchemaSubmit } from '../lib/use-schema-submit';
import { Field } from './field';
import { FormErrorSummary } from './form-error-summary';
import { NumberField } from './number-field';

/** Reads the form into the shape ZPoolConfig validates, so the server and the form agree. */
export function readForm(form: FormData): TPoolConfigInput {
  return {
    name: String(form.get('name') ?? ''),
    protocol: textOf(form.get('protocol')) as TPoolConfigInput['protocol'],
    listenHost: textOf(form.get('listenHost')),
    listenPort: numberOf(form.get('listenPort')),
    algorithm: textOf(form.get('algorithm')) as TPoolConfigInput['algorithm'],
    hashKey: { source: textOf(form.get('hashKey.source')) as 'client_ip', name: textOf(form.get('hashKey.name')) },
    healthCheck: {
      enabled: form.get('healthCheck.enabled') === 'on',
      type: textOf(form.get('healthCheck.type')) as 'http' | undefined,
      path: textOf(form.get('healthCheck.path')),
      expectedStatusMin: numberOf(form.get('healthCheck.expectedStatusMin')),
      expectedStatusMax: numberOf(form.get('healthCheck.expectedStatusMax')),
      bodyContains: textOf(form.get('healthCheck.bodyContains')),
      intervalMs: numberOf(form.get('healthCheck.intervalMs')),
      timeoutMs: numberOf(form.get('healthCheck.timeoutMs')),
      rise: numberOf(form.get('healthCheck.rise')),
      fall: numberOf(form.get('healthCheck.fall')),
    },
    timeouts: {
      connectMs: numberOf(form.get('timeouts.connectMs')),
      firstByteMs: numberOf(form.get('timeouts.firstByteMs')),
      idleMs: numberOf(form.get('timeouts.idleMs')),
      tunnelMs: numberOf(form.get('timeouts.tunnelMs')),
    },
    retries: { attempts: numberOf(form.get('retries.attempts')), on5xx: form.get('retries.on5xx') === 'on', budgetPercent: numberOf(form.get('retries.budgetPercent')) },
    stickiness: {
      mode: textOf(form.get('stickiness.mode')) as 'none',
      cookieName: textOf(form.get('stickiness.cookieName')),
      headerName: textOf(form.get('stickiness.headerName')),
      ttlSeconds: numberOf(form.get('stickiness.ttlSeconds')),
    },
    outlierDetection: {
      enabled: form.get('outlierDetection.enabled') === 'on',
      consecutiveErrors: numberOf(form.get('outlierDetection.consecutiveErrors')),
      baseEjectionMs: numberOf(form.get('outlierDetection.baseEjectionMs')),
      maxEjectionPercent: numberOf(form.get('outlierDetection.maxEjectionPercent')),
    },
    slowStartMs: numberOf(form.get('slowStartMs')),
    responseTimeAlpha: numberOf(form.get('responseTimeAlpha')),
    drainTimeoutMs: numberOf(form.get('drainTimeoutMs')),
    http: {
      headTimeoutMs: numberOf(form.get('http.headTimeoutMs')),
      maxHeadBytes: numberOf(form.get('http.maxHeadBytes')),
      maxHeaders: numberOf(form.get('http.maxHeaders')),
      trustedProxies: listOf(form.get('http.trustedProxies')),
      exposeErrorDetails: form.get('http.exposeErrorDetails') === 'on',
    },
    accessLog: {
      enabled: form.get('accessLog.enabled') === 'on',
      sampleRate: numberOf(form.get('accessLog.sampleRate')),
      format: textOf(form.get('accessLog.format')) as 'json' | undefined,
    },
  };
}

export interface PoolFormProps {
  initial?: TPoolConfig;
  submitLabel: string;
  disabled?: boolean;
  pending?: boolean;
  serverErrors?: Record<string, string[]>;
  onSubmit: (config: TPoolConfig) => void;
  /** Controls shown beside the submit button (the pool page's reason and Cancel). */
  extra?: ReactNode;
}

/** The pool's whole configuration, validated with the same schema as the API before it is sent. */
export function PoolForm({ initial, submitLabel, disabled, pending, serverErrors, onSubmit, extra }: PoolFormProps) {
  const { clientErrors, submit, formRef } = useSchemaSubmit(ZPoolConfig, readForm, onSubmit, serverErrors);
  const [algorithm, setAlgorithm] = useState(initial?.algorithm ?? 'round_robin');
  const errors = foldListErrors({ ...(serverErrors ?? {}), ...clientErrors }, 'http.trustedProxies', 'line');
  const d = initial ?? ZPoolConfig.parse({ name: 'x', listenPort: 8080 });

  const input = (name: string, value: string | undefined) => <input name={name} type="text" defaultValue={value ?? ''} disabled={disabled} aria-invalid={Boolean(errors[name])} />;

  return (
    <form ref={formRef} className="pool-form" onSubmit={submit} noValidate>
      <fieldset disabled={disabled}>
        <legend>Listener</legend>
        <div className="grid">
          <Field label="Name" name="name" errors={errors}>
            {input('name', initial?.name)}
          </Field>
          <Field label="Protocol" name="protocol" errors={errors}>
            <select name="protocol" defaultValue={d.protocol}>
              <option value="http">HTTP</option>
              <option value="tcp">TCP</option>
            </select>
          </Field>
          <Field label="Listen address" name="listenHost" errors={errors}>
            {input('listenHost', d.listenHost)}
          </Field>
          <NumberField
            label="Listen port"
            name="listenPort"
            errors={errors}
            hint="Makes the pool's own listener with one catch-all route; leave empty to reach it through a listener's routes"
            defaultValue={initial?.listenPort}
            optional
          />
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Balancing</legend>
        <div className="grid">
          <Field label="Algorithm" name="algorithm" errors={errors} hint={ALGORITHM_DESCRIPTIONS[algorithm]}>
            <select name="algorithm" value={algorithm} onChange={(e) => setAlgorithm(e.target.value as typeof algorithm)}>
              {ALGORITHMS.map((a) => (
                <option key={a} value={a}>
                  {a.replaceAll('_', ' ')}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Hash key" name="hashKey.source" errors={errors} hint="For consistent hashing">
            <select name="hashKey.source" defaultValue={d.hashKey.source}>
              <option value="client_ip">client IP</option>
              <option value="header">header</option>
              <option value="cookie">cookie</option>
              <option value="path">path</option>
            </select>
          </Field>
          <Field label="Hash header / cookie name" name="hashKey.name" errors={errors}>
            {input('hashKey.name', d.hashKey.name)}
          </Field>
          <NumberField label="Slow start (ms)" name="slowStartMs" errors={errors} defaultValue={d.slowStartMs} />
          <NumberField
            label="Response-time smoothing"
            name="responseTimeAlpha"
            errors={errors}
            hint="Least response time: weight of the newest sample, above 0 up to 1"
            step={0.05}
            min={0.05}
            max={1}
            defaultValue={d.responseTimeAlpha}
          />
          <NumberField label="Drain timeout (ms)" name="drainTimeoutMs" errors={errors} defaultValue={d.drainTimeoutMs} />
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>HTTP requests</legend>
        <div className="grid">
          <NumberField label="Head timeout (ms)" name="http.headTimeoutMs" errors={errors} hint="Whole request head, else 408" defaultValue={d.http.headTimeoutMs} />
          <NumberField label="Max head bytes" name="http.maxHeadBytes" errors={errors} hint="Larger heads get 431" defaultValue={d.http.maxHeadBytes} />
          <NumberField label="Max headers" name="http.maxHeaders" errors={errors} hint="More get 431" defaultValue={d.http.maxHeaders} />
          <Field label="Trusted proxies" name="http.trustedProxies" errors={errors} hint="CIDRs whose X-Forwarded-For is believed, one per line">
            <textarea name="http.trustedProxies" rows={2} defaultValue={d.http.trustedProxies.join('\n')} disabled={disabled} aria-invalid={Boolean(errors['http.trustedProxies'])} />
          </Field>
          <Field label="Name the failing backend in X-Fulcrum-Error" name="http.exposeErrorDetails" errors={errors}>
            <input name="http.exposeErrorDetails" type="checkbox" defaultChecked={d.http.exposeErrorDetails} />
          </Field>
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Health check</legend>
        <div className="grid">
          <Field label="Enabled" name="healthCheck.enabled" errors={errors}>
            <input name="healthCheck.enabled" type="checkbox" defaultChecked={d.healthCheck.enabled} />
          </Field>
          <Field label="Type" name="healthCheck.type" errors={errors}>
            <select name="healthCheck.type" defaultValue={d.healthCheck.type ?? ''}>
              <option value="">Follow the protocol (HTTP or TCP connect)</option>
              <option value="http">HTTP</option>
              <option value="tcp">TCP connect</option>
              <option value="postgres">PostgreSQL role (login set through the API: healthCheck.database)</option>
              <option value="mysql">MySQL/MariaDB role (login set through the API: healthCheck.database)</option>
            </select>
          </Field>
          <Field label="Path" name="healthCheck.path" errors={errors}>
            {input('healthCheck.path', d.healthCheck.path)}
          </Field>
          <NumberField label="Expected status from" name="healthCheck.expectedStatusMin" errors={errors} defaultValue={d.healthCheck.expectedStatusMin} />
          <NumberField label="Expected status to" name="healthCheck.expectedStatusMax" errors={errors} defaultValue={d.healthCheck.expectedStatusMax} />
          <Field label="Body contains" name="healthCheck.bodyContains" errors={errors}>
            {input('healthCheck.bodyContains', d.healthCheck.bodyContains)}
          </Field>
          <NumberField label="Interval (ms)" name="healthCheck.intervalMs" errors={errors} defaultValue={d.healthCheck.intervalMs} />
          <NumberField label="Timeout (ms)" name="healthCheck.timeoutMs" errors={errors} defaultValue={d.healthCheck.timeoutMs} />
          <NumberField label="Rise" name="healthCheck.rise" errors={errors} hint="Passes before healthy" defaultValue={d.healthCheck.rise} />
          <NumberField label="Fall" name="healthCheck.fall" errors={errors} hint="Failures before unhealthy" defaultValue={d.healthCheck.fall} />
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Outlier ejection</legend>
        <div className="grid">
          <Field label="Enabled" name="outlierDetection.enabled" errors={errors}>
            <input name="outlierDetection.enabled" type="checkbox" defaultChecked={d.outlierDetection.enabled} />
          </Field>
          <NumberField label="Consecutive errors" name="outlierDetection.consecutiveErrors" errors={errors} defaultValue={d.outlierDetection.consecutiveErrors} />
          <NumberField label="Base ejection (ms)" name="outlierDetection.baseEjectionMs" errors={errors} defaultValue={d.outlierDetection.baseEjectionMs} />
          <NumberField label="Max ejected %" name="outlierDetection.maxEjectionPercent" errors={errors} defaultValue={d.outlierDetection.maxEjectionPercent} />
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Timeouts and retries</legend>
        <div className="grid">
          <NumberField label="Connect (ms)" name="timeouts.connectMs" errors={errors} defaultValue={d.timeouts.connectMs} />
          <NumberField label="First byte (ms)" name="timeouts.firstByteMs" errors={errors} defaultValue={d.timeouts.firstByteMs} />
          <NumberField label="Idle (ms)" name="timeouts.idleMs" errors={errors} defaultValue={d.timeouts.idleMs} />
          <NumberField
            label="Tunnel (ms)"
            name="timeouts.tunnelMs"
            errors={errors}
            defaultValue={d.timeouts.tunnelMs}
            optional
            hint="WebSockets and other upgrades after their 101; empty: the idle timeout"
          />
          <NumberField label="Retry attempts" name="retries.attempts" errors={errors} defaultValue={d.retries.attempts} />
          <Field label="Retry idempotent 5xx" name="retries.on5xx" errors={errors}>
            <input name="retries.on5xx" type="checkbox" defaultChecked={d.retries.on5xx} />
          </Field>
          <NumberField label="Retry budget %" name="retries.budgetPercent" errors={errors} defaultValue={d.retries.budgetPercent} />
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Stickiness</legend>
        <div className="grid">
          <Field label="Mode" name="stickiness.mode" errors={errors}>
            <select name="stickiness.mode" defaultValue={d.stickiness.mode}>
              <option value="none">none</option>
              <option value="cookie">cookie set by the proxy</option>
              <option value="header">header</option>
            </select>
          </Field>
          <Field label="Cookie name" name="stickiness.cookieName" errors={errors}>
            {input('stickiness.cookieName', d.stickiness.cookieName)}
          </Field>
          <Field label="Header name" name="stickiness.headerName" errors={errors}>
            {input('stickiness.headerName', d.stickiness.headerName)}
          </Field>
          <NumberField label="TTL (s)" name="stickiness.ttlSeconds" errors={errors} defaultValue={d.stickiness.ttlSeconds} />
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Access log</legend>
        <p className="muted">Lines go where the data plane's --access-log points; errors are always written, ordinary requests at the sample rate.</p>
        <div className="grid">
          <Field label="Enabled" name="accessLog.enabled" errors={errors}>
            <input name="accessLog.enabled" type="checkbox" defaultChecked={d.accessLog.enabled} />
          </Field>
          <NumberField label="Sample rate (0–1)" name="accessLog.sampleRate" errors={errors} step={0.01} min={0} max={1} defaultValue={d.accessLog.sampleRate} />
          <Field label="Format" name="accessLog.format" errors={errors}>
            <select name="accessLog.format" defaultValue={d.accessLog.format}>
              <option value="json">JSON</option>
              <option value="combined">combined (NGINX/Apache)</option>
            </select>
          </Field>
        </div>
      </fieldset>
      <FormErrorSummary errors={errors} />
      <div className="form-actions">
        {extra}
        <button type="submit" className="primary" disabled={disabled || pending}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
