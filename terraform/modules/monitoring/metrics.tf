# Log-based metrics from the one line the check service writes per run
# (Cloud Run puts the fields under jsonPayload):
#
#   {"severity":"INFO"|"ERROR", "check":"replication", "samples":60, "interval_ms":1000,
#    "lag_ms":…,                      the worst replica's last lag (null when none showed one)
#    "failure_type":…,                the most fundamental failure type, null when ok
#    "failures":[…], "events":[…], "failover":…, "replicas":[…],
#    "replica_lag_ms":{"r1":{"endpoint":…,"last":…,"p50":…,"p90":…,"p99":…,"max":…}, "r2":{…}, …}}
#
# A log-based metric extracts one value per log entry, so per-replica figures
# come from the flat replica_lag_ms map: rK is the K-th endpoint of
# POSTGRES_REPLICA_ENDPOINTS, that is CloudNativePG instance <cluster>-K
# (var.replica_instances). Its values are null when that replica showed
# nothing (it is the primary, unreachable, …): the filters require a value,
# so such runs add no point rather than a zero.
#
# The freshness SLO (slo.tf) counts heartbeats, not runs, and a log-based
# metric counts log entries (a counter cannot add up a number it reads), so
# it reads a second line the check service writes once per heartbeat of the
# run, after the run:
#
#   {"severity":"INFO", "check":"replication-heartbeat", "heartbeat":17,
#    "standbys":["r2","r3"],          the positions that should show it: every one but the primary's
#    "visible_ms":{"r2":3.1,"r3":null}} commit → visible on rK, null when rK never showed it
#
# Its check value differs from the run line's, so nothing above reads it.

locals {
  check_log_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.check_service_name}\"",
    "jsonPayload.check=\"replication\"",
  ])

  # Position (r1, r2, …) → CloudNativePG instance name.
  replica_positions = { for index, instance in var.replica_instances : "r${index + 1}" => instance }

  # The per-run statistics charted for each position: the median and the tail.
  lag_statistics = ["p50", "p99"]

  replica_lag_metrics = {
    for pair in setproduct(keys(local.replica_positions), local.lag_statistics) :
    "${pair[0]}-${pair[1]}" => { position = pair[0], statistic = pair[1] }
  }

  # The per-heartbeat lines, from the check service only.
  heartbeat_log_filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.service_name=\"${var.check_service_name}\"",
    "jsonPayload.check=\"replication-heartbeat\"",
  ])

  # Per position, the two counts of the freshness SLO's ratio: heartbeats it
  # should have shown (total) and those it showed within the target (good).
  heartbeat_counts = ["good", "total"]

  replica_heartbeat_metrics = {
    for pair in setproduct(keys(local.replica_positions), local.heartbeat_counts) :
    "${pair[0]}-${pair[1]}" => { position = pair[0], count = pair[1] }
  }

  # Lag buckets in ms: 0.05 ms, growing by half each bucket, up to at least
  # 30 s and twice replica_max_lag_ms (the limit drawn on the p99 chart must
  # fall inside the finite buckets): 33 buckets, 0.05 ms to ~33 s, by default.
  lag_bucket_scale_ms = 0.05
  lag_bucket_growth   = 1.5
  lag_bucket_count    = ceil(log(max(30000, 2 * var.replica_max_lag_ms) / local.lag_bucket_scale_ms, local.lag_bucket_growth))
}

# The worst replica's last lag of every successful run (commit acknowledged on
# the primary → heartbeat visible on the slowest replica), in milliseconds.
# Kept beside the per-replica metrics because the "not reporting" alert needs
# a series that every successful run feeds, whichever instance is primary.
resource "google_logging_metric" "lag" {
  project     = var.project_id
  name        = "${var.name_prefix}-replication-lag-ms"
  description = "Replication lag of the slowest replica in each successful replication check: its last heartbeat (ms)."
  filter      = "${local.check_log_filter} AND severity=INFO AND jsonPayload.lag_ms>=0"

  value_extractor = "EXTRACT(jsonPayload.lag_ms)"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "ms"
    display_name = "${var.name_prefix} replication lag (slowest replica)"
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

# Per replica position and statistic: the run's p50 or p99 lag of that
# replica, whatever the run's outcome (a run failing because of another
# replica still measures this one).
resource "google_logging_metric" "replica_lag" {
  for_each = local.replica_lag_metrics

  project     = var.project_id
  name        = "${var.name_prefix}-replica-lag-${each.value.position}-${each.value.statistic}-ms"
  description = "Per-run ${each.value.statistic} replication lag of replica ${each.value.position} (${local.replica_positions[each.value.position]}), from the replication check's sampling window (ms)."
  filter      = "${local.check_log_filter} AND jsonPayload.replica_lag_ms.${each.value.position}.${each.value.statistic}>=0"

  value_extractor = "EXTRACT(jsonPayload.replica_lag_ms.${each.value.position}.${each.value.statistic})"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "ms"
    display_name = "${var.name_prefix} ${each.value.position} (${local.replica_positions[each.value.position]}) lag ${each.value.statistic}"
  }

  bucket_options {
    exponential_buckets {
      num_finite_buckets = local.lag_bucket_count
      growth_factor      = local.lag_bucket_growth
      scale              = local.lag_bucket_scale_ms
    }
  }
}

