# One internal passthrough load balancer per CloudNativePG instance, so the
# replication check reads every replica on its own (POSTGRES_REPLICA_ENDPOINTS):
# the ro load balancer balances over the replicas, so a check through it only
# verifies whichever replica it picked. The same guarantees as rw and ro
# (services.tf): internal only, on an address reserved in the GKE subnet,
# loadBalancerSourceRanges limited to the connector's range.
#
# CloudNativePG names its instances <cluster>-1, <cluster>-2, … and labels each
# instance pod cnpg.io/instanceName. The bootstrap and join job pods carry that
# label too (not cnpg.io/podRole), hence podRole = instance in the selector.
# Roles move between instances on failover; the services follow instances, not
# roles, and the app recognises the endpoint that currently is the primary.
#
# An instance that CloudNativePG replaces (its volume lost, or deleted with
# `kubectl cnpg destroy`) comes back under the next serial number (<cluster>-4):
# its old service then selects nothing, and the check reports that endpoint as
# unreachable until the names here are adjusted (README, "Verifying every replica").

locals {
  instance_names = [for n in range(1, var.instances + 1) : "${local.cluster_name}-${n}"]
}

resource "google_compute_address" "instance" {
  count        = var.instances
  project      = var.project_id
  name         = local.instance_names[count.index]
  region       = var.region
  subnetwork   = var.subnet_id
  address_type = "INTERNAL"
  description  = "Internal load balancer of PostgreSQL instance ${local.instance_names[count.index]} (whatever its role)."
}

resource "kubernetes_service_v1" "instance" {
  count = var.instances

  metadata {
    name      = "${local.instance_names[count.index]}-internal"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    annotations = {
      "networking.gke.io/load-balancer-type" = "Internal"
    }
  }

  spec {
    type                        = "LoadBalancer"
    load_balancer_ip            = google_compute_address.instance[count.index].address
    load_balancer_source_ranges = [var.connector_cidr]
    selector = {
      "cnpg.io/cluster"      = local.cluster_name
      "cnpg.io/podRole"      = "instance"
      "cnpg.io/instanceName" = local.instance_names[count.index]
    }

    port {
      name        = "postgres"
      port        = 5432
      target_port = 5432
      protocol    = "TCP"
    }
  }

  depends_on = [helm_release.cluster]
}
