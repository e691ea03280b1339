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
# One policy per entry of local.alert_policies, one resource for them all
# (the burn-rate policies, slo.tf, are their own resource: per position, and
# with a precondition of their own). Every policy waits for
# time_sleep.metrics_propagated (metrics.tf): Cloud Monitoring refuses one on
# a log-based metric until the metric has reached it, and depends_on holds for
# every instance of a for_each resource, so the uptime policy, on a built-in
# metric, waits too (on a first apply only: the sleep is not replaced later
# unless a metric is).
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

  # Every policy but the burn-rate ones, by the name it had as a resource of
  # its own. A condition spells out every field: absent makes it a
  # condition_absent (no comparison or threshold), and null leaves Cloud
  # Monitoring's default (no trigger, no evaluation_missing_data).
  alert_policies = {
    check_failed = {
      display_name = "${var.name_prefix}: replication check failing"
      severity     = "CRITICAL"
      conditions = [
        {
          display_name            = "More than one failed replication check in 5 minutes"
          absent                  = false
          filter                  = local.failure_metric
          comparison              = "COMPARISON_GT"
          threshold_value         = 1
          duration                = "0s"
          evaluation_missing_data = null
          trigger_count           = null
          aggregation = {
            alignment_period     = "300s"
            per_series_aligner   = "ALIGN_SUM"
            cross_series_reducer = "REDUCE_SUM"
            group_by_fields      = ["resource.label.service_name"]
          }
        },
      ]
      documentation = "The replication check failed more than once in five minutes (each run covers a minute of heartbeats). The metric's `type` label holds each run's most fundamental failure (`jsonPayload.failure_type`). The log lines (`jsonPayload.check=\"replication\"`, severity ERROR) list every failure and, under `replicas`, each endpoint's figures: primary/replica unreachable, primary in recovery, replica not a standby, different cluster, timeline mismatch, synchronous standby or standbys missing, replica not receiving or not replaying, slot lost or retaining too much WAL, replication lag. A failover is reported as an event, not a failure."
    }

    uptime = {
      display_name = "${var.name_prefix}: api /status down"
      severity     = "CRITICAL"
      conditions = [
        {
          display_name            = "Uptime check on /status failing"
          absent                  = false
          filter                  = "metric.type=\"monitoring.googleapis.com/uptime_check/check_passed\" AND metric.label.check_id=\"${google_monitoring_uptime_check_config.api_status.uptime_check_id}\" AND resource.type=\"uptime_url\""
          comparison              = "COMPARISON_GT"
          threshold_value         = 1
          duration                = "300s"
          evaluation_missing_data = null
          trigger_count           = null
          aggregation = {
            alignment_period     = "1200s"
            per_series_aligner   = "ALIGN_NEXT_OLDER"
            cross_series_reducer = "REDUCE_COUNT_FALSE"
            group_by_fields      = ["resource.label.*"]
          }
        },
      ]
      documentation = "GET /status on the api service fails from more than one uptime checker region. /status touches neither the database nor Secret Manager: the service itself is down or failing to start."
    }

    # Early warning: one replica's typical lag is well above normal, below the
    # point where checks fail. One condition per position.
    lag = {
      display_name = "${var.name_prefix}: replication lag high"
      severity     = "WARNING"
      conditions = [
        for position, instance in local.replica_positions :
        {
          display_name            = "Replica ${position} (${instance}): median lag over 10 minutes above ${var.lag_alert_threshold_ms} ms"
          absent                  = false
          filter                  = local.replica_lag_p50_metric[position]
          comparison              = "COMPARISON_GT"
          threshold_value         = var.lag_alert_threshold_ms
          duration                = "0s"
          evaluation_missing_data = null
          trigger_count           = null
          aggregation = {
            alignment_period     = "600s"
            per_series_aligner   = "ALIGN_PERCENTILE_50"
            cross_series_reducer = "REDUCE_MAX"
            group_by_fields      = ["resource.label.service_name"]
          }
        }
      ]
      documentation = "A replica takes longer than the threshold to show a row committed on the primary, in half of its heartbeats over ten minutes. The condition names the position (rK, the K-th endpoint of POSTGRES_REPLICA_ENDPOINTS) and its CloudNativePG instance. Check that replica's entry under `replicas` in the check's log lines (lag percentiles, replay LSN, failures), retained WAL per slot, and the replica's load."
    }

    check_absent = {
      display_name = "${var.name_prefix}: replication check not reporting"
      severity     = "ERROR"
      conditions = [
        {
          display_name            = "No successful replication check for 10 minutes"
          absent                  = true
          filter                  = local.lag_metric
          comparison              = null
          threshold_value         = null
          duration                = "600s"
          evaluation_missing_data = null
          trigger_count           = null
          aggregation = {
            alignment_period     = "300s"
            per_series_aligner   = "ALIGN_DELTA"
            cross_series_reducer = "REDUCE_COUNT"
            group_by_fields      = ["resource.label.service_name"]
          }
        },
      ]
      documentation = "No successful replication check was logged for ten minutes: the Cloud Scheduler job is paused or failing to call the service (see its logs: a run that outlasts its attempt deadline fails there), the check service cannot start (secrets, image), or every check fails (see the failing-check alert)."
    }

    # Any run that found a slot lost or unreserved: its standby can no longer
    # catch up by streaming (lost), or will not once the next checkpoint removes
    # the WAL it needs (unreserved).
    slot_lost = {
      display_name = "${var.name_prefix}: replication slot lost"
      severity     = "CRITICAL"
      conditions = [
        {
          display_name            = "A replication check found a slot with wal_status lost or unreserved"
          absent                  = false
          filter                  = local.slot_lost_metric
          comparison              = "COMPARISON_GT"
          threshold_value         = 0
          duration                = "0s"
          evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"
          trigger_count           = 1
          aggregation = {
            alignment_period     = "300s"
            per_series_aligner   = "ALIGN_SUM"
            cross_series_reducer = "REDUCE_SUM"
            group_by_fields      = ["resource.label.service_name"]
          }
        },
      ]
      documentation = "A replication check found a replication slot whose `wal_status` is `lost` (the WAL its standby still needs is gone) or `unreserved` (it is beyond `max_slot_wal_keep_size` and goes at the next checkpoint). The check's log line says that a run found one (`jsonPayload.check=\"replication\"`, `slot-lost` in `failures`); which slot, ask the primary (CloudNativePG names its standbys' slots `_cnpg_<instance>`): `kubectl cnpg psql <cluster> -n postgres -- -c 'SELECT slot_name, active, wal_status, safe_wal_size FROM pg_replication_slots'`, and `kubectl cnpg status <cluster> -n postgres`. `unreserved`: get that standby streaming again now (is its pod running, its volume full, its network reachable?), before a checkpoint makes the slot `lost`. `lost`: the standby cannot catch up by streaming; recreate it so that CloudNativePG clones it afresh (for example `kubectl cnpg destroy <cluster> <instance number> -n postgres`, which removes the instance and its volume). The failing-check alert fires too while runs fail."
    }

    # Any run that saw a failover (the primary's timeline or system identifier
    # changed): CloudNativePG promoted a replica, on its own or by someone's
    # switchover.
    failover = {
      display_name = "${var.name_prefix}: PostgreSQL failover"
      severity     = "ERROR"
      conditions = [
        {
          display_name            = "A replication check saw a failover"
          absent                  = false
          filter                  = local.failover_metric
          comparison              = "COMPARISON_GT"
          threshold_value         = 0
          duration                = "0s"
          evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"
          trigger_count           = 1
          aggregation = {
            alignment_period     = "300s"
            per_series_aligner   = "ALIGN_SUM"
            cross_series_reducer = "REDUCE_SUM"
            group_by_fields      = ["resource.label.service_name"]
          }
        },
      ]
      documentation = "The replication check saw the primary change: its timeline or system identifier differs from the previous heartbeat's (`jsonPayload.failover=true` in the check's log line). CloudNativePG promoted a replica, after the primary's pod, node or volume failed, or because someone ran a switchover (`kubectl cnpg promote`); a restored or replaced database shows as a new system identifier. Find out why: `kubectl cnpg status <cluster> -n postgres` (current primary, each instance's state), the operator's logs and the namespace's events (`kubectl get events -n postgres`), the former primary's pod and node. Then check that the former primary has rejoined as a standby and the check passes again: until it has, runs may fail with `standbys-missing` or `synchronous-standby-missing` (the failing-check alert)."
    }
  }
}

