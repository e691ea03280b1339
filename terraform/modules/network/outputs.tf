output "network_id" {
  description = "Id of the VPC."
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "Name of the VPC (the VPC connector takes a name)."
  value       = google_compute_network.this.name
}

output "pods_range_name" {
  description = "Name of the subnet's secondary range for pods."
  value       = google_compute_subnetwork.nodes.secondary_ip_range[0].range_name
}

output "services_range_name" {
  description = "Name of the subnet's secondary range for services."
  value       = google_compute_subnetwork.nodes.secondary_ip_range[1].range_name
}

output "subnet_id" {
  description = "Id of the GKE subnet, where the internal load balancers' addresses are reserved."
  value       = google_compute_subnetwork.nodes.id
}
