import { runControlPlane } from './run-control-plane';

await runControlPlane();
