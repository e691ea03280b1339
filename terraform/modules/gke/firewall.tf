# A private cluster's control plane reaches nodes on 443 and 10250 only. The
# CloudNativePG operator's admission webhook listens on 9443: without this
# rule, creating or changing a Cluster resource times out.

resource "google_compute_firewall" "webhook_from_master" {
  project     = var.project_id
  name        = "${var.name_prefix}-gke-master-webhooks"
  network     = var.network_id
  description = "GKE control plane to the CloudNativePG admission webhook."
  direction   = "INGRESS"

  source_ranges = [var.master_cidr]
  target_tags   = [var.node_tag]

  allow {
    protocol = "tcp"
    ports    = [tostring(var.webhook_port)]
  }
}
