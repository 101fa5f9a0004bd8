'use client';

import { type TScalingMetric, type TScalingProvider, type TScalingRuleConfig, ZScalingRuleConfig } from '@fulcrum/protocol';
import { useState } from 'react';
import { numberOf, textOf } from '../lib/form-values';
import { useSchemaSubmit } from '../lib/use-schema-submit';
import { Field } from './field';

export const METRIC_LABELS: Record<TScalingMetric, string> = {
  rps_per_backend: 'requests/s per backend',
  p95_latency_ms: 'p95 latency (ms)',
  active_connections_per_backend: 'active connections per backend',
  error_rate: 'error rate (0–1)',
};

type ProviderKind = TScalingProvider['kind'];
export const PROVIDER_LABELS: Record<ProviderKind, string> = {
  process: 'local process',
  docker: 'Docker Engine',
  kubernetes: 'Kubernetes Deployment',
  webhook: 'webhook',
};

/** The fields each provider needs: [schema key, label, input type, hint]. */
const PROVIDER_FIELDS: Record<ProviderKind, [key: string, label: string, type: 'text' | 'number' | 'password', hint?: string][]> = {
  process: [
    ['command', 'Command', 'text', '{port} is replaced by the new instance’s port'],
    ['host', 'Instance address', 'text', 'Where the started process listens'],
    ['portRangeStart', 'First port', 'number'],
    ['portRangeEnd', 'Last port', 'number'],
  ],
  docker: [
    ['image', 'Image', 'text'],
    ['containerPort', 'Container port', 'number'],
    ['socketPath', 'Docker socket', 'text'],
    ['baseUrl', 'Engine API URL', 'text', 'Instead of the socket'],
    ['network', 'Network', 'text'],
  ],
  kubernetes: [
    ['apiUrl', 'Kubernetes API URL', 'text'],
    ['namespace', 'Namespace', 'text'],
    ['deployment', 'Deployment', 'text'],
    ['servicePort', 'Service port', 'number'],
    ['token', 'Bearer token', 'password', 'Write-only; leave as is to keep the stored one'],
  ],
  webhook: [
    ['url', 'Webhook URL', 'text', 'Receives POST { pool, rule, desired, current }'],
    ['secret', 'Signing secret', 'password', 'Write-only; leave as is to keep the stored one'],
  ],
};

const PROVIDER_DEFAULTS: Record<ProviderKind, Record<string, string | number>> = {
  process: { host: '127.0.0.1' },
  docker: { socketPath: '/var/run/docker.sock' },
  kubernetes: { namespace: 'default' },
  webhook: {},
};

const NUMERIC = new Set(Object.values(PROVIDER_FIELDS).flatMap((fields) => fields.filter((f) => f[2] === 'number').map((f) => f[0])));

const RULE_NUMBERS = ['scaleUpThreshold', 'scaleDownThreshold', 'windowMs', 'minInstances', 'maxInstances', 'step', 'cooldownMs'] as const;

/** Reads the form into the shape ZScalingRuleConfig validates, so the server and the form agree. */
function readForm(form: FormData): unknown {
  const kind = (textOf(form.get('provider.kind')) ?? 'webhook') as ProviderKind;
  const provider: Record<string, unknown> = { kind };
  for (const [key] of PROVIDER_FIELDS[kind]) provider[key] = NUMERIC.has(key) ? numberOf(form.get(`provider.${key}`)) : textOf(form.get(`provider.${key}`));
  return {
    name: String(form.get('name') ?? ''),
    enabled: form.get('enabled') === 'on',
    metric: textOf(form.get('metric')),
    ...Object.fromEntries(RULE_NUMBERS.map((key) => [key, numberOf(form.get(key))])),
    provider,
  };
}

export interface ScalingRuleFormProps {
  /** Names the form for assistive technology (and tests): "New scaling rule", "Edit rule cpu". */
  label: string;
  initial?: TScalingRuleConfig;
  submitLabel: string;
  disabled?: boolean;
  pending?: boolean;
  serverErrors?: Record<string, string[]>;
  onSubmit: (rule: TScalingRuleConfig) => void;
  onCancel?: () => void;
}

