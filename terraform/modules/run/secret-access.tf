# Secret access, one secret at a time (never roles/secretmanager.* on the
# project): the api reads the database password and the Basic credentials;
# the check service and the migration job read the database password only.
# All three read the cluster's CA (POSTGRES_SSLROOTCERT), to verify the server.

resource "google_secret_manager_secret_iam_member" "api_db_password" {
  project   = var.project_id
  secret_id = var.secret_ids.db_password
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.api.email}"
}

resource "google_secret_manager_secret_iam_member" "api_basic_auth_username" {
  project   = var.project_id
  secret_id = var.secret_ids.basic_auth_username
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.api.email}"
}

resource "google_secret_manager_secret_iam_member" "api_basic_auth_password" {
  project   = var.project_id
  secret_id = var.secret_ids.basic_auth_password
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.api.email}"
}

resource "google_secret_manager_secret_iam_member" "check_db_password" {
  project   = var.project_id
  secret_id = var.secret_ids.db_password
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.check.email}"
}

resource "google_secret_manager_secret_iam_member" "migrate_db_password" {
  project   = var.project_id
  secret_id = var.secret_ids.db_password
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.migrate.email}"
}

resource "google_secret_manager_secret_iam_member" "api_postgres_ca" {
  project   = var.project_id
  secret_id = var.secret_ids.postgres_ca
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.api.email}"
}

resource "google_secret_manager_secret_iam_member" "check_postgres_ca" {
  project   = var.project_id
  secret_id = var.secret_ids.postgres_ca
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.check.email}"
}

resource "google_secret_manager_secret_iam_member" "migrate_postgres_ca" {
  project   = var.project_id
  secret_id = var.secret_ids.postgres_ca
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.migrate.email}"
}
