variable "api_url" {
  description = "URL of the api service (https://…), target of the /status uptime check."
  type        = string
  validation {
    condition     = startswith(var.api_url, "https://")
    error_message = "api_url must be an https:// URL."
  }
}

variable "check_service_name" {
  description = "Name of the check's Cloud Run service, whose log lines feed the metrics."
  type        = string
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
  description = "Median replication lag (ms, over 10 minutes) above which the lag alert fires."
  type        = number
  validation {
    condition     = var.lag_alert_threshold_ms > 0
    error_message = "lag_alert_threshold_ms must be a positive number of milliseconds."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
}

variable "notification_channels" {
  description = "Notification channel ids (projects/P/notificationChannels/N) every alert is sent to."
  type        = list(string)
  validation {
    condition     = alltrue([for channel in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", channel))])
    error_message = "Each notification channel must be an id of the form projects/PROJECT/notificationChannels/ID."
  }
}

variable "project_id" {
  description = "Project that holds the scheduler job, checks, metrics and alerts."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Scheduler job."
  type        = string
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

variable "uptime_check_period" {
  description = "How often the /status uptime check runs."
  type        = string
  validation {
    condition     = contains(["60s", "300s", "600s", "900s"], var.uptime_check_period)
    error_message = "uptime_check_period must be 60s, 300s, 600s or 900s (the periods Cloud Monitoring allows)."
  }
}
