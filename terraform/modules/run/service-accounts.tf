# One identity per workload, so each gets only the secrets it reads.

resource "google_service_account" "api" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-api"
  display_name = "${var.name_prefix} api service"
}

resource "google_service_account" "check" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-check"
  display_name = "${var.name_prefix} replication check service"
}

resource "google_service_account" "migrate" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-migrate"
  display_name = "${var.name_prefix} migration job"
}

# Cloud Scheduler signs its OIDC tokens as this account: the only invoker of
# the check service.
resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-scheduler"
  display_name = "${var.name_prefix} Cloud Scheduler invoker"
}
