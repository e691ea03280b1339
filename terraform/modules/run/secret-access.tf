# Secret access, one secret at a time (never roles/secretmanager.* on the
# project): the api reads the database password and the Basic credentials;
# the check service and the migration job read the database password only.
# All three read the cluster's CA (POSTGRES_SSLROOTCERT), to verify the server.

locals {
  # The runtime accounts, as IAM members.
  runtime_members = {
    api     = "serviceAccount:${google_service_account.api.email}"
    check   = "serviceAccount:${google_service_account.check.email}"
    migrate = "serviceAccount:${google_service_account.migrate.email}"
  }

  # One entry per grant, by the name it had as a resource of its own: which
  # account (local.runtime_members) reads which secret (var.secret_ids).
  secret_grants = {
    api_db_password         = { account = "api", secret = "db_password" }
    api_basic_auth_username = { account = "api", secret = "basic_auth_username" }
    api_basic_auth_password = { account = "api", secret = "basic_auth_password" }
    api_postgres_ca         = { account = "api", secret = "postgres_ca" }
    check_db_password       = { account = "check", secret = "db_password" }
    check_postgres_ca       = { account = "check", secret = "postgres_ca" }
    migrate_db_password     = { account = "migrate", secret = "db_password" }
    migrate_postgres_ca     = { account = "migrate", secret = "postgres_ca" }
  }
}

resource "google_secret_manager_secret_iam_member" "runtime" {
  for_each = local.secret_grants

  project   = var.project_id
  secret_id = var.secret_ids[each.value.secret]
  role      = "roles/secretmanager.secretAccessor"
  member    = local.runtime_members[each.value.account]
}

# The grants were eight resources before they shared one definition: these
# move a state's objects to the new addresses, where Terraform would
# otherwise revoke each grant and grant it again.
moved {
  from = google_secret_manager_secret_iam_member.api_db_password
  to   = google_secret_manager_secret_iam_member.runtime["api_db_password"]
}

moved {
  from = google_secret_manager_secret_iam_member.api_basic_auth_username
  to   = google_secret_manager_secret_iam_member.runtime["api_basic_auth_username"]
}

moved {
  from = google_secret_manager_secret_iam_member.api_basic_auth_password
  to   = google_secret_manager_secret_iam_member.runtime["api_basic_auth_password"]
}

moved {
  from = google_secret_manager_secret_iam_member.api_postgres_ca
  to   = google_secret_manager_secret_iam_member.runtime["api_postgres_ca"]
}

moved {
  from = google_secret_manager_secret_iam_member.check_db_password
  to   = google_secret_manager_secret_iam_member.runtime["check_db_password"]
}

moved {
  from = google_secret_manager_secret_iam_member.check_postgres_ca
  to   = google_secret_manager_secret_iam_member.runtime["check_postgres_ca"]
}

moved {
  from = google_secret_manager_secret_iam_member.migrate_db_password
  to   = google_secret_manager_secret_iam_member.runtime["migrate_db_password"]
}

moved {
  from = google_secret_manager_secret_iam_member.migrate_postgres_ca
  to   = google_secret_manager_secret_iam_member.runtime["migrate_postgres_ca"]
}
