# /status answers without the database or credentials: this says whether the
# api service is up, not whether PostgreSQL is (the check service does that).

locals {
  api_host = trimsuffix(trimprefix(var.api_url, "https://"), "/")
}

resource "google_monitoring_uptime_check_config" "api_status" {
  project      = var.project_id
  display_name = "${var.name_prefix} api /status"
  period       = var.uptime_check_period
  timeout      = "10s"

  http_check {
    path           = "/status"
    port           = 443
    use_ssl        = true
    validate_ssl   = true
    request_method = "GET"

    accepted_response_status_codes {
      status_class = "STATUS_CLASS_2XX"
    }
  }

  monitored_resource {
    type = "uptime_url"
    labels = {
      project_id = var.project_id
      host       = local.api_host
    }
  }
}
