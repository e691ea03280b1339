output "ids" {
  description = "Secret ids by purpose: db_password, basic_auth_username, basic_auth_password, postgres_ca (the cluster CA certificate, written by the postgres module)."
  value       = { for key, secret in google_secret_manager_secret.this : key => secret.secret_id }
}

output "references" {
  description = "Secret Manager references for the service's environment, by purpose (the app resolves `gcp:secretmanager:projects/P/secrets/S/versions/latest` itself)."
  value       = { for key, secret in google_secret_manager_secret.this : key => "gcp:secretmanager:projects/${var.project_id}/secrets/${secret.secret_id}/versions/latest" }
}
