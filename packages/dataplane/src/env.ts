import process from 'node:process';
/** The one place the data plane reads the environment (flags override it). */
export const dataplaneEnv = {
  controlPlane: process.env.FULCRUM_CONTROL_PLANE || undefined,
  /** PEM file of the CA that issued a wss:// control plane's certificate (a private CA). */
  controlPlaneCa: process.env.FULCRUM_CONTROL_PLANE_CA || undefined,
  /** The name a wss:// control plane's certificate must hold, when the URL gives an address. */
  controlPlaneServername: process.env.FULCRUM_CONTROL_PLANE_SERVERNAME || undefined,
  token: process.env.FULCRUM_DATAPLANE_TOKEN || undefined,
  admin: process.env.FULCRUM_ADMIN || '127.0.0.1:9901',
  adminToken: process.env.FULCRUM_ADMIN_TOKEN || undefined,
  maxConnections: process.env.FULCRUM_MAX_CONNECTIONS || undefined,
  maxListenerConnections: process.env.FULCRUM_MAX_LISTENER_CONNECTIONS || undefined,
  accessLog: process.env.FULCRUM_ACCESS_LOG || undefined,
};
