# A regional, VPC-native, private GKE cluster: nodes have internal addresses
# only; the control plane keeps a public endpoint restricted to
# master_authorized_networks (Terraform's kubernetes and helm providers need
# to reach it). Workload Identity is on; the default node pool is removed in
# favour of the separately managed pool in node-pool.tf.

resource "google_container_cluster" "this" {
  project             = var.project_id
  name                = "${var.name_prefix}-gke"
  location            = var.region
  network             = var.network_id
  subnetwork          = var.subnet_id
  networking_mode     = "VPC_NATIVE"
  deletion_protection = var.deletion_protection

  remove_default_node_pool = true
  initial_node_count       = 1

  ip_allocation_policy {
    cluster_secondary_range_name  = var.pods_range_name
    services_secondary_range_name = var.services_range_name
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false
    master_ipv4_cidr_block  = var.master_cidr
  }

  master_authorized_networks_config {
    dynamic "cidr_blocks" {
      for_each = var.master_authorized_networks
      content {
        cidr_block   = cidr_blocks.value.cidr_block
        display_name = cidr_blocks.value.display_name
      }
    }
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  release_channel {
    channel = var.release_channel
  }
}
