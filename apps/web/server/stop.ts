import { webEnv } from './env';
import { stopLocalDataplane } from './local-dataplane-process';

// `pnpm stop`: the one way (besides FULCRUM_STOP_DATAPLANE_ON_EXIT) the local data plane stops.
const result = await stopLocalDataplane({ pidFile: webEnv.dataplanePidFile, stateDir: webEnv.dataplaneStateDir });
console.log(result === 'stopped' ? 'local data plane stopped' : `no local data plane running (${webEnv.dataplanePidFile})`);
