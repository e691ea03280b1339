# Four ways to be told: checks failing, the api down, lag too high, and the
# lag metric gone (the check stopped running: scheduler paused, service
# broken before it could log). All go to var.notification_channels.

locals {
  lag_metric     = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.lag.name}\" AND resource.type=\"cloud_run_revision\""
  failure_metric = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.failures.name}\" AND resource.type=\"cloud_run_revision\""
}

resource "google_monitoring_alert_policy" "check_failed" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: replication check failing"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channels

  conditions {
    display_name = "More than one failed replication check in 5 minutes"
    condition_threshold {
      filter          = local.failure_metric
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The replication check failed more than once in five minutes. Its log lines (`jsonPayload.check=\"replication\"`, severity ERROR) name each failure: primary/replica unreachable, standbys missing, synchronous standby missing, replication lag, different cluster or timeline."
  }

  alert_strategy {
    auto_close = "1800s"
  }

  depends_on = [google_logging_metric.failures]
}

resource "google_monitoring_alert_policy" "uptime" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: api /status down"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channels

  conditions {
    display_name = "Uptime check on /status failing"
    condition_threshold {
      filter          = "metric.type=\"monitoring.googleapis.com/uptime_check/check_passed\" AND metric.label.check_id=\"${google_monitoring_uptime_check_config.api_status.uptime_check_id}\" AND resource.type=\"uptime_url\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "300s"
      aggregations {
        alignment_period     = "1200s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_COUNT_FALSE"
        group_by_fields      = ["resource.label.*"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "GET /status on the api service fails from more than one uptime checker region. /status touches neither the database nor Secret Manager: the service itself is down or failing to start."
  }

  alert_strategy {
    auto_close = "1800s"
  }
}

resource "google_monitoring_alert_policy" "lag" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: replication lag high"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels

  conditions {
    display_name = "Median replication lag over 10 minutes above ${var.lag_alert_threshold_ms} ms"
    condition_threshold {
      filter          = local.lag_metric
      comparison      = "COMPARISON_GT"
      threshold_value = var.lag_alert_threshold_ms
      duration        = "0s"
      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_PERCENTILE_50"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.label.service_name"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The replica takes longer than the threshold to show a row committed on the primary. Check the standbys in the check's log lines (write/flush/replay lag, retained WAL per slot) and the replicas' load."
  }

  alert_strategy {
    auto_close = "1800s"
  }

  depends_on = [google_logging_metric.lag]
}

resource "google_monitoring_alert_policy" "check_absent" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: replication check not reporting"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "No replication lag measured for 10 minutes"
    condition_absent {
      filter   = local.lag_metric
      duration = "600s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_COUNT"
        group_by_fields      = ["resource.label.service_name"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "No successful replication check was logged for ten minutes: the Cloud Scheduler job is paused or failing to call the service (see its logs), the check service cannot start (secrets, image), or every check fails (see the failing-check alert)."
  }

  alert_strategy {
    auto_close = "1800s"
  }

  depends_on = [google_logging_metric.lag]
}
