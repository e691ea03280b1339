output "ca_certificate" {
  description = "Base64-encoded CA certificate of the cluster's API server."
  value       = google_container_cluster.this.master_auth[0].cluster_ca_certificate
  sensitive   = true
}

output "endpoint" {
  description = "Address of the cluster's API server (for the kubernetes and helm providers)."
  value       = google_container_cluster.this.endpoint
  sensitive   = true
}

output "location" {
  description = "Region of the cluster."
  value       = google_container_cluster.this.location
}

output "name" {
  description = "Name of the cluster."
  value       = google_container_cluster.this.name
}

output "node_pool_id" {
  description = "Id of the node pool: Helm releases wait for it, so pods have somewhere to run."
  value       = google_container_node_pool.this.id
}
