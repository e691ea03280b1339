# One dashboard for replication and the services around it, two charts a row
# on a mosaic of 48 columns (each tile 24 wide and 16 high, placed by xPos and
# yPos below; gridLayout, which placed them by order alone, is deprecated):
#
#   yPos  xPos 0                     xPos 24
#    0    freshness SLO compliance   error budget left         one line per position (rK,
#                                                              its instance), from its SLO
#   16    replica lag p50            replica lag p99           one line per position (rK,
#                                                              its instance), with the
#                                                              alerts' thresholds
#   32    failed checks by type      lost slots and failovers
#   48    api requests/s by class    api latency p50, p99
#   64    api 5xx/s                  instances of api and check
#
# Every log-based metric it charts is one that metrics.tf defines, named by
# reference (google_logging_metric.X.name), as in the alerts. The Cloud Run
# metrics (run.googleapis.com/…) are built in, filtered to the run module's
# two services (var.api_service_name, var.check_service_name). The SLO charts
# read the SLOs (slo.tf) through Cloud Monitoring's SLO selectors,
# select_slo_compliance and select_slo_budget_fraction, named by reference
# (google_monitoring_slo.freshness[position].id).

locals {
  # The Cloud Run services, by role.
  run_services = {
    api   = var.api_service_name
    check = var.check_service_name
  }

  # Monitoring filter of one service's built-in Cloud Run metrics.
  run_service_filter = {
    for role, service in local.run_services :
    role => "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${service}\""
  }

  # Per statistic: the aligner (the lag alerts' too) and the line drawn on its
  # chart.
  lag_aligners = {
    p50 = "ALIGN_PERCENTILE_50"
    p99 = "ALIGN_PERCENTILE_99"
  }
  lag_thresholds = {
    p50 = { label = "lag alert (median over 10 min)", value = var.lag_alert_threshold_ms }
    p99 = { label = "REPLICA_MAX_LAG_MS (a run fails beyond it)", value = var.replica_max_lag_ms }
  }

  # The events charted beside the failures (alerts.tf), by legend.
  event_metric_filters = {
    "failover"                = local.failover_metric
    "slot lost or unreserved" = local.slot_lost_metric
  }

  # The freshness SLOs: compliance over the rolling period against the goal,
  # and the share of the error budget left (below 0 once overspent). A
  # position while it is the primary has no data.
  slo_charts = {
    compliance = {
      title     = "Freshness SLO: heartbeats visible within ${var.slo_target_ms} ms over ${var.slo_rolling_period_days} days, by position"
      selector  = "select_slo_compliance"
      label     = "fraction good"
      threshold = { label = "goal", value = var.slo_goal }
    }
    budget = {
      title     = "Freshness SLO: error budget left, by position"
      selector  = "select_slo_budget_fraction"
      label     = "fraction of budget"
      threshold = { label = "budget spent", value = 0 }
    }
  }

  # By chart: compliance, budget.
  slo_widgets = {
    for chart in keys(local.slo_charts) : chart => {
      title = local.slo_charts[chart].title
      xyChart = {
        chartOptions = { mode = "COLOR" }
        dataSets = [
          for position, instance in local.replica_positions : {
            legendTemplate     = "${position} ${instance}"
            plotType           = "LINE"
            targetAxis         = "Y1"
            minAlignmentPeriod = "60s"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "${local.slo_charts[chart].selector}(\"${google_monitoring_slo.freshness[position].id}\")"
                aggregation = {
                  alignmentPeriod  = "60s"
                  perSeriesAligner = "ALIGN_MEAN"
                }
              }
            }
          }
        ]
        thresholds = [merge(local.slo_charts[chart].threshold, { targetAxis = "Y1" })]
        yAxis      = { label = local.slo_charts[chart].label, scale = "LINEAR" }
      }
    }
  }

  # One chart per statistic, one line per position: the position's metric of
  # that statistic, merged over the check service's revisions (REDUCE_MAX).
  # The position that is the primary has no points.
  replica_lag_widgets = {
    for statistic in local.lag_statistics : statistic => {
      title = "Replica lag ${statistic} per run (ms), by position and instance"
      xyChart = {
        chartOptions = { mode = "COLOR" }
        dataSets = [
          for position, instance in local.replica_positions : {
            legendTemplate     = "${position} ${instance}"
            plotType           = "LINE"
            targetAxis         = "Y1"
            minAlignmentPeriod = "60s"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.replica_lag["${position}-${statistic}"].name}\" AND resource.type=\"cloud_run_revision\""
                aggregation = {
                  alignmentPeriod    = "60s"
                  perSeriesAligner   = local.lag_aligners[statistic]
                  crossSeriesReducer = "REDUCE_MAX"
                }
              }
            }
          }
        ]
        thresholds = [merge(local.lag_thresholds[statistic], { targetAxis = "Y1" })]
        yAxis      = { label = "ms", scale = "LOG10" }
      }
    }
  }

  # The other charts, by name: the check's failures and events, and the
  # services' traffic.
  widgets = {
    failures = {
      # The failures counter's type label: each run's most fundamental failure.
      title = "Failed replication checks by type"
      xyChart = {
        chartOptions = { mode = "COLOR" }
        dataSets = [
          {
            plotType           = "STACKED_BAR"
            targetAxis         = "Y1"
            minAlignmentPeriod = "60s"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = local.failure_metric
                aggregation = {
                  alignmentPeriod    = "300s"
                  perSeriesAligner   = "ALIGN_SUM"
                  crossSeriesReducer = "REDUCE_SUM"
                  groupByFields      = ["metric.label.type"]
                }
              }
            }
          }
        ]
        yAxis = { label = "runs", scale = "LINEAR" }
      }
    }

    events = {
      title = "Runs that found a lost slot, and failovers"
      xyChart = {
        chartOptions = { mode = "COLOR" }
        dataSets = [
          for legend, filter in local.event_metric_filters : {
            legendTemplate     = legend
            plotType           = "STACKED_BAR"
            targetAxis         = "Y1"
            minAlignmentPeriod = "60s"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = filter
                aggregation = {
                  alignmentPeriod    = "300s"
                  perSeriesAligner   = "ALIGN_SUM"
                  crossSeriesReducer = "REDUCE_SUM"
                }
              }
            }
          }
        ]
        yAxis = { label = "runs", scale = "LINEAR" }
      }
    }

    api_requests = {
      title = "api requests per second, by response class"
      xyChart = {
        chartOptions = { mode = "COLOR" }
        dataSets = [
          {
            plotType           = "STACKED_AREA"
            targetAxis         = "Y1"
            minAlignmentPeriod = "60s"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "metric.type=\"run.googleapis.com/request_count\" AND ${local.run_service_filter.api}"
                aggregation = {
                  alignmentPeriod    = "60s"
                  perSeriesAligner   = "ALIGN_RATE"
                  crossSeriesReducer = "REDUCE_SUM"
                  groupByFields      = ["metric.label.response_code_class"]
                }
              }
            }
          }
        ]
        yAxis = { label = "requests/s", scale = "LINEAR" }
      }
    }

    api_latency = {
      # POST /replication_check on the api lasts its whole window: its
      # requests sit in the tail.
      title = "api request latency p50 and p99 (ms)"
      xyChart = {
        chartOptions = { mode = "COLOR" }
        dataSets = [
          for percentile in [50, 99] : {
            legendTemplate     = "p${percentile}"
            plotType           = "LINE"
            targetAxis         = "Y1"
            minAlignmentPeriod = "60s"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "metric.type=\"run.googleapis.com/request_latencies\" AND ${local.run_service_filter.api}"
                aggregation = {
                  alignmentPeriod    = "60s"
                  perSeriesAligner   = "ALIGN_DELTA"
                  crossSeriesReducer = "REDUCE_PERCENTILE_${percentile}"
                }
              }
            }
          }
        ]
        yAxis = { label = "ms", scale = "LOG10" }
      }
    }

    api_5xx = {
      title = "api 5xx responses per second"
      xyChart = {
        chartOptions = { mode = "COLOR" }
        dataSets = [
          {
            legendTemplate     = "5xx"
            plotType           = "LINE"
            targetAxis         = "Y1"
            minAlignmentPeriod = "60s"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "metric.type=\"run.googleapis.com/request_count\" AND ${local.run_service_filter.api} AND metric.labels.response_code_class=\"5xx\""
                aggregation = {
                  alignmentPeriod    = "60s"
                  perSeriesAligner   = "ALIGN_RATE"
                  crossSeriesReducer = "REDUCE_SUM"
                }
              }
            }
          }
        ]
        yAxis = { label = "responses/s", scale = "LINEAR" }
      }
    }

    instances = {
      # Active and idle instances together, per service.
      title = "Instances of the api and check services"
      xyChart = {
        chartOptions = { mode = "COLOR" }
        dataSets = [
          for role, filter in local.run_service_filter : {
            legendTemplate     = role
            plotType           = "LINE"
            targetAxis         = "Y1"
            minAlignmentPeriod = "60s"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "metric.type=\"run.googleapis.com/container/instance_count\" AND ${filter}"
                aggregation = {
                  alignmentPeriod    = "60s"
                  perSeriesAligner   = "ALIGN_MAX"
                  crossSeriesReducer = "REDUCE_SUM"
                }
              }
            }
          }
        ]
        yAxis = { label = "instances", scale = "LINEAR" }
      }
    }
  }
}

