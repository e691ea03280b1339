# Who may reach PostgreSQL (5432) on the GKE nodes.
#
# The internal load balancers' own firewall rules (created by GKE from
# loadBalancerSourceRanges) admit the connector's range only. These rules add
# a floor under them: 5432 is denied from everywhere (priority 900), except
# from the connector (the Cloud Run services) and from inside the cluster
# (nodes and pods: streaming replication, and kube-proxy forwarding a load
# balancer's connection to the node that runs the pod), both at priority 800.
# A Service patched to a public LoadBalancer (what the old app did) gets a
# GKE rule at priority 1000, which the deny overrides.

resource "google_compute_firewall" "postgres_from_connector" {
  project     = var.project_id
  name        = "${var.name_prefix}-postgres-from-connector"
  network     = google_compute_network.this.id
  description = "PostgreSQL from the Serverless VPC Access connector (Cloud Run) only."
  direction   = "INGRESS"
  priority    = 800

  source_ranges = [var.connector_cidr]
  target_tags   = [var.node_tag]

  allow {
    protocol = "tcp"
    ports    = ["5432"]
  }
}

resource "google_compute_firewall" "postgres_in_cluster" {
  project     = var.project_id
  name        = "${var.name_prefix}-postgres-in-cluster"
  network     = google_compute_network.this.id
  description = "PostgreSQL between GKE nodes and pods (replication, load balancer forwarding)."
  direction   = "INGRESS"
  priority    = 800

  source_ranges = [var.nodes_cidr, var.pods_cidr]
  target_tags   = [var.node_tag]

  allow {
    protocol = "tcp"
    ports    = ["5432"]
  }
}

resource "google_compute_firewall" "postgres_deny_others" {
  project     = var.project_id
  name        = "${var.name_prefix}-postgres-deny-others"
  network     = google_compute_network.this.id
  description = "PostgreSQL from anywhere else is refused, whatever a Kubernetes Service asks for."
  direction   = "INGRESS"
  priority    = 900

  source_ranges = ["0.0.0.0/0"]
  target_tags   = [var.node_tag]

  deny {
    protocol = "tcp"
    ports    = ["5432"]
  }
}
