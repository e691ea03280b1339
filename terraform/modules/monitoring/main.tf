# Every minute, Cloud Scheduler POSTs to the private check service with an
# OIDC token signed as the scheduler's account (the service's only invoker).
# No retries: the next run is a minute away, and a retry would blur the
# failure count the alert reads.

resource "google_cloud_scheduler_job" "replication_check" {
  project          = var.project_id
  region           = var.region
  name             = "${var.name_prefix}-replication-check"
  description      = "Runs the replication check (write on the primary, read it back on a replica)."
  schedule         = var.schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "30s"

  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = "${var.check_url}/replication_check"

    oidc_token {
      service_account_email = var.scheduler_service_account_email
      audience              = var.check_url
    }
  }
}
