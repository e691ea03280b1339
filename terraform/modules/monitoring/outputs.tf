output "alert_policy_ids" {
  description = "Ids of the alert policies: check_failed, uptime, lag, check_absent, slot_lost, failover, and slo_burn (the freshness burn-rate policies, by position and alert: r1-fast, r1-slow, …)."
  value = merge(
    { for key, policy in google_monitoring_alert_policy.alert : key => policy.id },
    { slo_burn = { for key, policy in google_monitoring_alert_policy.slo_burn : key => policy.id } },
  )
}

output "dashboard_id" {
  description = "Id of the replication dashboard (projects/PROJECT/dashboards/ID)."
  value       = google_monitoring_dashboard.replication.id
}

output "lag_metric_type" {
  description = "Metric type of the slowest replica's lag distribution (successful runs), for dashboards."
  value       = "logging.googleapis.com/user/${google_logging_metric.lag.name}"
}

output "replica_lag_metric_types" {
  description = "Metric types of the per-replica lag distributions, by position and statistic (r1-p50, r1-p99, …), for dashboards."
  value       = { for key, metric in google_logging_metric.replica_lag : key => "logging.googleapis.com/user/${metric.name}" }
}

output "scheduler_job_name" {
  description = "Name of the Cloud Scheduler job (pause it to stop the check)."
  value       = google_cloud_scheduler_job.replication_check.name
}

output "uptime_check_id" {
  description = "Id of the /status uptime check."
  value       = google_monitoring_uptime_check_config.api_status.uptime_check_id
}

output "freshness_slo_ids" {
  description = "Resource names of the freshness SLOs, by replica position (projects/PROJECT/services/SERVICE/serviceLevelObjectives/freshness-rK)."
  value       = { for position, slo in google_monitoring_slo.freshness : position => slo.id }
}
