import { dbEnv } from '@fulcrum/db';
import { apiEnv } from '../env';
import { loadSecretKey, SecretBox } from './secret-box';

let box: SecretBox | undefined;

/** The control plane's SecretBox, its key read once (FULCRUM_SECRET_KEY or the data folder's key file). */
export function controlPlaneSecrets(): SecretBox {
  box ??= new SecretBox(loadSecretKey({ envValue: apiEnv.secretKey, dataDir: dbEnv.dataDir }).key);
  return box;
}