/** A scaling rule with its provider, validated with the same schema as the API before it is sent. */
export function ScalingRuleForm({ label, initial, submitLabel, disabled, pending, serverErrors, onSubmit, onCancel }: ScalingRuleFormProps) {
  const { clientErrors, submit } = useSchemaSubmit(ZScalingRuleConfig, readForm, onSubmit);
  const [kind, setKind] = useState<ProviderKind>(initial?.provider.kind ?? 'webhook');
  const errors = { ...(serverErrors ?? {}), ...clientErrors };

  const input = (name: string, value: string | number | undefined, type = 'text') => (
    <input name={name} type={type} defaultValue={value ?? ''} aria-invalid={Boolean(errors[name])} step={type === 'number' ? 'any' : undefined} />
  );
  const providerValue = (key: string) => {
    const stored = initial?.provider.kind === kind ? (initial.provider as Record<string, unknown>)[key] : undefined;
    return (stored as string | number | undefined) ?? PROVIDER_DEFAULTS[kind][key];
  };

  return (
    <form className="rule-form" aria-label={label} onSubmit={submit} noValidate>
      <fieldset disabled={disabled}>
        <legend>Rule</legend>
        <div className="grid">
          <Field label="Rule name" name="name" errors={errors}>
            {input('name', initial?.name)}
          </Field>
          <Field label="Metric" name="metric" errors={errors}>
            <select name="metric" defaultValue={initial?.metric ?? 'rps_per_backend'}>
              {Object.entries(METRIC_LABELS).map(([m, text]) => (
                <option key={m} value={m}>
                  {text}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Scale up above" name="scaleUpThreshold" errors={errors}>
            {input('scaleUpThreshold', initial?.scaleUpThreshold, 'number')}
          </Field>
          <Field label="Scale down below" name="scaleDownThreshold" errors={errors}>
            {input('scaleDownThreshold', initial?.scaleDownThreshold, 'number')}
          </Field>
          <Field label="Window (ms)" name="windowMs" errors={errors} hint="How long the metric stays past a threshold first">
            {input('windowMs', initial?.windowMs ?? 30_000, 'number')}
          </Field>
          <Field label="Rule enabled" name="enabled" errors={errors}>
            <input name="enabled" type="checkbox" defaultChecked={initial?.enabled ?? true} />
          </Field>
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Instances</legend>
        <div className="grid">
          <Field label="Min instances" name="minInstances" errors={errors}>
            {input('minInstances', initial?.minInstances ?? 1, 'number')}
          </Field>
          <Field label="Max instances" name="maxInstances" errors={errors}>
            {input('maxInstances', initial?.maxInstances ?? 10, 'number')}
          </Field>
          <Field label="Step" name="step" errors={errors} hint="Instances added or removed at once">
            {input('step', initial?.step ?? 1, 'number')}
          </Field>
          <Field label="Cooldown (ms)" name="cooldownMs" errors={errors} hint="Quiet time after each action">
            {input('cooldownMs', initial?.cooldownMs ?? 60_000, 'number')}
          </Field>
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Provider</legend>
        <div className="grid">
          <Field label="Provider" name="provider.kind" errors={errors}>
            <select name="provider.kind" value={kind} onChange={(e) => setKind(e.target.value as ProviderKind)}>
              {Object.entries(PROVIDER_LABELS).map(([k, text]) => (
                <option key={k} value={k}>
                  {text}
                </option>
              ))}
            </select>
          </Field>
          {PROVIDER_FIELDS[kind].map(([key, text, type, hint]) => (
            <Field key={`${kind}.${key}`} label={text} name={`provider.${key}`} errors={errors} hint={hint}>
              {input(`provider.${key}`, providerValue(key), type)}
            </Field>
          ))}
        </div>
      </fieldset>
      {errors._ && <p className="error">{errors._[0]}</p>}
      <div className="actions-row">
        <button type="submit" className="primary" disabled={disabled || pending}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
