import type { NextConfig } from 'next';

const config: NextConfig = {
  // Workspace packages ship TypeScript source (the pages import protocol's schemas and api's types).
  transpilePackages: ['@fulcrum/protocol', '@fulcrum/api', '@fulcrum/db'],
  poweredByHeader: false,
  reactStrictMode: true,
  // The server is our own (server/main.ts); the API lives there, not in route handlers.
  typescript: { tsconfigPath: 'tsconfig.json' },
};

export default config;
