# How Cloud Run reaches PostgreSQL: two internal passthrough load balancers,
# read-write (the primary) and read-only (the replicas), on internal addresses
# reserved in the GKE subnet of the connector's region. Never public:
# CloudNativePG's own rw/ro services stay ClusterIP, and these select the
# same pods by role. The check also reaches each instance on its own
# (instances.tf).
#
# loadBalancerSourceRanges is not decoration: without it GKE creates a
# firewall rule for the load balancer that admits every source.

resource "google_compute_address" "rw" {
  project      = var.project_id
  name         = "${local.cluster_name}-rw"
  region       = var.region
  subnetwork   = var.subnet_id
  address_type = "INTERNAL"
  description  = "Internal load balancer of the PostgreSQL primary (read-write)."
}

resource "google_compute_address" "ro" {
  project      = var.project_id
  name         = "${local.cluster_name}-ro"
  region       = var.region
  subnetwork   = var.subnet_id
  address_type = "INTERNAL"
  description  = "Internal load balancer of the PostgreSQL replicas (read-only)."
}

resource "kubernetes_service_v1" "rw" {
  metadata {
    name      = "${local.cluster_name}-rw-internal"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    annotations = {
      "networking.gke.io/load-balancer-type" = "Internal"
    }
  }

  spec {
    type                        = "LoadBalancer"
    load_balancer_ip            = google_compute_address.rw.address
    load_balancer_source_ranges = [var.connector_cidr]
    selector = {
      "cnpg.io/cluster"      = local.cluster_name
      "cnpg.io/instanceRole" = "primary"
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

resource "kubernetes_service_v1" "ro" {
  metadata {
    name      = "${local.cluster_name}-ro-internal"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    annotations = {
      "networking.gke.io/load-balancer-type" = "Internal"
    }
  }

  spec {
    type                        = "LoadBalancer"
    load_balancer_ip            = google_compute_address.ro.address
    load_balancer_source_ranges = [var.connector_cidr]
    selector = {
      "cnpg.io/cluster"      = local.cluster_name
      "cnpg.io/instanceRole" = "replica"
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
