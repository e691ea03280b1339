# Every minute, Cloud Scheduler POSTs to the private check service with an
# OIDC token signed as the scheduler's account (the service's only invoker).
# Each call runs a sampling window that covers the minute: check_samples
# heartbeats, one every check_interval_ms, and the service answers when the
# window ends (plus the check's tail). The attempt deadline, computed in the
# root module (timeouts.tf), is a little longer than the service's request
# timeout, so a run that hangs ends as Cloud Run's 504 in the request log.
# No retries: the next run is a minute away, and a retry would blur the
# failure count the alert reads.

resource "google_cloud_scheduler_job" "replication_check" {
  project          = var.project_id
  region           = var.region
  name             = "${var.name_prefix}-replication-check"
  description      = "Runs the replication check: ${var.check_samples} heartbeats on the primary, ${var.check_interval_ms} ms apart, each read back on every replica."
  schedule         = var.schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "${var.attempt_deadline_s}s"

  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = "${var.check_url}/replication_check?samples=${var.check_samples}&interval_ms=${var.check_interval_ms}"

    oidc_token {
      service_account_email = var.scheduler_service_account_email
      audience              = var.check_url
    }
  }
}
