# Serverless VPC Access: Cloud Run's way into the VPC. Its /28 is the only
# range outside the cluster that the PostgreSQL firewall and the internal
# load balancers admit. Services use it for private ranges only; Google APIs
# (Secret Manager) go out directly.

resource "google_vpc_access_connector" "this" {
  project       = var.project_id
  name          = "${var.name_prefix}-conn"
  region        = var.region
  network       = var.network_name
  ip_cidr_range = var.connector_cidr
  machine_type  = var.connector_machine_type
  min_instances = var.connector_min_instances
  max_instances = var.connector_max_instances
}
