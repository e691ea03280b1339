# Two services from one image, told apart by FUNCTION_TARGET.
#
# Terraform creates them with var.image and then leaves the image alone:
# Cloud Build deploys new revisions (tagged, without traffic, checked, then
# promoted), so image, revision name, traffic split and client fields are
# ignored after creation.

resource "google_cloud_run_v2_service" "api" {
  project             = var.project_id
  name                = "${var.name_prefix}-api"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection

  template {
    service_account = google_service_account.api.email
    # The api also serves POST /replication_check (Basic auth), whose window
    # may last up to 15 minutes: the timeout fits that window and the check's
    # tail (root module, timeouts.tf). Other routes end far sooner: the app's
    # connect and query timeouts bound them.
    timeout                          = "${var.api_timeout_s}s"
    max_instance_request_concurrency = 80

    scaling {
      min_instance_count = var.api_min_instances
      max_instance_count = var.api_max_instances
    }

    vpc_access {
      connector = google_vpc_access_connector.this.id
      egress    = "PRIVATE_RANGES_ONLY"
    }

    containers {
      image = var.image

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = "1"
          memory = "512Mi"
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }

      startup_probe {
        period_seconds    = 2
        failure_threshold = 15
        http_get {
          path = "/status"
        }
      }

      dynamic "env" {
        for_each = local.api_env
        content {
          name  = env.key
          value = env.value
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [
      client,
      client_version,
      template[0].containers[0].image,
      template[0].revision,
      traffic,
    ]
  }

  # A revision that cannot read its secrets never becomes ready.
  depends_on = [
    google_secret_manager_secret_iam_member.api_db_password,
    google_secret_manager_secret_iam_member.api_basic_auth_username,
    google_secret_manager_secret_iam_member.api_basic_auth_password,
  ]
}

resource "google_cloud_run_v2_service" "check" {
  project             = var.project_id
  name                = "${var.name_prefix}-check"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection

  template {
    service_account = google_service_account.check.email
    # The scheduler's sampling window plus the check's tail and a margin
    # (root module, timeouts.tf).
    timeout = "${var.check_timeout_s}s"

    scaling {
      min_instance_count = 0
      max_instance_count = var.check_max_instances
    }

    vpc_access {
      connector = google_vpc_access_connector.this.id
      egress    = "PRIVATE_RANGES_ONLY"
    }

    containers {
      image = var.image

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = "1"
          memory = "512Mi"
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }

      startup_probe {
        period_seconds    = 2
        failure_threshold = 15
        http_get {
          path = "/status"
        }
      }

      dynamic "env" {
        for_each = local.check_env
        content {
          name  = env.key
          value = env.value
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [
      client,
      client_version,
      template[0].containers[0].image,
      template[0].revision,
      traffic,
    ]
  }

  depends_on = [google_secret_manager_secret_iam_member.check_db_password]
}

# The api is public; Basic auth in the app guards every route but /status
# and /openapi.json.
resource "google_cloud_run_v2_service_iam_member" "api_public" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.api.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# The check service is not: Cloud Run IAM admits the scheduler's account only.
resource "google_cloud_run_v2_service_iam_member" "check_scheduler" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.check.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}
