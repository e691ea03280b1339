// The run module as the tests read it: the one google_cloud_run_v2_service
// definition as each service gets it (for_each over local.services), and the
// environment of each service and of the migration job.
import { expect } from 'vitest';
import { type Block, blocks, expressionText, type HclScope, map, Reference } from './hcl.js';
import {
  type ExpandedInstance,
  expandedInstances,
  locals,
  only,
  resource,
  scopeOf,
  variables,
} from './hclConfig.js';

/** The Cloud Run services: keys of the run module's local.services, one definition for both. */
export const CLOUD_RUN_SERVICES = ['api', 'check'];

/** The single google_cloud_run_v2_service definition, `this`, for_each over local.services. */
export function serviceDefinition(): Block {
  return resource('run', 'google_cloud_run_v2_service', 'this');
}

/** What local.services holds for one service: everything that differs between the two. */
export function serviceSettings(service: string): Block {
  const settings = map(locals('run'), 'services');
  expect(Object.keys(settings), 'local.services').toContain(service);
  return map(settings, service);
}

/**
 * An attribute of the definition as one service gets it: `${each.key}` and
 * `${each.value.X}` replaced from local.services. A whole `${each.value.X}`
 * gives the value itself (a number, null, an expression), one inside a
 * string is written into it.
 */
export function forService(value: unknown, service: string): unknown {
  if (typeof value !== 'string') return value;
  const settings = serviceSettings(service);
  const setting = (name: string): unknown => {
    if (!(name in settings)) throw new Error(`local.services.${service} has no ${name}`);
    return settings[name];
  };
  const whole = value.match(/^\$\{each\.value\.(\w+)\}$/);
  if (whole) return setting(whole[1] ?? '');
  return value
    .replace(/\$\{each\.key\}/g, service)
    .replace(/\$\{each\.value\.(\w+)\}/g, (_, name: string) => String(setting(name)));
}

/**
 * The environment a `dynamic "env"` for_each gives: local.X, each.value.X
 * (for `service`) or merge() of those, with no key set by two of them (so the
 * order of the merge never decides a value).
 */
function resolveEnv(forEach: unknown, service?: string): Block {
  const text = expressionText(forEach);
  const parts = (text.match(/^merge\((.*)\)$/)?.[1] ?? text).split(',').map((p) => p.trim());
  const maps = parts.map((part) => {
    const local = part.match(/^local\.(\w+)$/)?.[1];
    if (local !== undefined) return map(locals('run'), local);
    const setting = part.match(/^each\.value\.(\w+)$/)?.[1];
    if (setting !== undefined && service !== undefined) {
      return map(serviceSettings(service), setting);
    }
    throw new Error(`cannot resolve env ${part}`);
  });
  const keys = maps.flatMap((m) => Object.keys(m));
  expect(keys, `env of ${service ?? 'the job'}: no key set twice`).toEqual([...new Set(keys)]);
  return Object.assign({}, ...maps);
}

/** The definition's single `dynamic "env"`. */
export function serviceEnvBlock(): Block {
  const container = only(only(serviceDefinition(), 'template'), 'containers');
  const dynamic = blocks(map(container, 'dynamic'), 'env');
  expect(dynamic, 'one dynamic env').toHaveLength(1);
  return dynamic[0] as Block;
}

/** The environment one service gets. */
export function serviceEnv(service: string): Block {
  return resolveEnv(serviceEnvBlock().for_each, service);
}

/** The environment the migration job gets. */
export function jobEnv(): Block {
  const job = resource('run', 'google_cloud_run_v2_job', 'migrate');
  const container = only(only(only(job, 'template'), 'template'), 'containers');
  return resolveEnv(only(map(container, 'dynamic'), 'env').for_each);
}

/** Each service's template, with each.key and each.value.X of its top-level attributes resolved. */
export function serviceTemplate(service: string): Block {
  return Object.fromEntries(
    Object.entries(only(serviceDefinition(), 'template')).map(([key, value]) => [
      key,
      forService(value, service),
    ]),
  );
}

/** A deployer account, for deployer.tf's optional grants. */
export const DEPLOYER = 'cloud-build@my-project.iam.gserviceaccount.com';

/**
 * The run module's scope: deployer_service_account set (or null), and
 * var.secret_ids.X left as references written `${var.secret_ids.X}` however
 * they are read (`var.secret_ids[each.value.secret]` too).
 */
export function runScope(deployer: string | null = DEPLOYER): HclScope {
  const type = String(variables('run').get('secret_ids')?.type);
  const ids = [...type.matchAll(/(\w+)\s*=\s*string/g)].map((m) => m[1] ?? '');
  expect(ids.length, 'var.secret_ids is an object of strings').toBeGreaterThan(0);
  return scopeOf('run', {
    deployer_service_account: deployer,
    secret_ids: Object.fromEntries(ids.map((id) => [id, new Reference(`var.secret_ids.${id}`)])),
  });
}

/** Every secret grant of the run module, per instance, as the provider gets it. */
export function secretGrants(scope: HclScope = runScope()): ExpandedInstance[] {
  return expandedInstances('run', 'google_secret_manager_secret_iam_member', scope);
}
