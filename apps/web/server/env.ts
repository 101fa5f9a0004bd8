import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(appDir, '../..');
const dataDir = path.resolve(process.env.FULCRUM_DATA_DIR || path.join(repoRoot, '.fulcrum'));

// Next reads this itself; set it before Next loads so no build or server ever phones home.
process.env.NEXT_TELEMETRY_DISABLED ??= '1';

/** The one place the web app's server reads the environment. */
export const webEnv = {
  /** PORT, default 3000: the dashboard, /api/*, and /ws/* share it. */
  port: Number(process.env.PORT || 3000),
  /** HOST, default 0.0.0.0 (all interfaces) so data planes on other machines can reach the hub. */
  host: process.env.HOST || '0.0.0.0',
  dev: process.argv.includes('--dev') || process.env.NODE_ENV === 'development',
  /** Run one data plane beside the control plane (the README's first command); 0 turns it off. */
  embeddedDataplane: process.env.FULCRUM_EMBEDDED_DATAPLANE !== '0',
  dataplaneAdmin: process.env.FULCRUM_ADMIN || '127.0.0.1:9901',
  dataplaneStateDir: path.join(dataDir, 'dataplane'),
  /** The local data plane is its own process: its pid (and token id) here, its output in the log. */
  dataplanePidFile: path.join(dataDir, 'dataplane.pid'),
  dataplaneLogFile: path.join(dataDir, 'dataplane.log'),
  /** The data plane's bundle (`pnpm start` builds it). */
  dataplaneBundle: path.join(repoRoot, 'packages/dataplane/dist/fulcrum-dataplane.mjs'),
  /**
   * FULCRUM_STOP_DATAPLANE_ON_EXIT=1: stop the local data plane when the control plane stops. By
   * default it keeps serving through a control-plane restart and only `pnpm stop` stops it.
   */
  stopDataplaneOnExit: process.env.FULCRUM_STOP_DATAPLANE_ON_EXIT === '1',
  /**
   * FULCRUM_TRUSTED_PROXIES: addresses or CIDR ranges (comma-separated) of reverse proxies in front
   * of the control plane whose `X-Forwarded-Proto: https` marks a request as HTTPS (session cookies
   * then get `Secure`). Empty by default: only TLS on the socket itself counts.
   */
  trustedProxies: process.env.FULCRUM_TRUSTED_PROXIES ?? '',
  /**
   * FULCRUM_TLS_CERT / FULCRUM_TLS_KEY: PEM files (chain leaf first, and its key). With both the
   * control plane serves https: the dashboard, the API and the data planes' link (wss://).
   */
  tlsCertFile: process.env.FULCRUM_TLS_CERT || undefined,
  tlsKeyFile: process.env.FULCRUM_TLS_KEY || undefined,
};
