import { z } from 'zod';
import type { TFieldErrors } from './errors';
import { ZHost, ZId, ZPort, ZSlug } from './primitives';

/**
 * Provider profiles: what the control plane may execute or call on behalf of a scaling rule,
 * declared by an admin. A rule names a profile and fills in the parameters it declares; it never
 * carries a command, an image outside the template, a socket or a URL of its own.
 */

/** `{name}` in a template; anything else in braces is left as it is. */
const PLACEHOLDER = /\{([a-z][a-zA-Z0-9_]{0,31})\}/g;
/** Placeholders a provider fills in itself, per kind. */
export const BUILTIN_PLACEHOLDERS = { process: ['port'], docker: [], kubernetes: [], webhook: [] } as const;
export const PARAM_VALUE_MAX = 256;

// Control characters (NUL above all) never reach an argv element, a header or a URL.
const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);
const ZText = (max: number) => z.string().max(max, `must be at most ${max} characters`).refine(noControl, 'must not contain control characters');
/** argv elements and env values may span lines (`node -e` with a script); a NUL could never be passed. */
const ZArg = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !s.includes('\u0000'), 'must not contain a NUL byte');

export const ZParamName = z.string().regex(/^[a-z][a-zA-Z0-9_]{0,31}$/, 'a parameter name starts with a lowercase letter and holds letters, digits and _ (at most 32)');

/** The anchored regular expression a string parameter must match as a whole. */
export function parameterRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

const ZPattern = z
  .string()
  .min(1, 'a string parameter needs a pattern')
  .max(200, 'pattern is at most 200 characters')
  .refine((p) => {
    try {
      parameterRegExp(p);
      return true;
    } catch {
      return false;
    }
  }, 'pattern must be a valid regular expression');

const ZParamDescription = ZText(200).default('');

export const ZProfileParameter = z.discriminatedUnion(
  'type',
  [
    z
      .object({ name: ZParamName, type: z.literal('string'), pattern: ZPattern, description: ZParamDescription, default: ZText(PARAM_VALUE_MAX).optional() })
      .strict()
      .refine((p) => p.default === undefined || parameterRegExp(p.pattern).test(p.default), { message: 'default must match the pattern', path: ['default'] }),
    z
      .object({ name: ZParamName, type: z.literal('integer'), min: z.number().int(), max: z.number().int(), description: ZParamDescription, default: z.number().int().optional() })
      .strict()
      .refine((p) => p.min <= p.max, { message: 'min must not exceed max', path: ['max'] })
      .refine((p) => p.default === undefined || (p.default >= p.min && p.default <= p.max), { message: 'default must be within min..max', path: ['default'] }),
  ],
  { error: 'parameter type must be string or integer' },
);
export type TProfileParameter = z.infer<typeof ZProfileParameter>;

const ZParameters = z.array(ZProfileParameter).max(20, 'at most 20 parameters').default([]);

/** An http(s) URL without credentials in it (those go in the profile's secret). */
const ZTargetUrl = z
  .string()
  .max(2048)
  .refine((u) => {
    try {
      const url = new URL(u);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without user or password');

const ZAbsolutePath = ZText(1024).refine((p) => p.startsWith('/'), 'must be an absolute path');

/** A container image reference after its placeholders are filled in. */
export const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,255}$/;

export const ZProcessProfileSpec = z
  .object({
    kind: z.literal('process'),
    /** The program and its arguments, one element each; no shell ever sees them. */
    argv: z.array(ZArg(16_384).min(1, 'an argument must not be empty')).min(1, 'argv needs at least the program').max(64),
    cwd: ZAbsolutePath.optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an environment variable name holds letters, digits and _'), ZArg(4096)).default({}),
    host: ZHost.default('127.0.0.1'),
    portRangeStart: ZPort,
    portRangeEnd: ZPort,
    parameters: ZParameters,
  })
  .strict();

export const ZDockerProfileSpec = z
  .object({
    kind: z.literal('docker'),
    /** The Engine's unix socket; the default when no baseUrl is given. */
    socketPath: ZAbsolutePath.optional(),
    /** The Engine API over TCP instead of the socket. */
    baseUrl: ZTargetUrl.optional(),
    /** The image every container runs; placeholders (a tag, say) come from declared parameters. */
    image: ZText(256).min(1, 'image is required'),
    containerPort: ZPort,
    network: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'network is a Docker network name')
      .optional(),
    parameters: ZParameters,
  })
  .strict();

export const ZKubernetesProfileSpec = z
  .object({
    kind: z.literal('kubernetes'),
    apiUrl: ZTargetUrl,
    namespace: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'namespace is a Kubernetes name')
      .default('default'),
    deployment: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'deployment is a Kubernetes name'),
    servicePort: ZPort,
    parameters: ZParameters,
  })
  .strict();