resource "google_monitoring_alert_policy" "alert" {
  for_each = local.alert_policies

  project               = var.project_id
  display_name          = each.value.display_name
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = var.notification_channels

  dynamic "conditions" {
    for_each = each.value.conditions
    content {
      display_name = conditions.value.display_name

      dynamic "condition_threshold" {
        for_each = conditions.value.absent ? [] : [conditions.value]
        content {
          filter                  = condition_threshold.value.filter
          comparison              = condition_threshold.value.comparison
          threshold_value         = condition_threshold.value.threshold_value
          duration                = condition_threshold.value.duration
          evaluation_missing_data = condition_threshold.value.evaluation_missing_data
          aggregations {
            alignment_period     = condition_threshold.value.aggregation.alignment_period
            per_series_aligner   = condition_threshold.value.aggregation.per_series_aligner
            cross_series_reducer = condition_threshold.value.aggregation.cross_series_reducer
            group_by_fields      = condition_threshold.value.aggregation.group_by_fields
          }
          dynamic "trigger" {
            for_each = condition_threshold.value.trigger_count == null ? [] : [condition_threshold.value.trigger_count]
            content {
              count = trigger.value
            }
          }
        }
      }

      dynamic "condition_absent" {
        for_each = conditions.value.absent ? [conditions.value] : []
        content {
          filter   = condition_absent.value.filter
          duration = condition_absent.value.duration
          aggregations {
            alignment_period     = condition_absent.value.aggregation.alignment_period
            per_series_aligner   = condition_absent.value.aggregation.per_series_aligner
            cross_series_reducer = condition_absent.value.aggregation.cross_series_reducer
            group_by_fields      = condition_absent.value.aggregation.group_by_fields
          }
        }
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = each.value.documentation
  }

  alert_strategy {
    auto_close = "1800s"
  }

  depends_on = [time_sleep.metrics_propagated]
}

# The policies were six resources before they shared one definition: these
# move a state's objects to the new addresses, where Terraform would
# otherwise destroy the policies and create them again.

moved {
  from = google_monitoring_alert_policy.check_failed
  to   = google_monitoring_alert_policy.alert["check_failed"]
}

moved {
  from = google_monitoring_alert_policy.uptime
  to   = google_monitoring_alert_policy.alert["uptime"]
}

moved {
  from = google_monitoring_alert_policy.lag
  to   = google_monitoring_alert_policy.alert["lag"]
}

moved {
  from = google_monitoring_alert_policy.check_absent
  to   = google_monitoring_alert_policy.alert["check_absent"]
}

moved {
  from = google_monitoring_alert_policy.slot_lost
  to   = google_monitoring_alert_policy.alert["slot_lost"]
}

moved {
  from = google_monitoring_alert_policy.failover
  to   = google_monitoring_alert_policy.alert["failover"]
}
