// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// The network module: nothing public reaches PostgreSQL on 5432, and the
// connector's range is the one range admitted from outside the cluster.

import { describe, expect, it } from 'vitest';
import { blocks, strings } from '../support/hcl.js';
import {
  blocksOrDynamic,
  moduleCalls,
  type Resource,
  resource,
  resources,
} from '../support/hclConfig.js';

const PUBLIC = ['0.0.0.0/0', '::/0'];

/** Firewall rules that allow TCP 5432. */
function postgresAllowRules(): Resource[] {
  return resources('google_compute_firewall').filter(({ body }) =>
    blocksOrDynamic(body, 'allow').some(
      (allow) =>
        ['tcp', 'all'].includes(String(allow.protocol)) &&
        (allow.ports === undefined ||
          strings(allow.ports).some((port) => {
            const [low, high] = port.split('-').map(Number);
            return low !== undefined && low <= 5432 && 5432 <= (high ?? low);
          })),
    ),
  );
}

describe('terraform: nothing public reaches PostgreSQL', () => {
  it('allows 5432 from no public range (0.0.0.0/0, ::/0)', () => {
    const rules = postgresAllowRules();
    expect(rules.length).toBeGreaterThan(0);
    for (const { name, body } of rules) {
      const sources = strings(body.source_ranges);
      expect(sources.length, `${name} names its sources`).toBeGreaterThan(0);
      for (const source of sources) expect(PUBLIC, `${name} source`).not.toContain(source);
      expect(body.direction ?? 'INGRESS').toBe('INGRESS');
    }
  });

  it("admits only the connector's range from outside the cluster, and denies 5432 to everyone else", () => {
    const outside = postgresAllowRules().filter(
      ({ body }) =>
        !strings(body.source_ranges).every((s) =>
          ['${var.nodes_cidr}', '${var.pods_cidr}'].includes(s),
        ),
    );
    expect(outside.map((r) => r.name)).toEqual(['postgres_from_connector']);
    expect(outside[0]?.body.source_ranges).toEqual(['${var.connector_cidr}']);

    const deny = resources('google_compute_firewall').filter(({ body }) =>
      blocks(body, 'deny').some((d) => strings(d.ports).includes('5432')),
    );
    expect(deny).toHaveLength(1);
    const denyRule = deny[0]?.body ?? {};
    expect(denyRule.source_ranges).toEqual(['0.0.0.0/0']);
    // Below GKE's own load balancer rules (1000), above our allows.
    expect(Number(denyRule.priority)).toBeLessThan(1000);
    for (const { body } of postgresAllowRules()) {
      expect(Number(body.priority)).toBeLessThan(Number(denyRule.priority));
    }
  });

  it('gives the connector, the firewall and the load balancers the same range', () => {
    const calls = moduleCalls();
    for (const module of ['network', 'postgres', 'run']) {
      expect(calls.get(module)?.connector_cidr, module).toBe('${var.connector_cidr}');
    }
    expect(resource('run', 'google_vpc_access_connector', 'this').ip_cidr_range).toBe(
      '${var.connector_cidr}',
    );
  });
});
