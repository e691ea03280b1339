# Optional: what Cloud Build's service account needs to roll out, when
# deployer_service_account is set. Push to the repository, deploy revisions
# and run the job, act as the runtime accounts, and read the Basic
# credentials for the synthetic check it runs against the new revision.

locals {
  deploy      = var.deployer_service_account != null
  deployer    = "serviceAccount:${coalesce(var.deployer_service_account, "none@invalid")}"
  run_as_keys = local.deploy ? toset(["api", "check", "migrate"]) : toset([])
  runtime_accounts = {
    api     = google_service_account.api.name
    check   = google_service_account.check.name
    migrate = google_service_account.migrate.name
  }
}

resource "google_artifact_registry_repository_iam_member" "deployer_writer" {
  count      = local.deploy ? 1 : 0
  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.this.name
  role       = "roles/artifactregistry.writer"
  member     = local.deployer
}

resource "google_project_iam_member" "deployer_run_developer" {
  count   = local.deploy ? 1 : 0
  project = var.project_id
  role    = "roles/run.developer"
  member  = local.deployer
}

resource "google_service_account_iam_member" "deployer_act_as" {
  for_each           = local.run_as_keys
  service_account_id = local.runtime_accounts[each.key]
  role               = "roles/iam.serviceAccountUser"
  member             = local.deployer
}

# The Basic credentials, for the synthetic check.
resource "google_secret_manager_secret_iam_member" "deployer" {
  for_each = local.deploy ? toset(["basic_auth_username", "basic_auth_password"]) : toset([])

  project   = var.project_id
  secret_id = var.secret_ids[each.key]
  role      = "roles/secretmanager.secretAccessor"
  member    = local.deployer
}

# Two counted resources before: their one instance each moves to its key.
moved {
  from = google_secret_manager_secret_iam_member.deployer_basic_auth_username[0]
  to   = google_secret_manager_secret_iam_member.deployer["basic_auth_username"]
}

moved {
  from = google_secret_manager_secret_iam_member.deployer_basic_auth_password[0]
  to   = google_secret_manager_secret_iam_member.deployer["basic_auth_password"]
}
