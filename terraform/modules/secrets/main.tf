# The secrets, without their values: versions are added with gcloud (see the
# README), so no password is ever written in Terraform code. The one
# exception is postgres_ca, no secret but a trust anchor: the postgres module
# copies CloudNativePG's own CA certificate into it, and Secret Manager's IAM
# decides who may replace it. Access is granted per secret, to the service
# account that needs it, by the run module.

locals {
  secrets = {
    basic_auth_password = "${var.name_prefix}-basic-auth-password"
    basic_auth_username = "${var.name_prefix}-basic-auth-username"
    db_password         = "${var.name_prefix}-db-password"
    postgres_ca         = "${var.name_prefix}-postgres-ca"
  }
}

resource "google_secret_manager_secret" "this" {
  for_each  = local.secrets
  project   = var.project_id
  secret_id = each.value
  labels    = { purpose = replace(each.key, "_", "-") }

  replication {
    auto {}
  }
}
