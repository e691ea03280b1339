output "ca_reference" {
  description = "POSTGRES_SSLROOTCERT: Secret Manager reference (latest) to the cluster's CA certificate; it refers to the version, so workloads using it are created after the CA is stored."
  value       = "gcp:secretmanager:${google_secret_manager_secret_version.ca.secret}/versions/latest"
}

output "cluster_name" {
  description = "Name of the CloudNativePG Cluster resource."
  value       = local.cluster_name
}

output "database" {
  description = "Application database."
  value       = var.database
}

output "instance_addresses" {
  description = "Internal addresses of the per-instance load balancers, in instance order (<cluster>-1, <cluster>-2, …): POSTGRES_REPLICA_ENDPOINTS."
  value       = google_compute_address.instance[*].address
}

output "instance_names" {
  description = "Names of the CloudNativePG instances, in the order of instance_addresses."
  value       = local.instance_names
}

output "namespace" {
  description = "Kubernetes namespace of the cluster."
  value       = kubernetes_namespace_v1.this.metadata[0].name
}

output "owner" {
  description = "Role the application logs in as."
  value       = var.owner
}

output "ro_address" {
  description = "Internal address of the read-only load balancer (replicas): POSTGRES_REPLICATION_HOST."
  value       = google_compute_address.ro.address
}

output "rw_address" {
  description = "Internal address of the read-write load balancer (primary): POSTGRES_MAIN_HOST."
  value       = google_compute_address.rw.address
}
