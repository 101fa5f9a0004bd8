import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The one place the web app's server reads the environment. */
export const webEnv = {
  port: Number(process.env.PORT || 3000),
  /** All interfaces by default so data planes on other machines can reach the hub. */
  host: process.env.HOST || '0.0.0.0',
  dev: process.argv.includes('--dev') || process.env.NODE_ENV === 'development',
  /** Run one data plane beside the control plane (the README's first command); 0 turns it off. */
  embeddedDataplane: process.env.FULCRUM_EMBEDDED_DATAPLANE !== '0',
  dataplaneAdmin: process.env.FULCRUM_ADMIN || '127.0.0.1:9901',
  dataplaneStateDir: path.join(path.resolve(process.env.FULCRUM_DATA_DIR || path.join(repoRoot, '.fulcrum')), 'dataplane'),
};