# Per replica position: heartbeats that position should have shown (total:
# every heartbeat of a run while it is not the primary, unreachable or not),
# and those it showed within var.slo_target_ms of their commit (good, a subset
# of total: a null visible_ms, never shown, matches no comparison). One entry
# per heartbeat, so the counters count heartbeats: the freshness SLO's ratio.
resource "google_logging_metric" "replica_heartbeats" {
  for_each = local.replica_heartbeat_metrics

  project = var.project_id
  name    = "${var.name_prefix}-replica-heartbeats-${each.value.position}-${each.value.count}"
  description = (
    each.value.count == "good"
    ? "Heartbeats replica ${each.value.position} (${local.replica_positions[each.value.position]}) showed within ${var.slo_target_ms} ms of their commit on the primary."
    : "Heartbeats replica ${each.value.position} (${local.replica_positions[each.value.position]}) should have shown: every heartbeat written while it was not the primary."
  )
  filter = join(" AND ", concat(
    [local.heartbeat_log_filter, "jsonPayload.standbys=\"${each.value.position}\""],
    each.value.count == "good" ? ["jsonPayload.visible_ms.${each.value.position}<=${var.slo_target_ms}"] : [],
  ))

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name_prefix} ${each.value.position} (${local.replica_positions[each.value.position]}) heartbeats ${each.value.count}"
  }
}

# Failed runs (the check logs them at ERROR), by their most fundamental
# failure type: primary-unreachable, replica-unreachable, primary-in-recovery,
# replica-not-standby, different-cluster, timeline-mismatch,
# synchronous-standby-missing, standbys-missing, replica-not-receiving,
# replica-not-replaying, slot-lost, slot-retention, replication-lag.
resource "google_logging_metric" "failures" {
  project     = var.project_id
  name        = "${var.name_prefix}-replication-check-failures"
  description = "Replication checks that failed, by their most fundamental failure type."
  filter      = "${local.check_log_filter} AND severity=ERROR"

  label_extractors = {
    type = "EXTRACT(jsonPayload.failure_type)"
  }

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name_prefix} failed replication checks"

    labels {
      key         = "type"
      value_type  = "STRING"
      description = "The run's most fundamental failure type (jsonPayload.failure_type), such as replica-unreachable or replication-lag."
    }
  }
}

# Runs that found a replication slot whose wal_status is lost or unreserved
# (failure type slot-lost), whatever the run's most fundamental failure: the
# failures metric's type label holds only that one, so a lost slot behind an
# unreachable replica would not show there. jsonPayload.failures is an array
# (every failure type of the run, deduplicated). This relies on the Logging
# query language's rule for repeated fields: a comparison with an array
# matches when any of its elements matches, so failures="slot-lost" selects
# the runs whose list contains it.
resource "google_logging_metric" "slot_lost" {
  project     = var.project_id
  name        = "${var.name_prefix}-replication-slot-lost"
  description = "Replication checks that found a replication slot with wal_status lost or unreserved (slot-lost among the run's failures)."
  filter      = "${local.check_log_filter} AND jsonPayload.failures=\"slot-lost\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name_prefix} replication checks with a lost slot"
  }
}

# Runs that saw a failover: the primary's timeline or system identifier
# changed since the previous heartbeat (events contains "failover", and the
# flat boolean failover is true), whether the run then passed or failed.
resource "google_logging_metric" "failover" {
  project     = var.project_id
  name        = "${var.name_prefix}-replication-failover"
  description = "Replication checks that saw a failover: the primary's timeline or system identifier changed since the previous heartbeat."
  filter      = "${local.check_log_filter} AND jsonPayload.failover=true"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name_prefix} failovers seen by the replication check"
  }
}

# Cloud Monitoring learns of a new log-based metric some time after Logging
# has created it (up to 10 minutes): until then an alert policy on it fails
# with 404 "Cannot find metric(s)" (hashicorp/terraform-provider-google#11102).
# Every alert policy on these metrics, and every SLO, depends on this sleep, which ends
# create_duration after the last of them is created. Its triggers are the
# metrics' ids, so a metric created or replaced later (a new instance's
# replica_lag pair, a renamed prefix) replaces the sleep and the policies wait
# again; an apply that creates no metric does not wait.
resource "time_sleep" "metrics_propagated" {
  create_duration = "10m"

  triggers = merge(
    {
      failover  = google_logging_metric.failover.id
      failures  = google_logging_metric.failures.id
      lag       = google_logging_metric.lag.id
      slot_lost = google_logging_metric.slot_lost.id
    },
    { for key, metric in google_logging_metric.replica_lag : "replica_lag_${key}" => metric.id },
    { for key, metric in google_logging_metric.replica_heartbeats : "replica_heartbeats_${key}" => metric.id },
  )
}
