// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is HCL interpolation text as @cdktf/hcl2json returns it, compared literally.
// The gke module: a private cluster with Workload Identity, its node pool
// managed apart, and the control plane let through to the CloudNativePG webhook.

import { describe, expect, it } from 'vitest';
import { locals, moduleCalls, only, resource } from '../support/hclConfig.js';

describe('terraform: nothing public reaches PostgreSQL', () => {
  it('runs GKE with private nodes, Workload Identity and a separately managed node pool', () => {
    const cluster = resource('gke', 'google_container_cluster', 'this');
    const privateConfig = only(cluster, 'private_cluster_config');
    expect(privateConfig.enable_private_nodes).toBe(true);
    expect(privateConfig.master_ipv4_cidr_block).toBe('${var.master_cidr}');
    expect(only(cluster, 'workload_identity_config').workload_pool).toBe(
      '${var.project_id}.svc.id.goog',
    );
    expect(cluster.remove_default_node_pool).toBe(true);
    const pool = resource('gke', 'google_container_node_pool', 'this');
    expect(pool.cluster).toBe('${google_container_cluster.this.id}');
    const nodeConfig = only(pool, 'node_config');
    expect(only(nodeConfig, 'workload_metadata_config').mode).toBe('GKE_METADATA');
    expect(nodeConfig.tags).toEqual(['${var.node_tag}']);
  });

  it('lets the private control plane reach the CloudNativePG webhook', () => {
    const rule = resource('gke', 'google_compute_firewall', 'webhook_from_master');
    expect(rule.source_ranges).toEqual(['${var.master_cidr}']);
    expect(rule.target_tags).toEqual(['${var.node_tag}']);
    expect(only(rule, 'allow').ports).toEqual(['${tostring(var.webhook_port)}']);
    const calls = moduleCalls();
    expect(calls.get('gke')?.webhook_port).toBe('${local.cnpg_webhook_port}');
    expect(calls.get('postgres')?.webhook_port).toBe('${local.cnpg_webhook_port}');
    expect(locals('').cnpg_webhook_port).toBe(9443);
    expect(String(resource('postgres', 'helm_release', 'operator').values)).toMatch(
      /port\s*=\s*var\.webhook_port/,
    );
  });
});
