'use client';

import { ALGORITHMS, ALGORITHM_DESCRIPTIONS, type TPoolConfig, type TPoolConfigInput, ZPoolConfig } from '@fulcrum/protocol';
import { useState } from 'react';
import { foldListErrors } from '../lib/field-errors';
import { listOf, numberOf, textOf } from '../lib/form-values';
import { useSchemaSubmit } from '../lib/use-schema-submit';
import { Field } from './field';

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
    timeouts: { connectMs: numberOf(form.get('timeouts.connectMs')), firstByteMs: numberOf(form.get('timeouts.firstByteMs')), idleMs: numberOf(form.get('timeouts.idleMs')) },
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
}

/** The pool's whole configuration, validated with the same schema as the API before it is sent. */
export function PoolForm({ initial, submitLabel, disabled, pending, serverErrors, onSubmit }: PoolFormProps) {
  const { clientErrors, submit } = useSchemaSubmit(ZPoolConfig, readForm, onSubmit);
  const [algorithm, setAlgorithm] = useState(initial?.algorithm ?? 'round_robin');
  const errors = foldListErrors({ ...(serverErrors ?? {}), ...clientErrors }, 'http.trustedProxies', 'line');
  const d = initial ?? ZPoolConfig.parse({ name: 'x', listenPort: 8080 });

  const input = (name: string, value: string | number | undefined, type = 'text') => (
    <input name={name} type={type} defaultValue={value ?? ''} disabled={disabled} aria-invalid={Boolean(errors[name])} />
  );

  return (
    <form className="pool-form" onSubmit={submit} noValidate>
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
          <Field label="Listen port" name="listenPort" errors={errors} hint="Makes the pool's own listener with one catch-all route; leave empty to reach it through a listener's routes">
            {input('listenPort', initial?.listenPort, 'number')}
          </Field>
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
          <Field label="Slow start (ms)" name="slowStartMs" errors={errors}>
            {input('slowStartMs', d.slowStartMs, 'number')}
          </Field>
          <Field label="Response-time smoothing" name="responseTimeAlpha" errors={errors} hint="Least response time: weight of the newest sample, above 0 up to 1">
            <input name="responseTimeAlpha" type="number" step="0.05" min="0.05" max="1" defaultValue={d.responseTimeAlpha} disabled={disabled} aria-invalid={Boolean(errors.responseTimeAlpha)} />
          </Field>
          <Field label="Drain timeout (ms)" name="drainTimeoutMs" errors={errors}>
            {input('drainTimeoutMs', d.drainTimeoutMs, 'number')}
          </Field>
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>HTTP requests</legend>
        <div className="grid">
          <Field label="Head timeout (ms)" name="http.headTimeoutMs" errors={errors} hint="Whole request head, else 408">
            {input('http.headTimeoutMs', d.http.headTimeoutMs, 'number')}
          </Field>
          <Field label="Max head bytes" name="http.maxHeadBytes" errors={errors} hint="Larger heads get 431">
            {input('http.maxHeadBytes', d.http.maxHeadBytes, 'number')}
          </Field>
          <Field label="Max headers" name="http.maxHeaders" errors={errors} hint="More get 431">
            {input('http.maxHeaders', d.http.maxHeaders, 'number')}
          </Field>
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
          <Field label="Expected status from" name="healthCheck.expectedStatusMin" errors={errors}>
            {input('healthCheck.expectedStatusMin', d.healthCheck.expectedStatusMin, 'number')}
          </Field>
          <Field label="Expected status to" name="healthCheck.expectedStatusMax" errors={errors}>
            {input('healthCheck.expectedStatusMax', d.healthCheck.expectedStatusMax, 'number')}
          </Field>
          <Field label="Body contains" name="healthCheck.bodyContains" errors={errors}>
            {input('healthCheck.bodyContains', d.healthCheck.bodyContains)}
          </Field>
          <Field label="Interval (ms)" name="healthCheck.intervalMs" errors={errors}>
            {input('healthCheck.intervalMs', d.healthCheck.intervalMs, 'number')}
          </Field>
          <Field label="Timeout (ms)" name="healthCheck.timeoutMs" errors={errors}>
            {input('healthCheck.timeoutMs', d.healthCheck.timeoutMs, 'number')}
          </Field>
          <Field label="Rise" name="healthCheck.rise" errors={errors} hint="Passes before healthy">
            {input('healthCheck.rise', d.healthCheck.rise, 'number')}
          </Field>
          <Field label="Fall" name="healthCheck.fall" errors={errors} hint="Failures before unhealthy">
            {input('healthCheck.fall', d.healthCheck.fall, 'number')}
          </Field>
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Outlier ejection</legend>
        <div className="grid">
          <Field label="Enabled" name="outlierDetection.enabled" errors={errors}>
            <input name="outlierDetection.enabled" type="checkbox" defaultChecked={d.outlierDetection.enabled} />
          </Field>
          <Field label="Consecutive errors" name="outlierDetection.consecutiveErrors" errors={errors}>
            {input('outlierDetection.consecutiveErrors', d.outlierDetection.consecutiveErrors, 'number')}
          </Field>
          <Field label="Base ejection (ms)" name="outlierDetection.baseEjectionMs" errors={errors}>
            {input('outlierDetection.baseEjectionMs', d.outlierDetection.baseEjectionMs, 'number')}
          </Field>
          <Field label="Max ejected %" name="outlierDetection.maxEjectionPercent" errors={errors}>
            {input('outlierDetection.maxEjectionPercent', d.outlierDetection.maxEjectionPercent, 'number')}
          </Field>
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Timeouts and retries</legend>
        <div className="grid">
          <Field label="Connect (ms)" name="timeouts.connectMs" errors={errors}>
            {input('timeouts.connectMs', d.timeouts.connectMs, 'number')}
          </Field>
          <Field label="First byte (ms)" name="timeouts.firstByteMs" errors={errors}>
            {input('timeouts.firstByteMs', d.timeouts.firstByteMs, 'number')}
          </Field>
          <Field label="Idle (ms)" name="timeouts.idleMs" errors={errors}>
            {input('timeouts.idleMs', d.timeouts.idleMs, 'number')}
          </Field>
          <Field label="Retry attempts" name="retries.attempts" errors={errors}>
            {input('retries.attempts', d.retries.attempts, 'number')}
          </Field>
          <Field label="Retry idempotent 5xx" name="retries.on5xx" errors={errors}>
            <input name="retries.on5xx" type="checkbox" defaultChecked={d.retries.on5xx} />
          </Field>
          <Field label="Retry budget %" name="retries.budgetPercent" errors={errors}>
            {input('retries.budgetPercent', d.retries.budgetPercent, 'number')}
          </Field>
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
          <Field label="TTL (s)" name="stickiness.ttlSeconds" errors={errors}>
            {input('stickiness.ttlSeconds', d.stickiness.ttlSeconds, 'number')}
          </Field>
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Access log</legend>
        <p className="muted">Lines go where the data plane's --access-log points; errors are always written, ordinary requests at the sample rate.</p>
        <div className="grid">
          <Field label="Enabled" name="accessLog.enabled" errors={errors}>
            <input name="accessLog.enabled" type="checkbox" defaultChecked={d.accessLog.enabled} />
          </Field>
          <Field label="Sample rate (0–1)" name="accessLog.sampleRate" errors={errors}>
            <input name="accessLog.sampleRate" type="number" step="0.01" min="0" max="1" defaultValue={d.accessLog.sampleRate} aria-invalid={Boolean(errors['accessLog.sampleRate'])} />
          </Field>
          <Field label="Format" name="accessLog.format" errors={errors}>
            <select name="accessLog.format" defaultValue={d.accessLog.format}>
              <option value="json">JSON</option>
              <option value="combined">combined (NGINX/Apache)</option>
            </select>
          </Field>
        </div>
      </fieldset>
      {errors._ && <p className="error">{errors._[0]}</p>}
      <button type="submit" className="primary" disabled={disabled || pending}>
        {submitLabel}
      </button>
    </form>
  );
}
