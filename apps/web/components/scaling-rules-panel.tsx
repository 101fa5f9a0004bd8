'use client';

import type { TScalingRuleConfig, TScalingRuleRecord } from '@fulcrum/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { scopeFieldErrors } from '../lib/field-errors';
import { formatDuration } from '../lib/format-duration';
import { useSession } from '../lib/session';
import { useToast } from '../lib/toast';
import { describeError, fieldErrorsOf, useTRPC } from '../lib/trpc';
import { ConfirmButton } from './confirm-button';
import { EventsList } from './events-list';
import { METRIC_LABELS, PROVIDER_LABELS, ScalingRuleForm } from './scaling-rule-form';
import { StaleNotice } from './stale-notice';
import { Skeleton } from './skeleton';

type Open = { mode: 'new' } | { mode: 'edit' | 'history'; id: string } | null;

const round = (v: number) => Number(v.toFixed(2));

function breachText(state: TScalingRuleRecord['state']): string {
  if (!state?.breach) return 'none';
  return `${state.breach.direction} since ${new Date(state.breach.since).toLocaleTimeString()}`;
}

/** A pool's autoscaling rules: what each watches, what the evaluator sees now and decided, and their history. */
export function ScalingRulesPanel({ poolId }: { poolId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const { canWrite } = useSession();
  const [open, setOpen] = useState<Open>(null);
  const [serverErrors, setServerErrors] = useState<Record<string, string[]>>({});
  // The evaluator updates each rule's state every second; two is fresh enough to read.
  const rules = useQuery({ ...trpc.scaling.list.queryOptions({ poolId }), refetchInterval: 2000 });
  const profiles = useQuery(trpc.providerProfiles.list.queryOptions({}));
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.scaling.list.queryKey({ poolId }) });
  const close = () => {
    setOpen(null);
    setServerErrors({});
  };
  const onSaveError = (err: unknown) => {
    setServerErrors(scopeFieldErrors(fieldErrorsOf(err), 'rule'));
    toast('error', describeError(err));
  };

  const onSaved = (verb: string) => async (r: { name: string }) => {
    toast('ok', `Scaling rule ${r.name} ${verb}`);
    close();
    await refresh();
  };

  const create = useMutation(trpc.scaling.create.mutationOptions({ onSuccess: onSaved('added'), onError: onSaveError }));
  const update = useMutation(trpc.scaling.update.mutationOptions({ onSuccess: onSaved('saved'), onError: onSaveError }));
  const remove = useMutation(
    trpc.scaling.delete.mutationOptions({
      onSuccess: async () => {
        toast('ok', 'Scaling rule deleted');
        close();
        await refresh();
      },
      onError: (err) => toast('error', describeError(err)),
    }),
  );

  const toggle = (next: NonNullable<Open>) => {
    setServerErrors({});
    update.reset();
    setOpen((cur) => (cur?.mode === next.mode && (cur.mode === 'new' || (next.mode !== 'new' && cur.id === next.id)) ? null : next));
  };

  if (rules.isLoading) return <Skeleton label="Loading scaling rules" />;
  if (rules.error) return <p className="error">{rules.error.message}</p>;
  const list = rules.data ?? [];
  const selected = open && open.mode !== 'new' ? list.find((r) => r.id === open.id) : undefined;

  return (
    <div className="stack">
      {list.length === 0 ? (
        <p className="muted">No scaling rules yet. A rule adds and removes instances when a metric stays past its thresholds.</p>
      ) : (
        <div className="table-wrap">
          <table className="rules">
            <thead>
              <tr>
                <th>Rule</th>
                <th>Metric</th>
                <th>Up / down at</th>
                <th>Window</th>
                <th>Instances</th>
                <th>Cooldown</th>
                <th>Provider</th>
                <th>Enabled</th>
                <th>Value now</th>
                <th>Running</th>
                <th>Breach</th>
                <th>Last decision</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id} data-rule={r.name}>
                  <td className="mono">{r.name}</td>
                  <td>{METRIC_LABELS[r.metric]}</td>
                  <td>
                    {r.config.scaleUpThreshold} / {r.config.scaleDownThreshold}
                  </td>
                  <td>{formatDuration(r.config.windowMs)}</td>
                  <td>
                    {r.config.minInstances}–{r.config.maxInstances}, step {r.config.step}
                  </td>
                  <td>{formatDuration(r.config.cooldownMs)}</td>
                  <td className="rule-provider">
                    {r.profile ? (
                      <>
                        {r.profile.name} <span className="muted">({PROVIDER_LABELS[r.profile.kind]})</span>
                      </>
                    ) : (
                      <span className="warning">none: made before provider profiles</span>
                    )}
                  </td>
                  <td className="rule-enabled">{r.enabled ? 'yes' : 'no'}</td>
                  <td className="rule-value">{r.state?.lastValue == null ? '—' : round(r.state.lastValue)}</td>
                  <td className="rule-instances">{r.state ? r.state.instances : '—'}</td>
                  <td className="rule-breach">{breachText(r.state)}</td>
                  <td className="rule-decision">{r.state?.lastDecision ?? '—'}</td>
                  <td className="actions">
                    <button type="button" aria-expanded={open?.mode === 'edit' && open.id === r.id} disabled={!canWrite} onClick={() => toggle({ mode: 'edit', id: r.id })}>
                      Edit
                    </button>
                    <button type="button" aria-expanded={open?.mode === 'history' && open.id === r.id} onClick={() => toggle({ mode: 'history', id: r.id })}>
                      History
                    </button>
                    <ConfirmButton label="Delete" confirmLabel={`Delete ${r.name}`} disabled={!canWrite} onConfirm={() => remove.mutate({ id: r.id, expectedVersion: r.version })} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {selected && open?.mode === 'edit' && (
        <div>
          <h3>Edit rule {selected.name}</h3>
          <StaleNotice error={update.error} what="rule" onReload={() => void rules.refetch().then(() => update.reset())} />
          {selected.legacyProvider && (
            <p className="notice" role="status">
              Before provider profiles this rule ran a {selected.legacyProvider.kind} provider (<code>{selected.legacyProvider.target}</code>) that any operator could set. It is disabled and that
              provider is never run again; pick a profile an admin declared to use the rule.
            </p>
          )}
          <ScalingRuleForm
            key={`${selected.id}@${selected.version}`}
            label={`Edit rule ${selected.name}`}
            initial={selected.config}
            profiles={profiles.data ?? []}
            submitLabel="Save rule"
            disabled={!canWrite}
            pending={update.isPending}
            serverErrors={serverErrors}
            onSubmit={(rule: TScalingRuleConfig) => update.mutate({ id: selected.id, expectedVersion: selected.version, rule })}
            onCancel={close}
          />
        </div>
      )}
      {selected && open?.mode === 'history' && (
        <div data-rule-history={selected.name}>
          <h3>Decisions of {selected.name}</h3>
          <EventsList poolId={poolId} kind="scaling" limit={100} match={(data) => (data as { rule?: unknown } | null)?.rule === selected.name} empty="No scaling decisions yet." />
        </div>
      )}
      {open?.mode === 'new' ? (
        <div>
          <h3>New scaling rule</h3>
          <ScalingRuleForm
            label="New scaling rule"
            profiles={profiles.data ?? []}
            submitLabel="Add rule"
            disabled={!canWrite}
            pending={create.isPending}
            serverErrors={serverErrors}
            onSubmit={(rule) => create.mutate({ poolId, rule })}
            onCancel={close}
          />
        </div>
      ) : (
        <div>
          <button type="button" className="primary" disabled={!canWrite} onClick={() => toggle({ mode: 'new' })}>
            New scaling rule
          </button>
        </div>
      )}
    </div>
  );
}
