import path from 'node:path';
import { dbEnv } from '@fulcrum/db';
import { IMAGE_REFERENCE, type TProviderProfileSpec, fillTemplate } from '@fulcrum/protocol';
import { DockerProvider } from './docker-provider';
import { KubernetesProvider } from './kubernetes-provider';
import { ProcessProvider } from './process-provider';
import type { ProviderScope, ScalingProvider } from './provider';
import { WebhookProvider } from './webhook-provider';

export type { Instance, ProviderScope, ScaleOptions, ScalingProvider, StartOptions, StopNotes } from './provider';
export { DockerProvider, KubernetesProvider, ProcessProvider, WebhookProvider };
export { remainingAfter, startUpTo, stopExactly } from './provider';
export { type RecordOwner, recordedOwner } from './process-provider';

/** Where `process` rules record their instances: a folder per rule, named by its id. */
export const scalingRecordsRoot = () => path.join(dbEnv.dataDir, 'scaling');

/** What a rule drives: its admin-declared profile, the profile's secret, and the rule's checked parameter values. */
export interface ProviderLaunch {
  spec: TProviderProfileSpec;
  secret: string | null;
  params: Record<string, string>;
}

/** Builds the provider from the profile alone: nothing of the target comes from the rule but declared parameter values. */
export function createProvider({ spec, secret, params }: ProviderLaunch, scope: ProviderScope, log?: (line: string) => void): ScalingProvider {
  switch (spec.kind) {
    case 'process': {
      const { ruleId, poolId, database } = scope;
      const owner = ruleId && poolId && database ? { database, ruleId, rule: scope.rule, poolId, pool: scope.pool } : undefined;
      return new ProcessProvider({ spec, params }, log, path.join(scalingRecordsRoot(), (ruleId ?? `${scope.pool}.${scope.rule}`).replace(/[^\w.-]/g, '_')), owner);
    }
    case 'docker': {
      const { kind: _k, parameters: _p, ...target } = spec;
      const image = fillTemplate(spec.image, params);
      if (!IMAGE_REFERENCE.test(image)) throw new Error(`the image ${JSON.stringify(image)} is not an image reference`);
      return new DockerProvider({ ...target, image }, scope);
    }
    case 'kubernetes':
      return new KubernetesProvider({ ...spec, token: secret ?? undefined });
    case 'webhook':
      return new WebhookProvider({ url: spec.url, secret: secret ?? undefined, params }, scope);
  }
}
