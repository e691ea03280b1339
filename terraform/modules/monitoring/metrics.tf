# Log-based metrics from the line the check writes on every run:
#   {"severity":"INFO"|"ERROR","check":"replication","lag_ms":…,"failures":[…],…}
# (Cloud Run puts the fields under jsonPayload.)

locals {
  check_log_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.check_service_name}\"",
    "jsonPayload.check=\"replication\"",
  ])
}

# The measured lag (commit acknowledged on the primary → row visible on the
# replica) of every successful run, as a distribution in milliseconds.
resource "google_logging_metric" "lag" {
  project     = var.project_id
  name        = "${var.name_prefix}-replication-lag-ms"
  description = "Replication lag measured by the replication check (ms)."
  filter      = "${local.check_log_filter} AND severity=INFO"

  value_extractor = "EXTRACT(jsonPayload.lag_ms)"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "ms"
    display_name = "${var.name_prefix} replication lag"
  }

  # 0.05 ms to about 20 s, 50% wider each bucket.
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 32
      growth_factor      = 1.5
      scale              = 0.05
    }
  }
}

# Failed runs (the check logs them at ERROR, naming each failure).
resource "google_logging_metric" "failures" {
  project     = var.project_id
  name        = "${var.name_prefix}-replication-check-failures"
  description = "Replication checks that failed."
  filter      = "${local.check_log_filter} AND severity=ERROR"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name_prefix} failed replication checks"
  }
}
