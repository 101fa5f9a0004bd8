'use client';

import { type TProviderKind, type TProviderProfileRecord, type TScalingMetric, type TScalingRuleConfig, type TScalingRuleRecord, ZScalingRuleConfig } from '@fulcrum/protocol';
import { useState } from 'react';
import { numberOf, textOf } from '../lib/form-values';
import { useSchemaSubmit } from '../lib/use-schema-submit';
import { Field } from './field';
import { FormErrorSummary } from './form-error-summary';
import { NumberField } from './number-field';

export const METRIC_LABELS: Record<TScalingMetric, string> = {
  rps_per_backend: 'requests/s per backend',
  p95_latency_ms: 'p95 latency (ms)',
  active_connections_per_backend: 'active connections per backend',
  error_rate: 'error rate (0–1)',
  cpu_percent: 'CPU % per instance (from the provider)',
};

export const PROVIDER_LABELS: Record<TProviderKind, string> = {
  process: 'local process',
  docker: 'Docker Engine',
  kubernetes: 'Kubernetes Deployment',
  webhook: 'webhook',
};

const RULE_NUMBERS = ['scaleUpThreshold', 'scaleDownThreshold', 'windowMs', 'minInstances', 'maxInstances', 'step', 'cooldownMs'] as const;

/**
 * Reads the form into the shape ZScalingRuleConfig validates, so the server and the form agree.
 * The provider is a profile an admin declared plus values for its parameters, nothing else.
 */
function readForm(form: FormData): unknown {
  const params: Record<string, string> = {};
  for (const [key, value] of form.entries()) {
    if (key.startsWith('provider.params.') && value !== '') params[key.slice('provider.params.'.length)] = String(value);
  }
  const provider = { profile: textOf(form.get('provider.profile')) ?? '', params };
  return {
    name: String(form.get('name') ?? ''),
    enabled: form.get('enabled') === 'on',
    metric: textOf(form.get('metric')),
    ...Object.fromEntries(RULE_NUMBERS.map((key) => [key, numberOf(form.get(key))])),
    recovery: { enabled: form.get('recovery.enabled') === 'on', minHealthy: numberOf(form.get('recovery.minHealthy')), unhealthyAfterMs: numberOf(form.get('recovery.unhealthyAfterMs')) },
    provider,
  };
}

export interface ScalingRuleFormProps {
  /** Names the form for assistive technology (and tests): "New scaling rule", "Edit rule cpu". */
  label: string;
  /** A stored rule's settings; its provider is null when it was made before provider profiles. */
  initial?: TScalingRuleRecord['config'];
  /** What an admin declared; a rule can only pick one of these. */
  profiles: TProviderProfileRecord[];
  submitLabel: string;
  disabled?: boolean;
  pending?: boolean;
  serverErrors?: Record<string, string[]>;
  onSubmit: (rule: TScalingRuleConfig) => void;
  onCancel?: () => void;
}

/** A scaling rule with its provider, validated with the same schema as the API before it is sent. */
export function ScalingRuleForm({ label, initial, profiles, submitLabel, disabled, pending, serverErrors, onSubmit, onCancel }: ScalingRuleFormProps) {
  const { clientErrors, submit, formRef } = useSchemaSubmit(ZScalingRuleConfig, readForm, onSubmit, serverErrors);
  const [profileId, setProfileId] = useState<string>(initial?.provider?.profile ?? '');
  const errors = { ...(serverErrors ?? {}), ...clientErrors };
  const profile = profiles.find((p) => p.id === profileId || p.name === profileId);
  const paramValue = (name: string) => (initial?.provider && initial.provider.profile === profile?.id ? initial.provider.params[name] : undefined);

  const input = (name: string, value: string | number | undefined, type = 'text') => (
    <input name={name} type={type} defaultValue={value ?? ''} aria-invalid={Boolean(errors[name])} step={type === 'number' ? 'any' : undefined} />
  );

  return (
    <form ref={formRef} className="rule-form" aria-label={label} onSubmit={submit} noValidate>
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
          <NumberField label="Scale up above" name="scaleUpThreshold" errors={errors} defaultValue={initial?.scaleUpThreshold} step="any" />
          <NumberField label="Scale down below" name="scaleDownThreshold" errors={errors} defaultValue={initial?.scaleDownThreshold} step="any" />
          <NumberField label="Window (ms)" name="windowMs" errors={errors} hint="How long the metric stays past a threshold first" defaultValue={initial?.windowMs ?? 30_000} step="any" />
          <Field label="Rule enabled" name="enabled" errors={errors}>
            <input name="enabled" type="checkbox" defaultChecked={initial?.enabled ?? true} />
          </Field>
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Instances</legend>
        <div className="grid">
          <NumberField label="Min instances" name="minInstances" errors={errors} defaultValue={initial?.minInstances ?? 1} step="any" />
          <NumberField label="Max instances" name="maxInstances" errors={errors} defaultValue={initial?.maxInstances ?? 10} step="any" />
          <NumberField label="Step" name="step" errors={errors} hint="Instances added or removed at once" defaultValue={initial?.step ?? 1} step="any" />
          <NumberField label="Cooldown (ms)" name="cooldownMs" errors={errors} hint="Quiet time after each action" defaultValue={initial?.cooldownMs ?? 60_000} step="any" />
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Recovery</legend>
        <div className="grid">
          <Field
            label="Replace broken instances"
            name="recovery.enabled"
            errors={errors}
            hint="One that exited, or failed the pool's health check for a while, is replaced: new one healthy and joined first"
          >
            <input name="recovery.enabled" type="checkbox" defaultChecked={initial?.recovery?.enabled ?? true} />
          </Field>
          <NumberField
            label="Min healthy"
            name="recovery.minHealthy"
            errors={errors}
            hint="Instances kept in service; empty: the minimum above"
            defaultValue={initial?.recovery?.minHealthy}
            optional
            step="any"
          />
          <NumberField
            label="Unhealthy for (ms)"
            name="recovery.unhealthyAfterMs"
            errors={errors}
            hint="How long an instance fails its health check before it is replaced"
            defaultValue={initial?.recovery?.unhealthyAfterMs ?? 10_000}
            step="any"
          />
        </div>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Provider</legend>
        {profiles.length === 0 && <p className="muted">No provider profiles yet: an admin declares what scaling may run or call under Settings → Provider profiles.</p>}
        <div className="grid">
          <Field
            label="Provider profile"
            name="provider.profile"
            errors={errors}
            hint={profile ? `${PROVIDER_LABELS[profile.kind]}${profile.description ? ` — ${profile.description}` : ''}` : 'Declared by an admin'}
          >
            <select name="provider.profile" value={profile?.id ?? ''} onChange={(e) => setProfileId(e.target.value)}>
              <option value="">choose a profile…</option>
              {profiles.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({PROVIDER_LABELS[p.kind]})
                </option>
              ))}
            </select>
          </Field>
          {profile?.spec.parameters.map((p) => (
            <Field
              key={`${profile.id}.${p.name}`}
              label={p.name}
              name={`provider.params.${p.name}`}
              errors={errors}
              hint={[p.description, p.type === 'string' ? `matches ${p.pattern}` : `${p.min}–${p.max}`].filter(Boolean).join('; ')}
            >
              {input(`provider.params.${p.name}`, paramValue(p.name) ?? (p.default === undefined ? undefined : String(p.default)), p.type === 'integer' ? 'number' : 'text')}
            </Field>
          ))}
        </div>
      </fieldset>
      <FormErrorSummary errors={errors} />
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
