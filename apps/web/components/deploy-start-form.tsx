'use client';

import { type TDeployStart, type TFieldErrors, ZDeployStart } from '@fulcrum/protocol';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { parseBackendLines, parseNumberList } from '../lib/backend-lines';
import { foldListErrors } from '../lib/field-errors';
import { numberOf, textOf } from '../lib/form-values';
import { useSession } from '../lib/session';
import { useToast } from '../lib/toast';
import { describeError, fieldErrorsOf, useTRPC } from '../lib/trpc';
import { useSchemaSubmit } from '../lib/use-schema-submit';
import { Field } from './field';
import { FormErrorSummary } from './form-error-summary';
import { NumberField } from './number-field';

const DEFAULTS = ZDeployStart.parse({ version: 'x', backends: [{ host: '127.0.0.1', port: 1 }] });

/** The lists typed into one input each show their items' errors there. */
const foldErrors = (errors: TFieldErrors) => foldListErrors(foldListErrors(errors, 'backends', 'line'), 'steps', 'step');

/** Reads the form into the shape ZDeployStart validates, so the server and the form agree. */
function readForm(form: FormData, strategy: TDeployStart['strategy']): unknown {
  return {
    version: String(form.get('version') ?? ''),
    backends: strategy === 'rolling' ? undefined : parseBackendLines(String(form.get('backends') ?? '')),
    strategy,
    rule: strategy === 'rolling' ? textOf(form.get('rule')) : undefined,
    maxSurge: strategy === 'rolling' ? numberOf(form.get('maxSurge')) : undefined,
    maxUnavailable: strategy === 'rolling' ? numberOf(form.get('maxUnavailable')) : undefined,
    steps: strategy === 'canary' ? parseNumberList(String(form.get('steps') ?? '')) : undefined,
    stepPauseMs: numberOf(form.get('stepPauseMs')),
    maxErrorRate: numberOf(form.get('maxErrorRate')),
    minRequests: numberOf(form.get('minRequests')),
    healthyTimeoutMs: numberOf(form.get('healthyTimeoutMs')),
    drainTimeoutMs: numberOf(form.get('drainTimeoutMs')),
    idempotencyKey: textOf(form.get('idempotencyKey')),
  };
}

/** Starts a rollout of a new version on the pool, as CI does over the API. */
export function DeployStartForm({ poolId, onStarted }: { poolId: string; onStarted: (deployId: string) => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const { canWrite } = useSession();
  const [strategy, setStrategy] = useState<TDeployStart['strategy']>('canary');
  const [serverErrors, setServerErrors] = useState<TFieldErrors>({});
  const start = useMutation(
    trpc.deploys.start.mutationOptions({
      onSuccess: async (d) => {
        toast('ok', `Deploy of ${d.versionLabel} started`);
        onStarted(d.id);
        await qc.invalidateQueries(trpc.deploys.pathFilter());
      },
      onError: (err) => {
        setServerErrors(fieldErrorsOf(err));
        toast('error', describeError(err));
        focusFirstError();
      },
    }),
  );
  const { clientErrors, submit, formRef, focusFirstError } = useSchemaSubmit(
    ZDeployStart,
    (form) => readForm(form, strategy),
    (spec) => {
      setServerErrors({});
      start.mutate({ pool: poolId, ...spec });
    },
  );
  const errors = foldErrors({ ...serverErrors, ...clientErrors });

  return (
    <form ref={formRef} className="deploy-form" aria-label="Start a deploy" onSubmit={submit} noValidate>
      <fieldset disabled={!canWrite}>
        <legend>Start a deploy</legend>
        <div className="grid">
          <Field label="Version" name="version" errors={errors}>
            <input name="version" placeholder="v2.4.1" />
          </Field>
          {strategy !== 'rolling' && (
            <Field label="New backends" name="backends" errors={errors} hint="address:port, one a line; an optional weight after a space">
              <textarea name="backends" rows={3} placeholder={'10.0.0.21:8080\n10.0.0.22:8080'} />
            </Field>
          )}
          <Field label="Strategy" name="strategy" errors={errors}>
            <select name="strategy" value={strategy} onChange={(e) => setStrategy(e.target.value as TDeployStart['strategy'])}>
              <option value="canary">canary (shift weight in steps)</option>
              <option value="bluegreen">blue/green (switch at once)</option>
              <option value="rolling">rolling (the pool's provider starts the new version)</option>
            </select>
          </Field>
          {strategy === 'rolling' && (
            <>
              <Field label="Scaling rule" name="rule" errors={errors} hint="Whose provider profile starts {version}; empty when the pool has one">
                <input name="rule" />
              </Field>
              <NumberField label="Max surge" name="maxSurge" errors={errors} hint="New instances started at once beyond the current count" defaultValue={DEFAULTS.maxSurge} />
              <NumberField
                label="Max unavailable"
                name="maxUnavailable"
                errors={errors}
                hint="Old instances that may go before their replacements pass health"
                defaultValue={DEFAULTS.maxUnavailable}
              />
            </>
          )}
          {strategy === 'canary' && (
            <Field label="Canary steps (%)" name="steps" errors={errors} hint="Share of traffic at each step, e.g. 10, 50, 100">
              <input name="steps" defaultValue={DEFAULTS.steps.join(', ')} />
            </Field>
          )}
          <NumberField label="Pause before each gate (ms)" name="stepPauseMs" errors={errors} defaultValue={DEFAULTS.stepPauseMs} />
          <NumberField label="Max error rate" name="maxErrorRate" errors={errors} hint="Share of failed requests (0–1) that rolls back" defaultValue={DEFAULTS.maxErrorRate} step="any" />
          <NumberField
            label="Minimum requests per gate"
            name="minRequests"
            errors={errors}
            hint="A gate waits for this much traffic to the new version; 0 passes on health checks alone"
            defaultValue={DEFAULTS.minRequests}
          />
          <NumberField label="Healthy within (ms)" name="healthyTimeoutMs" errors={errors} hint="For the new backends to pass the pool's health check" defaultValue={DEFAULTS.healthyTimeoutMs} />
          <NumberField label="Old version drain (ms)" name="drainTimeoutMs" errors={errors} defaultValue={DEFAULTS.drainTimeoutMs} />
          <Field label="Idempotency key" name="idempotencyKey" errors={errors} hint="Optional; a retry with the same key gets the same deploy">
            <input name="idempotencyKey" />
          </Field>
        </div>
        {errors.pool && <p className="error">{errors.pool[0]}</p>}
        <FormErrorSummary errors={errors} />
        <button type="submit" className="primary" disabled={start.isPending}>
          Start deploy
        </button>
      </fieldset>
    </form>
  );
}
