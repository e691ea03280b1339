# The freshness SLO, one per replica position (rK, as the lag metrics):
#
#   slo_goal of the heartbeats written on the primary are visible on replica
#   rK within slo_target_ms, over a rolling slo_rolling_period_days.
#
# Request-based: the SLI is the ratio of two log-based counters (metrics.tf),
# heartbeats rK showed within the target (good) out of the heartbeats it
# should have shown (total), one log entry per heartbeat. A heartbeat never
# shown (replica unreachable, not replaying, the window over first) counts in
# total and not in good. While rK is the primary it has no heartbeats to show:
# its SLO gets no data and burns nothing.
#
# Burn-rate alerts, the SRE workbook's multi-window, multi-burn-rate pattern
# (chapter 5, "Alerting on SLOs", table 5-8): a policy fires when the budget
# burns faster than its rate over both its long window and a short window a
# twelfth as long (the short one makes it stop soon after the burn does). The
# rate is the one that spends a given share of the period's budget in the
# long window, computed here from the period; the goal turns it into the
# fraction of heartbeats late that it takes. One policy per position and
# alert (a policy's two conditions are ANDed; Cloud Monitoring cannot AND
# within and OR across positions in one policy).

locals {
  # Monitoring filters of the heartbeat counters, by position and count.
  replica_heartbeat_metric = {
    for key, metric in local.replica_heartbeat_metrics :
    key => "metric.type=\"logging.googleapis.com/user/${google_logging_metric.replica_heartbeats[key].name}\" AND resource.type=\"cloud_run_revision\""
  }

  slo_period_s = var.slo_rolling_period_days * 86400

  # The workbook's two paging alerts: the share of the budget each lets burn
  # over its long window before it fires. Its third (10 % over 3 days, a
  # ticket) would be a burn rate of 1 or less over a period of 30 days or
  # less: it would fire while the SLO is met.
  slo_burn_alerts = {
    fast = { budget_share = 0.02, long_window_s = 3600, severity = "CRITICAL" }
    slow = { budget_share = 0.05, long_window_s = 21600, severity = "ERROR" }
  }

  # Burn rate threshold: budget_share × period / long window (14.4 over 1 h
  # for 30 days, 13.44 for 28).
  slo_burn_rate = {
    for name, alert in local.slo_burn_alerts :
    name => alert.budget_share * local.slo_period_s / alert.long_window_s
  }

  # The windows of each alert, in seconds: the short one a twelfth of the long.
  slo_burn_windows = {
    for name, alert in local.slo_burn_alerts :
    name => { long = alert.long_window_s, short = alert.long_window_s / 12 }
  }

  # What the threshold means in heartbeats: the fraction late over both
  # windows that it takes, burn rate × (1 - goal).
  slo_burn_late_fraction = {
    for name, rate in local.slo_burn_rate : name => rate * (1 - var.slo_goal)
  }

  # One policy per position and alert.
  slo_burn_policies = {
    for pair in setproduct(keys(local.replica_positions), keys(local.slo_burn_alerts)) :
    "${pair[0]}-${pair[1]}" => { position = pair[0], alert = pair[1] }
  }
}

resource "google_monitoring_custom_service" "replication" {
  project      = var.project_id
  service_id   = "${var.name_prefix}-replication"
  display_name = "${var.name_prefix}: replication to every standby"
}

resource "google_monitoring_slo" "freshness" {
  for_each = local.replica_positions

  project             = var.project_id
  service             = google_monitoring_custom_service.replication.service_id
  slo_id              = "freshness-${each.key}"
  display_name        = "${each.key} (${each.value}): ${format("%.6g", var.slo_goal * 100)} % of heartbeats visible within ${var.slo_target_ms} ms, rolling ${var.slo_rolling_period_days} days"
  goal                = var.slo_goal
  rolling_period_days = var.slo_rolling_period_days

  request_based_sli {
    good_total_ratio {
      good_service_filter  = local.replica_heartbeat_metric["${each.key}-good"]
      total_service_filter = local.replica_heartbeat_metric["${each.key}-total"]
    }
  }

  # Cloud Monitoring may refuse an SLO on a metric it does not know yet.
  depends_on = [time_sleep.metrics_propagated]
}

resource "google_monitoring_alert_policy" "slo_burn" {
  for_each = local.slo_burn_policies

  project               = var.project_id
  display_name          = "${var.name_prefix}: replica ${each.value.position} (${local.replica_positions[each.value.position]}) freshness budget burning (${each.value.alert})"
  combiner              = "AND"
  severity              = local.slo_burn_alerts[each.value.alert].severity
  notification_channels = var.notification_channels

  dynamic "conditions" {
    for_each = local.slo_burn_windows[each.value.alert]
    content {
      display_name = "Burn rate over the ${conditions.key} window (${conditions.value}s) above ${format("%.4g", local.slo_burn_rate[each.value.alert])}: more than ${format("%.3g", local.slo_burn_late_fraction[each.value.alert] * 100)} % of heartbeats late"
      condition_threshold {
        filter          = "select_slo_burn_rate(\"${google_monitoring_slo.freshness[each.value.position].id}\", \"${conditions.value}s\")"
        comparison      = "COMPARISON_GT"
        threshold_value = local.slo_burn_rate[each.value.alert]
        duration        = "0s"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Replica ${each.value.position} (${local.replica_positions[each.value.position]}) is spending its freshness error budget ${format("%.4g", local.slo_burn_rate[each.value.alert])} times faster than the SLO allows (${format("%.6g", var.slo_goal * 100)} % of heartbeats visible within ${var.slo_target_ms} ms over ${var.slo_rolling_period_days} days), over the last ${local.slo_burn_windows[each.value.alert].long / 3600} h and the last ${local.slo_burn_windows[each.value.alert].short / 60} min: at this rate ${format("%.3g", local.slo_burn_alerts[each.value.alert].budget_share * 100)} % of the budget goes every ${local.slo_burn_windows[each.value.alert].long / 3600} h. The check's log lines (`jsonPayload.check=\"replication\"`) say why: that replica's entry under `replicas` (seen against samples, lag percentiles, failures such as replica-unreachable or replica-not-replaying), and `replica_lag_ms.${each.value.position}`. The dashboard shows the budget left."
  }

  alert_strategy {
    auto_close = "1800s"
  }

  lifecycle {
    precondition {
      condition     = local.slo_burn_rate[each.value.alert] > 1 && local.slo_burn_late_fraction[each.value.alert] < 1
      error_message = "The ${each.value.alert} burn-rate alert must be reachable and mean something: its threshold (budget share × rolling period / long window) must be above 1 (or it fires while the SLO is met: lengthen slo_rolling_period_days) and, times (1 - slo_goal), below 1 (or even every heartbeat late cannot reach it: raise slo_goal)."
    }
  }

  depends_on = [time_sleep.metrics_propagated]
}
