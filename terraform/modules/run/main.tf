# Environment of each workload. Secret variables hold Secret Manager
# references (`gcp:secretmanager:…/versions/latest`), not values and not Cloud
# Run secret mounts: the app resolves them with the SDK at start-up and reads
# `latest` again when Postgres rejects a password (28P01) or every
# BASIC_AUTH_REFRESH_S, which is what lets secrets rotate without a deploy.
# PORT and K_SERVICE are set by Cloud Run.
#
# Three layers, so that a setting is written once: database_env (every
# workload, and all the migration job gets), service_env (what both services
# add to it), and each service's own env in local.services (services.tf:
# FUNCTION_TARGET, and the Basic-auth secrets on the api only). Their keys do
# not overlap, so the order in which they are merged does not matter.
#
# TLS: verify-ca against the cluster's own CA (POSTGRES_SSLROOTCERT, copied
# by the postgres module). Not verify-full: the service connects to load
# balancer addresses, and the server certificate CloudNativePG issues names
# DNS names only, one certificate shared by every instance (README, "TLS to
# PostgreSQL").
#
# POSTGRES_REPLICA_ENDPOINTS lists every CloudNativePG instance's own load
# balancer, the primary's included: roles move on failover, and the app
# reports the endpoint that currently is the primary as the primary. Reads
# (/country_replica) still go through the ro load balancer,
# POSTGRES_REPLICATION_HOST.

locals {
  replica_endpoints = join(",", [for address in var.postgres_instance_addresses : "${address}:5432"])

  # The migration job talks to the primary only: it gets this and nothing more.
  database_env = {
    POSTGRES_MAIN_HOST        = var.postgres_main_host
    POSTGRES_MAIN_PORT        = "5432"
    POSTGRES_REPLICATION_HOST = var.postgres_replication_host
    POSTGRES_USER             = var.postgres_user
    POSTGRES_DB               = var.postgres_db
    POSTGRES_SSLMODE          = "verify-ca"
    POSTGRES_SSLROOTCERT      = var.postgres_ca_reference
    POSTGRES_MAIN_PASSWORD    = var.secret_references.db_password
    DB_CONNECT_TIMEOUT_MS     = tostring(var.db_connect_timeout_ms)
  }

  # Both services: pools, reads on the replicas, and the replication check
  # (the api serves POST /replication_check too).
  service_env = {
    POSTGRES_REPLICATION_PORT       = "5432"
    DB_POOL_MAX                     = tostring(var.db_pool_max)
    DB_QUERY_TIMEOUT_MS             = tostring(var.db_query_timeout_ms)
    REPLICA_MAX_LAG_MS              = tostring(var.replica_max_lag_ms)
    EXPECTED_STANDBYS               = tostring(var.expected_standbys)
    POSTGRES_REPLICA_ENDPOINTS      = local.replica_endpoints
    REPLICA_MAX_SLOT_RETAINED_BYTES = tostring(var.replica_max_slot_retained_bytes)
    # Log lines of a request carry its Cloud Trace id in this project.
    GOOGLE_CLOUD_PROJECT = var.project_id
  }
}
