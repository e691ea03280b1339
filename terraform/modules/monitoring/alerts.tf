# Six ways to be told here: checks failing, the api down, a replica's lag
# creeping up (median), the check gone silent (scheduler paused, service
# broken before it could log, or every run failing), a replication slot lost,
# and a failover; and a replica's freshness budget burning (slo.tf). All go
# to var.notification_channels.
#
# No p99 threshold alert: the freshness SLO's burn-rate alerts cover a
# replica whose heartbeats arrive late, in proportion to how much of the
# budget they spend. A p99 alert fired on one run with a heartbeat or two over
# REPLICA_MAX_LAG_MS, a blip the budget absorbs; a replica that keeps missing
# that limit fails its runs (check_failed) and burns its budget at once.
#
# Replica lag is charted per position (r1, r2, …: one metric per position and
# statistic, metrics.tf), so the lag policy holds one condition per position:
# an alert names the instance. Cloud Monitoring allows 6 conditions per
# policy, hence at most 6 replica_instances. The position that is the primary
# has no values, and a condition without data does not fire.
#
# Every policy on a log-based metric waits for time_sleep.metrics_propagated
# (metrics.tf): Cloud Monitoring refuses it until the metric has reached it.
#
# A lost slot and a failover are events to act on whenever they happen: their
# policies open an incident on any run that reports one (a count above 0 in a
# 5-minute window), and treat a window without data as "nothing happened".

locals {
  # Monitoring filters of the log-based metrics, by what they chart.
  lag_metric       = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.lag.name}\" AND resource.type=\"cloud_run_revision\""
  failure_metric   = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.failures.name}\" AND resource.type=\"cloud_run_revision\""
  slot_lost_metric = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.slot_lost.name}\" AND resource.type=\"cloud_run_revision\""
  failover_metric  = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.failover.name}\" AND resource.type=\"cloud_run_revision\""
  replica_lag_p50_metric = {
    for position in keys(local.replica_positions) :
    position => "metric.type=\"logging.googleapis.com/user/${google_logging_metric.replica_lag["${position}-p50"].name}\" AND resource.type=\"cloud_run_revision\""
  }
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
    content   = "The replication check failed more than once in five minutes (each run covers a minute of heartbeats). The metric's `type` label holds each run's most fundamental failure (`jsonPayload.failure_type`). The log lines (`jsonPayload.check=\"replication\"`, severity ERROR) list every failure and, under `replicas`, each endpoint's figures: primary/replica unreachable, primary in recovery, replica not a standby, different cluster, timeline mismatch, synchronous standby or standbys missing, replica not receiving or not replaying, slot lost or retaining too much WAL, replication lag. A failover is reported as an event, not a failure."
  }

  alert_strategy {
    auto_close = "1800s"
  }

  depends_on = [time_sleep.metrics_propagated]
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

# Early warning: one replica's typical lag is well above normal, below the
# point where checks fail.
resource "google_monitoring_alert_policy" "lag" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: replication lag high"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels

  dynamic "conditions" {
    for_each = local.replica_positions
    content {
      display_name = "Replica ${conditions.key} (${conditions.value}): median lag over 10 minutes above ${var.lag_alert_threshold_ms} ms"
      condition_threshold {
        filter          = local.replica_lag_p50_metric[conditions.key]
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
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A replica takes longer than the threshold to show a row committed on the primary, in half of its heartbeats over ten minutes. The condition names the position (rK, the K-th endpoint of POSTGRES_REPLICA_ENDPOINTS) and its CloudNativePG instance. Check that replica's entry under `replicas` in the check's log lines (lag percentiles, replay LSN, failures), retained WAL per slot, and the replica's load."
  }

  alert_strategy {
    auto_close = "1800s"
  }

  depends_on = [time_sleep.metrics_propagated]
}

resource "google_monitoring_alert_policy" "check_absent" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: replication check not reporting"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "No successful replication check for 10 minutes"
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
    content   = "No successful replication check was logged for ten minutes: the Cloud Scheduler job is paused or failing to call the service (see its logs: a run that outlasts its attempt deadline fails there), the check service cannot start (secrets, image), or every check fails (see the failing-check alert)."
  }

  alert_strategy {
    auto_close = "1800s"
  }

  depends_on = [time_sleep.metrics_propagated]
}

# Any run that found a slot lost or unreserved: its standby can no longer
# catch up by streaming (lost), or will not once the next checkpoint removes
# the WAL it needs (unreserved).
resource "google_monitoring_alert_policy" "slot_lost" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: replication slot lost"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channels

  conditions {
    display_name = "A replication check found a slot with wal_status lost or unreserved"
    condition_threshold {
      filter                  = local.slot_lost_metric
      comparison              = "COMPARISON_GT"
      threshold_value         = 0
      duration                = "0s"
      evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A replication check found a replication slot whose `wal_status` is `lost` (the WAL its standby still needs is gone) or `unreserved` (it is beyond `max_slot_wal_keep_size` and goes at the next checkpoint). The check's log line says that a run found one (`jsonPayload.check=\"replication\"`, `slot-lost` in `failures`); which slot, ask the primary (CloudNativePG names its standbys' slots `_cnpg_<instance>`): `kubectl cnpg psql <cluster> -n postgres -- -c 'SELECT slot_name, active, wal_status, safe_wal_size FROM pg_replication_slots'`, and `kubectl cnpg status <cluster> -n postgres`. `unreserved`: get that standby streaming again now (is its pod running, its volume full, its network reachable?), before a checkpoint makes the slot `lost`. `lost`: the standby cannot catch up by streaming; recreate it so that CloudNativePG clones it afresh (for example `kubectl cnpg destroy <cluster> <instance number> -n postgres`, which removes the instance and its volume). The failing-check alert fires too while runs fail."
  }

  alert_strategy {
    auto_close = "1800s"
  }

  depends_on = [time_sleep.metrics_propagated]
}

# Any run that saw a failover (the primary's timeline or system identifier
# changed): CloudNativePG promoted a replica, on its own or by someone's
# switchover.
resource "google_monitoring_alert_policy" "failover" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: PostgreSQL failover"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "A replication check saw a failover"
    condition_threshold {
      filter                  = local.failover_metric
      comparison              = "COMPARISON_GT"
      threshold_value         = 0
      duration                = "0s"
      evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The replication check saw the primary change: its timeline or system identifier differs from the previous heartbeat's (`jsonPayload.failover=true` in the check's log line). CloudNativePG promoted a replica, after the primary's pod, node or volume failed, or because someone ran a switchover (`kubectl cnpg promote`); a restored or replaced database shows as a new system identifier. Find out why: `kubectl cnpg status <cluster> -n postgres` (current primary, each instance's state), the operator's logs and the namespace's events (`kubectl get events -n postgres`), the former primary's pod and node. Then check that the former primary has rejoined as a standby and the check passes again: until it has, runs may fail with `standbys-missing` or `synchronous-standby-missing` (the failing-check alert)."
  }

  alert_strategy {
    auto_close = "1800s"
  }

  depends_on = [time_sleep.metrics_propagated]
}
