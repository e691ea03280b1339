# Two services from one image, told apart by FUNCTION_TARGET: one definition,
# for_each over local.services, which holds everything that differs between
# them. Everything else (ingress, connector, resources, probe, lifecycle) is
# the same for both by construction.
#
# Terraform creates them with var.image and then leaves the image alone:
# Cloud Build deploys new revisions (tagged, without traffic, checked, then
# promoted), so image, revision name, traffic split and client fields are
# ignored after creation.

locals {
  services = {
    api = {
      service_account = google_service_account.api.email
      # The api also serves POST /replication_check (Basic auth), whose window
      # may last up to 15 minutes: the timeout fits that window and the
      # check's tail (root module, timeouts.tf). Other routes end far sooner:
      # the app's connect and query timeouts bound them.
      timeout_s                        = var.api_timeout_s
      max_instance_request_concurrency = 80
      min_instances                    = var.api_min_instances
      max_instances                    = var.api_max_instances
      env = {
        FUNCTION_TARGET     = "api"
        BASIC_AUTH_USERNAME = var.secret_references.basic_auth_username
        BASIC_AUTH_PASSWORD = var.secret_references.basic_auth_password
      }
    }
    check = {
      service_account = google_service_account.check.email
      # The scheduler's sampling window plus the check's tail and a margin
      # (root module, timeouts.tf).
      timeout_s = var.check_timeout_s
      # Unset (Cloud Run's default), as the check service has always had it.
      max_instance_request_concurrency = null
      min_instances                    = 0
      max_instances                    = var.check_max_instances
      # The standalone check takes no Basic auth (Cloud Run IAM guards it), so
      # it gets no Basic-auth secret either.
      env = {
        FUNCTION_TARGET = "replicationCheck"
      }
    }
  }
}

resource "google_cloud_run_v2_service" "this" {
  for_each            = local.services
  project             = var.project_id
  name                = "${var.name_prefix}-${each.key}"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection

  template {
    service_account                  = each.value.service_account
    timeout                          = "${each.value.timeout_s}s"
    max_instance_request_concurrency = each.value.max_instance_request_concurrency

    scaling {
      min_instance_count = each.value.min_instances
      max_instance_count = each.value.max_instances
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
        for_each = merge(local.database_env, local.service_env, each.value.env)
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

  # A revision that cannot read its secrets never becomes ready. depends_on
  # names a whole resource and holds for every instance of a for_each one,
  # so both services wait for all eight runtime grants: the api for its four,
  # the check for its two, and each for the other's and the job's too, which
  # only orders creation (nothing is granted by it).
  depends_on = [google_secret_manager_secret_iam_member.runtime]
}

# The two services were two resources before they shared one definition:
# these move a state's objects to the new addresses, where Terraform would
# otherwise destroy the services and create them again (or, with
# deletion_protection on, fail the apply).
moved {
  from = google_cloud_run_v2_service.api
  to   = google_cloud_run_v2_service.this["api"]
}

moved {
  from = google_cloud_run_v2_service.check
  to   = google_cloud_run_v2_service.this["check"]
}

# The invokers stay two resources, not a field of local.services: the one
# public grant of the configuration is easier to see, and to review, written
# out. The api is public; Basic auth in the app guards every route but /status
# and /openapi.json.
resource "google_cloud_run_v2_service_iam_member" "api_public" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.this["api"].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# The check service is not: Cloud Run IAM admits the scheduler's account only.
resource "google_cloud_run_v2_service_iam_member" "check_scheduler" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.this["check"].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}