resource "google_monitoring_dashboard" "replication" {
  project = var.project_id
  dashboard_json = jsonencode({
    displayName = "${var.name_prefix}: replication"
    mosaicLayout = {
      columns = 48
      tiles = [
        { xPos = 0, yPos = 0, width = 24, height = 16, widget = local.slo_widgets.compliance },
        { xPos = 24, yPos = 0, width = 24, height = 16, widget = local.slo_widgets.budget },
        { xPos = 0, yPos = 16, width = 24, height = 16, widget = local.replica_lag_widgets.p50 },
        { xPos = 24, yPos = 16, width = 24, height = 16, widget = local.replica_lag_widgets.p99 },
        { xPos = 0, yPos = 32, width = 24, height = 16, widget = local.widgets.failures },
        { xPos = 24, yPos = 32, width = 24, height = 16, widget = local.widgets.events },
        { xPos = 0, yPos = 48, width = 24, height = 16, widget = local.widgets.api_requests },
        { xPos = 24, yPos = 48, width = 24, height = 16, widget = local.widgets.api_latency },
        { xPos = 0, yPos = 64, width = 24, height = 16, widget = local.widgets.api_5xx },
        { xPos = 24, yPos = 64, width = 24, height = 16, widget = local.widgets.instances },
      ]
    }
  })
}
