# An input the root module passes on as is from one of its variables is
# validated there (terraform/variables.tf), where the value enters, and not
# again here. Validations here guard only values computed in the root module
# or taken from another module's outputs.

variable "api_service_name" {
  description = "Name of the api's Cloud Run service: the dashboard charts its requests, latency, 5xx and instances."
  type        = string
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$", var.api_service_name))
    error_message = "api_service_name must be a Cloud Run service name (lowercase letters, digits and hyphens, starting with a letter, at most 49 characters), not its URL."
  }
}

variable "api_url" {
  description = "URL of the api service (https://…), target of the /status uptime check."
  type        = string
  validation {
    condition     = startswith(var.api_url, "https://")
    error_message = "api_url must be an https:// URL."
  }
}

variable "attempt_deadline_s" {
  description = "Cloud Scheduler's attempt deadline in seconds: the sampling window, the check's tail and a margin, a little longer than the check service's request timeout."
  type        = number
  validation {
    condition     = var.attempt_deadline_s >= 15 && var.attempt_deadline_s <= 1800 && floor(var.attempt_deadline_s) == var.attempt_deadline_s
    error_message = "attempt_deadline_s must be a whole number of seconds from 15 to 1800 (Cloud Scheduler's limits for HTTP targets): shorten the window (check_samples × check_interval_ms), replica_max_lag_ms, db_query_timeout_ms or db_connect_timeout_ms."
  }
}

variable "check_interval_ms" {
  description = "Milliseconds between the heartbeats of one scheduled run (the interval_ms query parameter)."
  type        = number
}

variable "check_samples" {
  description = "Heartbeats per scheduled run (the samples query parameter)."
  type        = number
}

variable "check_service_name" {
  description = "Name of the check's Cloud Run service, whose log lines feed the metrics; the dashboard charts its instances."
  type        = string
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$", var.check_service_name))
    error_message = "check_service_name must be a Cloud Run service name (lowercase letters, digits and hyphens, starting with a letter, at most 49 characters), not its URL."
  }
}

variable "check_url" {
  description = "URL of the check service; the scheduler POSTs to <url>/replication_check with this URL as the token's audience."
  type        = string
  validation {
    condition     = startswith(var.check_url, "https://")
    error_message = "check_url must be an https:// URL."
  }
}

variable "lag_alert_threshold_ms" {
  description = "A replica's median lag (ms, over 10 minutes) above which the lag alert fires."
  type        = number
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
}

variable "notification_channels" {
  description = "Notification channel ids (projects/P/notificationChannels/N) every alert is sent to."
  type        = list(string)
}

variable "project_id" {
  description = "Project that holds the scheduler job, checks, metrics and alerts."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Scheduler job."
  type        = string
}

variable "replica_instances" {
  description = "CloudNativePG instance names in the order of POSTGRES_REPLICA_ENDPOINTS: position rK of the check's replica_lag_ms is the K-th. One lag metric per position and statistic, one alert condition per position."
  type        = list(string)
  validation {
    condition     = length(var.replica_instances) >= 1 && length(var.replica_instances) <= 6
    error_message = "replica_instances must list 1 to 6 instances: each lag alert policy holds one condition per instance, and Cloud Monitoring allows 6 conditions per policy."
  }
}

variable "replica_max_lag_ms" {
  description = "REPLICA_MAX_LAG_MS: the limit drawn on the p99 lag chart (beyond it a run fails); the lag buckets reach twice it."
  type        = number
}

variable "schedule" {
  description = "Cron schedule of the replication check (UTC)."
  type        = string
  default     = "* * * * *"
}

variable "scheduler_service_account_email" {
  description = "Service account whose OIDC token the scheduler presents (the check service's only invoker)."
  type        = string
}

variable "slo_goal" {
  description = "The freshness SLO's goal: the fraction of heartbeats each replica must show within slo_target_ms."
  type        = number
}

variable "slo_rolling_period_days" {
  description = "The freshness SLO's rolling period, in days: the burn-rate thresholds are computed from it."
  type        = number
}

variable "slo_target_ms" {
  description = "The freshness SLO's target: a heartbeat is good on a replica that shows it within this many milliseconds of its commit on the primary."
  type        = number
}

variable "uptime_check_period" {
  description = "How often the /status uptime check runs."
  type        = string
}
