output "api_service_name" {
  description = "Name of the api Cloud Run service."
  value       = google_cloud_run_v2_service.this["api"].name
}

output "api_url" {
  description = "URL of the api service."
  value       = google_cloud_run_v2_service.this["api"].uri
}

output "artifact_registry" {
  description = "Docker path of the Artifact Registry repository: push images as <this>/IMAGE:TAG."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.this.repository_id}"
}

output "check_service_name" {
  description = "Name of the replicationCheck Cloud Run service."
  value       = google_cloud_run_v2_service.this["check"].name
}

output "check_url" {
  description = "URL of the (private) replication check service."
  value       = google_cloud_run_v2_service.this["check"].uri
}

output "connector_id" {
  description = "Id of the Serverless VPC Access connector."
  value       = google_vpc_access_connector.this.id
}

output "migration_job_name" {
  description = "Name of the migration Cloud Run job."
  value       = google_cloud_run_v2_job.migrate.name
}

output "scheduler_service_account_email" {
  description = "Account Cloud Scheduler signs its OIDC tokens with: the check service's only invoker."
  value       = google_service_account.scheduler.email
}

output "service_accounts" {
  description = "Emails of the runtime service accounts: api, check, migrate, scheduler."
  value = {
    api       = google_service_account.api.email
    check     = google_service_account.check.email
    migrate   = google_service_account.migrate.email
    scheduler = google_service_account.scheduler.email
  }
}
