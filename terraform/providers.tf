provider "google" {
  project = var.project_id
  region  = var.region
}

# The kubernetes and helm providers talk to the cluster this configuration
# creates, so they cannot be configured until it exists: the first apply is
# two-phase (README, "First apply").

data "google_client_config" "default" {}

provider "kubernetes" {
  host                   = "https://${module.gke.endpoint}"
  token                  = data.google_client_config.default.access_token
  cluster_ca_certificate = base64decode(module.gke.ca_certificate)
}

provider "helm" {
  kubernetes {
    host                   = "https://${module.gke.endpoint}"
    token                  = data.google_client_config.default.access_token
    cluster_ca_certificate = base64decode(module.gke.ca_certificate)
  }
}
