'use client';

import { type TAdminState, type TBackend, ZBackendConfig, flattenZodIssues } from '@fulcrum/protocol';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { LivePoint } from '../lib/live-stats';
import { useSession } from '../lib/session';
import { useToast } from '../lib/toast';
import { describeError, fieldErrorsOf, useTRPC } from '../lib/trpc';
import { ConfirmButton } from './confirm-button';
import { Field } from './field';

/** A pool's backends with their admin actions; live health and traffic join in beside them. */
export function BackendsTable({ poolId, backends, live, stale = false }: { poolId: string; backends: TBackend[]; live: Record<string, LivePoint>; stale?: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const { canWrite } = useSession();
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const refresh = () => qc.invalidateQueries();
  const onError = (err: unknown) => toast('error', describeError(err));

  const create = useMutation(
    trpc.backends.create.mutationOptions({
      onSuccess: async (b) => {
        toast('ok', `Backend ${b.host}:${b.port} added`);
        setErrors({});
        await refresh();
      },
      onError: (err) => {
        setErrors(fieldErrorsOf(err));
        onError(err);
      },
    }),
  );
  const update = useMutation(
    trpc.backends.update.mutationOptions({
      onSuccess: async (b, input) => {
        toast('ok', input.patch.adminState ? `${b.host}:${b.port} is ${b.adminState}` : `${b.host}:${b.port} saved`);
        await refresh();
      },
      onError,
    }),
  );
  const remove = useMutation(
    trpc.backends.delete.mutationOptions({
      onSuccess: async () => {
        toast('ok', 'Backend removed');
        await refresh();
      },
      onError,
    }),
  );

  const add = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const parsed = ZBackendConfig.safeParse({ host: f.get('host'), port: Number(f.get('port')), weight: Number(f.get('weight') || 1), backup: f.get('backup') === 'on' });
    if (!parsed.success) return setErrors(flattenZodIssues(parsed.error.issues));
    create.mutate({ poolId, ...parsed.data });
    e.currentTarget.reset();
  };
  const setState = (b: TBackend, adminState: TAdminState) => update.mutate({ id: b.id, expectedVersion: b.version, patch: { adminState } });

  return (
    <div>
      <div className="table-wrap">
        <table className="backends">
          <thead>
            <tr>
              <th>Address</th>
              <th>State</th>
              <th>Health</th>
              <th>Active</th>
              <th>Attempts/s</th>
              <th>p99 ms</th>
              <th>Weight</th>
              <th>Backup</th>
              <th>Max conns</th>
              <th>Version</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {backends.length === 0 && (
              <tr>
                <td colSpan={11} className="muted">
                  No backends yet. Add the first one below.
                </td>
              </tr>
            )}
            {backends.map((b) => {
              // A backend down or ejected has no numbers worth reading: "—", a red row, and its pill says so.
              const lp = live[b.id];
              const dead = !!lp && (lp.health === 'unhealthy' || lp.ejected);
              return (
                <tr key={b.id} data-backend={`${b.host}:${b.port}`} data-dead={dead || undefined} className={dead ? 'row-problem' : undefined}>
                  <td className="mono">
                    {b.host}:{b.port}
                  </td>
                  <td>
                    <span className={`state state-${dead && b.adminState === 'active' ? 'down' : b.adminState}`}>{b.adminState}</span>
                    {dead && <span className="state state-down down-note"> {lp.ejected ? 'ejected' : 'down'}</span>}
                  </td>
                  <td className={`health health-${live[b.id]?.ejected ? 'unhealthy' : (live[b.id]?.health ?? 'unknown')}${stale ? ' stale' : ''}`}>
                    {live[b.id] ? (live[b.id]!.ejected ? 'ejected' : live[b.id]!.health) : '—'}
                  </td>
                  <td className={`active${stale ? ' stale' : ''}`}>{dead ? '—' : (lp?.activeConnections ?? '—')}</td>
                  <td className={`rps${stale ? ' stale' : ''}`} title="upstream attempts/s, retries included">
                    {dead ? '—' : (lp?.requests ?? '—')}
                    {!!live[b.id] && live[b.id]!.errors.connect + live[b.id]!.errors.timeout + live[b.id]!.errors.reset > 0 && (
                      <span className="upstream-failed"> ({live[b.id]!.errors.connect + live[b.id]!.errors.timeout + live[b.id]!.errors.reset} failed)</span>
                    )}
                  </td>
                  <td className={stale ? 'stale' : undefined}>{!dead && lp && lp.requests > 0 ? lp.latencyMs.p99 : '—'}</td>
                  <td>
                    <input
                      key={b.version /* deploys and the autoscaler change weights too */}
                      aria-label={`weight of ${b.host}:${b.port}`}
                      type="number"
                      min={1}
                      max={1000}
                      defaultValue={b.weight}
                      disabled={!canWrite}
                      className="weight"
                      onKeyDown={(e) => e.key === 'Enter' && e.currentTarget.blur()}
                      onBlur={(e) => {
                        const weight = Number(e.target.value);
                        if (weight !== b.weight) update.mutate({ id: b.id, expectedVersion: b.version, patch: { weight } });
                      }}
                    />
                  </td>
                  <td>{b.backup ? 'yes' : ''}</td>
                  <td>{b.maxConnections || '∞'}</td>
                  <td>{b.versionLabel ?? ''}</td>
                  <td className="actions">
                    {b.adminState !== 'draining' && (
                      <button type="button" disabled={!canWrite} onClick={() => setState(b, 'draining')}>
                        Drain
                      </button>
                    )}
                    {b.adminState !== 'disabled' && (
                      <button type="button" disabled={!canWrite} onClick={() => setState(b, 'disabled')}>
                        Disable
                      </button>
                    )}
                    {b.adminState !== 'active' && (
                      <button type="button" disabled={!canWrite} onClick={() => setState(b, 'active')}>
                        Enable
                      </button>
                    )}
                    <ConfirmButton label="Remove" confirmLabel="Remove for good" disabled={!canWrite} onConfirm={() => remove.mutate({ id: b.id, expectedVersion: b.version })} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <form className="add-backend" onSubmit={add} noValidate>
        <fieldset disabled={!canWrite}>
          <legend>Add backend</legend>
          <div className="grid">
            <Field label="Host" name="host" errors={errors}>
              <input name="host" placeholder="10.0.0.12" />
            </Field>
            <Field label="Port" name="port" errors={errors}>
              <input name="port" type="number" placeholder="8080" />
            </Field>
            <Field label="Weight" name="weight" errors={errors}>
              <input name="weight" type="number" defaultValue={1} />
            </Field>
            <Field label="Backup" name="backup" errors={errors}>
              <input name="backup" type="checkbox" />
            </Field>
          </div>
          <button type="submit" className="primary" disabled={create.isPending}>
            Add backend
          </button>
        </fieldset>
      </form>
    </div>
  );
}
