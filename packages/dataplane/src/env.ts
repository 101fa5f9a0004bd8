/** The one place the data plane reads the environment (flags override it). */
export const dataplaneEnv = {
  controlPlane: process.env.FULCRUM_CONTROL_PLANE || undefined,
  token: process.env.FULCRUM_DATAPLANE_TOKEN || undefined,
  admin: process.env.FULCRUM_ADMIN || '127.0.0.1:9901',
  adminToken: process.env.FULCRUM_ADMIN_TOKEN || undefined,
  maxConnections: process.env.FULCRUM_MAX_CONNECTIONS || undefined,
  maxListenerConnections: process.env.FULCRUM_MAX_LISTENER_CONNECTIONS || undefined,
  accessLog: process.env.FULCRUM_ACCESS_LOG || undefined,
};
