import type { InternalErrorKind } from '../runtime/internal-errors';

export interface ProcessView {
  internalErrors: Record<InternalErrorKind, number>;
  connections?: { maxConnections: number; open: number; refused: number };
  fdLimit?: { soft: number | 'unlimited'; hard: number | 'unlimited' } | null;
}

/** The process's own health in the Prometheus text format: errors that reached the event loop, client connections and their caps. */
export function renderProcessMetrics(v: ProcessView): string {
  const lines = [
    '# HELP fulcrum_internal_errors_total Errors that escaped to the event loop or an apply (bugs); the process kept serving.',
    '# TYPE fulcrum_internal_errors_total counter',
    ...Object.entries(v.internalErrors).map(([kind, n]) => `fulcrum_internal_errors_total{kind="${kind}"} ${n}`),
  ];
  if (v.connections) {
    lines.push(
      '# HELP fulcrum_client_connections Client connections open.',
      '# TYPE fulcrum_client_connections gauge',
      `fulcrum_client_connections ${v.connections.open}`,
      '# HELP fulcrum_client_connections_max Cap on client connections for the process.',
      '# TYPE fulcrum_client_connections_max gauge',
      `fulcrum_client_connections_max ${v.connections.maxConnections}`,
      '# HELP fulcrum_client_connections_refused_total Client connections closed at accept because a cap was reached.',
      '# TYPE fulcrum_client_connections_refused_total counter',
      `fulcrum_client_connections_refused_total ${v.connections.refused}`,
    );
  }
  if (v.fdLimit && typeof v.fdLimit.soft === 'number') {
    lines.push('# HELP fulcrum_fd_limit Soft RLIMIT_NOFILE of the process.', '# TYPE fulcrum_fd_limit gauge', `fulcrum_fd_limit ${v.fdLimit.soft}`);
  }
  return `${lines.join('\n')}\n`;
}
