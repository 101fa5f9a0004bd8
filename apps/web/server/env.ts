/** The one place the web app's server reads the environment. */
export const webEnv = {
  port: Number(process.env.PORT || 3000),
  /** All interfaces by default so data planes on other machines can reach the hub. */
  host: process.env.HOST || '0.0.0.0',
  dev: process.argv.includes('--dev') || process.env.NODE_ENV === 'development',
};
