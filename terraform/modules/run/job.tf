# The migration, from the same image: `node dist/server/migrateMain.js` instead of
# the image's server command. Cloud Build updates its image and executes it
# before deploying a revision; it runs under an advisory lock, so a retry or
# a concurrent run is safe.

resource "google_cloud_run_v2_job" "migrate" {
  project             = var.project_id
  name                = "${var.name_prefix}-migrate"
  location            = var.region
  deletion_protection = var.deletion_protection

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account = google_service_account.migrate.email
      max_retries     = 1
      timeout         = "600s"

      vpc_access {
        connector = google_vpc_access_connector.this.id
        egress    = "PRIVATE_RANGES_ONLY"
      }

      containers {
        image   = var.image
        command = ["node"]
        args    = ["dist/server/migrateMain.js"]

        resources {
          limits = {
            cpu    = "1"
            memory = "512Mi"
          }
        }

        dynamic "env" {
          for_each = local.database_env
          content {
            name  = env.key
            value = env.value
          }
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [
      client,
      client_version,
      template[0].template[0].containers[0].image,
    ]
  }

  # Its two grants, with the services' (one resource for all eight).
  depends_on = [google_secret_manager_secret_iam_member.runtime]
}
