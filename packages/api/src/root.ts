import { authRouter } from './routers/auth';
import { backendsRouter } from './routers/backends';
import { certificatesRouter } from './routers/certificates';
import { acmeRouter } from './routers/acme';
import { configFilesRouter } from './routers/config-files';
import { databaseCredentialsRouter } from './routers/database-credentials';
import { dataplanesRouter } from './routers/dataplanes';
import { deploysRouter } from './routers/deploys';
import { eventsRouter } from './routers/events';
import { listenersRouter } from './routers/listeners';
import { poolsRouter } from './routers/pools';
import { providerProfilesRouter } from './routers/provider-profiles';
import { revisionsRouter } from './routers/revisions';
import { routesRouter } from './routers/routes';
import { scalingRouter } from './routers/scaling';
import { statsRouter } from './routers/stats';
import { tailRouter } from './routers/tail';
import { tokensRouter } from './routers/tokens';
import { usersRouter } from './routers/users';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  pools: poolsRouter,
  listeners: listenersRouter,
  routes: routesRouter,
  backends: backendsRouter,
  revisions: revisionsRouter,
  events: eventsRouter,
  users: usersRouter,
  tokens: tokensRouter,
  dataplanes: dataplanesRouter,
  deploys: deploysRouter,
  scaling: scalingRouter,
  providerProfiles: providerProfilesRouter,
  databaseCredentials: databaseCredentialsRouter,
  certificates: certificatesRouter,
  acme: acmeRouter,
  stats: statsRouter,
  configFiles: configFilesRouter,
  tail: tailRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
