# The namespace and the application owner's credentials. The password lives
# in Secret Manager (the secrets module); Terraform copies its latest version
# into a basic-auth Kubernetes secret, which CloudNativePG reads at bootstrap
# and, through the managed role in cluster.tf, whenever it changes. The value
# is therefore in the Terraform state too: keep the state bucket private.

locals {
  cluster_name = "${var.name_prefix}-pg"
}

data "google_secret_manager_secret_version" "db_password" {
  project = var.project_id
  secret  = var.db_password_secret_id
}

resource "kubernetes_namespace_v1" "this" {
  metadata {
    name = var.namespace
  }
}

resource "kubernetes_secret_v1" "credentials" {
  metadata {
    name      = "${local.cluster_name}-${var.owner}-credentials"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels = {
      # CloudNativePG reconciles the role as soon as a labelled secret changes.
      "cnpg.io/reload" = "true"
    }
  }
  type = "kubernetes.io/basic-auth"
  data = {
    username = var.owner
    password = data.google_secret_manager_secret_version.db_password.secret_data
  }
}
