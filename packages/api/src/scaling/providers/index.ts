import path from 'node:path';
import { dbEnv } from '@fulcrum/db';
import type { TScalingProvider } from '@fulcrum/protocol';
import { DockerProvider } from './docker-provider';
import { KubernetesProvider } from './kubernetes-provider';
import { ProcessProvider } from './process-provider';
import type { ProviderScope, ScalingProvider } from './provider';
import { WebhookProvider } from './webhook-provider';

export type { Instance, ProviderScope, ScaleOptions, ScalingProvider } from './provider';
export { DockerProvider, KubernetesProvider, ProcessProvider, WebhookProvider };

export function createProvider(config: TScalingProvider, scope: ProviderScope, log?: (line: string) => void): ScalingProvider {
  switch (config.kind) {
    case 'process':
      return new ProcessProvider(config, log, path.join(dbEnv.dataDir, 'scaling', (scope.ruleId ?? `${scope.pool}.${scope.rule}`).replace(/[^\w.-]/g, '_')));
    case 'docker':
      return new DockerProvider(config, scope);
    case 'kubernetes':
      return new KubernetesProvider(config);
    case 'webhook':
      return new WebhookProvider(config, scope);
  }
}
