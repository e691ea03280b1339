output "api_service_name" {
  description = "Name of the api Cloud Run service (Cloud Build deploys to it)."
  value       = module.run.api_service_name
}

output "api_url" {
  description = "Public URL of the api service."
  value       = module.run.api_url
}

output "artifact_registry" {
  description = "Docker path of the Artifact Registry repository (REGION-docker.pkg.dev/PROJECT/REPOSITORY)."
  value       = module.run.artifact_registry
}

output "check_service_name" {
  description = "Name of the private replicationCheck Cloud Run service."
  value       = module.run.check_service_name
}

output "check_url" {
  description = "URL of the private replication check service (invokable by the scheduler's account only)."
  value       = module.run.check_url
}

output "connection_budget" {
  description = "Connections the Cloud Run services may hold on each PostgreSQL host, against max_connections."
  value = {
    services        = (2 * var.api_max_instances + var.check_max_instances) * (var.db_pool_max + 3) + 1
    reserved        = var.postgres_reserved_connections
    max_connections = var.postgres_max_connections
  }
}

output "dashboard_id" {
  description = "Id of the Cloud Monitoring dashboard of replication and the services (projects/PROJECT/dashboards/ID)."
  value       = module.monitoring.dashboard_id
}

output "gke_cluster_name" {
  description = "Name of the GKE cluster (gcloud container clusters get-credentials NAME --region REGION)."
  value       = module.gke.name
}

output "migration_job_name" {
  description = "Name of the migration Cloud Run job."
  value       = module.run.migration_job_name
}

output "postgres_cluster_name" {
  description = "Name of the CloudNativePG Cluster resource."
  value       = module.postgres.cluster_name
}

output "postgres_instance_addresses" {
  description = "Internal addresses of the per-instance load balancers, in instance order (POSTGRES_REPLICA_ENDPOINTS)."
  value       = module.postgres.instance_addresses
}

output "postgres_namespace" {
  description = "Kubernetes namespace of the PostgreSQL cluster."
  value       = module.postgres.namespace
}

output "postgres_ro_address" {
  description = "Internal address of the read-only load balancer (POSTGRES_REPLICATION_HOST)."
  value       = module.postgres.ro_address
}

output "postgres_rw_address" {
  description = "Internal address of the read-write load balancer (POSTGRES_MAIN_HOST)."
  value       = module.postgres.rw_address
}

output "region" {
  description = "Region of the services, the job and the registry."
  value       = var.region
}

output "scheduler_job_name" {
  description = "Name of the Cloud Scheduler job that runs the replication check."
  value       = module.monitoring.scheduler_job_name
}

output "secret_ids" {
  description = "Secret Manager secret ids by purpose: add versions to these (db_password, basic_auth_username, basic_auth_password)."
  value       = module.secrets.ids
}

output "service_accounts" {
  description = "Emails of the runtime service accounts: api, check, migrate, scheduler."
  value       = module.run.service_accounts
}
