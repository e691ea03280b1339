# Artifact Registry holds the image Cloud Build pushes (Container Registry is
# shut down): REGION-docker.pkg.dev/PROJECT/NAME_PREFIX/IMAGE.

resource "google_artifact_registry_repository" "this" {
  project       = var.project_id
  location      = var.region
  repository_id = var.name_prefix
  format        = "DOCKER"
  description   = "Images of ${var.name_prefix} (pg-replica-functions)."
}