export const ZWebhookProfileSpec = z
  .object({
    kind: z.literal('webhook'),
    url: ZTargetUrl,
    /** Declared parameters are sent in the body as `params`. */
    parameters: ZParameters,
  })
  .strict();

/** The placeholders in a template string. */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** Fills `{name}` from values in one pass: a value that itself holds `{port}` stays as it is. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(values, name) ? values[name]! : whole));
}

type AnySpec = z.infer<typeof ZProcessProfileSpec> | z.infer<typeof ZDockerProfileSpec> | z.infer<typeof ZKubernetesProfileSpec> | z.infer<typeof ZWebhookProfileSpec>;

function templatesOf(spec: AnySpec): [path: (string | number)[], template: string][] {
  if (spec.kind === 'process') return spec.argv.map((a, i) => [['argv', i], a]);
  if (spec.kind === 'docker') return [[['image'], spec.image]];
  return [];
}

export const ZProviderProfileSpec = z
  .discriminatedUnion('kind', [ZProcessProfileSpec, ZDockerProfileSpec, ZKubernetesProfileSpec, ZWebhookProfileSpec], {
    error: 'kind must be process, docker, kubernetes or webhook',
  })
  .superRefine((spec, ctx) => {
    const builtins: readonly string[] = BUILTIN_PLACEHOLDERS[spec.kind];
    const declared = new Set<string>();
    spec.parameters.forEach((p, i) => {
      if (builtins.includes(p.name) || declared.has(p.name)) ctx.addIssue({ code: 'custom', path: ['parameters', i, 'name'], message: `parameter ${p.name} is already defined` });
      declared.add(p.name);
    });
    for (const [path, template] of templatesOf(spec)) {
      for (const name of placeholdersOf(template)) {
        if (!builtins.includes(name) && !declared.has(name))
          ctx.addIssue({ code: 'custom', path, message: `{${name}} is neither a declared parameter nor one of ${builtins.map((b) => `{${b}}`).join(', ') || 'the built-ins (none)'}` });
      }
    }
    if (spec.kind === 'process') {
      if (!spec.argv.some((a) => placeholdersOf(a).includes('port'))) ctx.addIssue({ code: 'custom', path: ['argv'], message: 'argv must contain {port} where the new instance’s port goes' });
      if (spec.portRangeStart > spec.portRangeEnd) ctx.addIssue({ code: 'custom', path: ['portRangeEnd'], message: 'the last port must not be below the first' });
    }
    if (spec.kind === 'docker' && spec.socketPath && spec.baseUrl) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'give either socketPath or baseUrl, not both' });
  });
export type TProviderProfileSpec = z.infer<typeof ZProviderProfileSpec>;
export type TProviderKind = TProviderProfileSpec['kind'];
export type TProcessProfileSpec = Extract<TProviderProfileSpec, { kind: 'process' }>;
export type TDockerProfileSpec = Extract<TProviderProfileSpec, { kind: 'docker' }>;
export type TKubernetesProfileSpec = Extract<TProviderProfileSpec, { kind: 'kubernetes' }>;
export type TWebhookProfileSpec = Extract<TProviderProfileSpec, { kind: 'webhook' }>;

/** The one credential a profile may hold: the webhook's signing secret or the Kubernetes bearer token. Write-only. */
const ZSecret = ZText(8192).min(1, 'secret must not be empty');
export const KINDS_WITH_SECRET: readonly TProviderKind[] = ['webhook', 'kubernetes'];

const secretFits = (v: { spec: TProviderProfileSpec; secret?: string | null }) => !v.secret || KINDS_WITH_SECRET.includes(v.spec.kind);
const secretMessage = { message: 'only webhook (signing secret) and kubernetes (bearer token) profiles hold a secret', path: ['secret'] };

const profileFields = { name: ZSlug, description: ZText(500).default(''), spec: ZProviderProfileSpec };

export const ZProviderProfileCreate = z
  .object({ ...profileFields, secret: ZSecret.optional() })
  .strict()
  .refine(secretFits, secretMessage);
export type TProviderProfileCreate = z.infer<typeof ZProviderProfileCreate>;

/** Replaces a profile; `secret` left out keeps the stored one, `null` removes it. */
export const ZProviderProfileUpdate = z
  .object({ id: ZId, expectedVersion: z.number().int().min(1).max(2_147_483_647), ...profileFields, secret: ZSecret.nullable().optional() })
  .strict()
  .refine(secretFits, secretMessage);
export type TProviderProfileUpdate = z.infer<typeof ZProviderProfileUpdate>;

export const ZProviderProfileRecord = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  kind: z.enum(['process', 'docker', 'kubernetes', 'webhook']),
  spec: ZProviderProfileSpec,
  /** Whether a secret is stored; its value is never returned. */
  hasSecret: z.boolean(),
  /** Scaling rules that use this profile. */
  usedBy: z.number().int(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TProviderProfileRecord = z.infer<typeof ZProviderProfileRecord>;

/** What a scaling rule says about its provider: which profile, and values for its declared parameters. */
export const ZScalingRuleProvider = z
  .object({
    /** The profile's id or name. */
    profile: z.string().trim().min(1, 'pick a provider profile').max(64),
    params: z.record(ZParamName, ZText(PARAM_VALUE_MAX)).default({}),
  })
  .strict();
export type TScalingRuleProvider = z.infer<typeof ZScalingRuleProvider>;

/**
 * A rule's parameter values checked against what the profile declares: unknown names refused,
 * missing ones taken from their default (or refused), strings matched whole against their pattern,
 * integers in range. Errors are keyed `<prefix><name>` for the form.
 */
export function checkProfileParams(parameters: readonly TProfileParameter[], params: Record<string, string>, prefix = 'provider.params.'): { values: Record<string, string>; errors: TFieldErrors } {
  const errors: TFieldErrors = {};
  const values: Record<string, string> = {};
  const byName = new Map(parameters.map((p) => [p.name, p]));
  for (const name of Object.keys(params)) if (!byName.has(name)) errors[`${prefix}${name}`] = [`the profile declares no parameter ${name}`];
  for (const p of parameters) {
    const given = Object.hasOwn(params, p.name) ? params[p.name] : undefined;
    const value = given ?? (p.default === undefined ? undefined : String(p.default));
    const key = `${prefix}${p.name}`;
    if (value === undefined) errors[key] = [`${p.name} is required`];
    else if (!noControl(value) || value.length > PARAM_VALUE_MAX) errors[key] = [`${p.name} must be at most ${PARAM_VALUE_MAX} characters without control characters`];
    else if (p.type === 'string' && !parameterRegExp(p.pattern).test(value)) errors[key] = [`${p.name} must match ${p.pattern}`];
    else if (p.type === 'integer' && (!/^-?\d{1,16}$/.test(value) || Number(value) < p.min || Number(value) > p.max)) errors[key] = [`${p.name} must be a whole number from ${p.min} to ${p.max}`];
    else values[p.name] = value;
  }
  return { values, errors };
}

/** A profile as the rule form shows it in its picker (no spec details needed there). */
export const ZProfileRef = z.object({ id: z.string(), name: z.string(), kind: z.enum(['process', 'docker', 'kubernetes', 'webhook']) });
export type TProfileRef = z.infer<typeof ZProfileRef>;

/** What a profile runs or calls, in one line (dashboard and fulcrumctl tables). */
export function describeProfileTarget(spec: TProviderProfileSpec): string {
  switch (spec.kind) {
    case 'process':
      return spec.argv.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ');
    case 'docker':
      return `${spec.image} via ${spec.baseUrl ?? spec.socketPath ?? '/var/run/docker.sock'}`;
    case 'kubernetes':
      return `${spec.apiUrl} ${spec.namespace}/${spec.deployment}`;
    case 'webhook':
      return spec.url;
  }
}
