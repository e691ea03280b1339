# Environment of each workload. Secret variables hold Secret Manager
# references (`gcp:secretmanager:…/versions/latest`), not values and not Cloud
# Run secret mounts: the app resolves them with the SDK at start-up and reads
# `latest` again when Postgres rejects a password (28P01) or every
# BASIC_AUTH_REFRESH_S, which is what lets secrets rotate without a deploy.
# PORT and K_SERVICE are set by Cloud Run.
#
# POSTGRES_REPLICA_ENDPOINTS lists every CloudNativePG instance's own load
# balancer, the primary's included: roles move on failover, and the app
# reports the endpoint that currently is the primary as the primary. Reads
# (/country_replica) still go through the ro load balancer,
# POSTGRES_REPLICATION_HOST.

locals {
  replica_endpoints = join(",", [for address in var.postgres_instance_addresses : "${address}:5432"])

  api_env = {
    FUNCTION_TARGET                 = "api"
    POSTGRES_MAIN_HOST              = var.postgres_main_host
    POSTGRES_MAIN_PORT              = "5432"
    POSTGRES_REPLICATION_HOST       = var.postgres_replication_host
    POSTGRES_REPLICATION_PORT       = "5432"
    POSTGRES_USER                   = var.postgres_user
    POSTGRES_DB                     = var.postgres_db
    POSTGRES_SSLMODE                = "require"
    POSTGRES_MAIN_PASSWORD          = var.secret_references.db_password
    BASIC_AUTH_USERNAME             = var.secret_references.basic_auth_username
    BASIC_AUTH_PASSWORD             = var.secret_references.basic_auth_password
    DB_POOL_MAX                     = tostring(var.db_pool_max)
    DB_CONNECT_TIMEOUT_MS           = tostring(var.db_connect_timeout_ms)
    DB_QUERY_TIMEOUT_MS             = tostring(var.db_query_timeout_ms)
    REPLICA_MAX_LAG_MS              = tostring(var.replica_max_lag_ms)
    EXPECTED_STANDBYS               = tostring(var.expected_standbys)
    POSTGRES_REPLICA_ENDPOINTS      = local.replica_endpoints
    REPLICA_MAX_SLOT_RETAINED_BYTES = tostring(var.replica_max_slot_retained_bytes)
  }

  # The standalone check takes no Basic auth (Cloud Run IAM guards it), so it
  # gets no Basic-auth secret either.
  check_env = {
    FUNCTION_TARGET                 = "replicationCheck"
    POSTGRES_MAIN_HOST              = var.postgres_main_host
    POSTGRES_MAIN_PORT              = "5432"
    POSTGRES_REPLICATION_HOST       = var.postgres_replication_host
    POSTGRES_REPLICATION_PORT       = "5432"
    POSTGRES_USER                   = var.postgres_user
    POSTGRES_DB                     = var.postgres_db
    POSTGRES_SSLMODE                = "require"
    POSTGRES_MAIN_PASSWORD          = var.secret_references.db_password
    DB_POOL_MAX                     = tostring(var.db_pool_max)
    DB_CONNECT_TIMEOUT_MS           = tostring(var.db_connect_timeout_ms)
    DB_QUERY_TIMEOUT_MS             = tostring(var.db_query_timeout_ms)
    REPLICA_MAX_LAG_MS              = tostring(var.replica_max_lag_ms)
    EXPECTED_STANDBYS               = tostring(var.expected_standbys)
    POSTGRES_REPLICA_ENDPOINTS      = local.replica_endpoints
    REPLICA_MAX_SLOT_RETAINED_BYTES = tostring(var.replica_max_slot_retained_bytes)
  }

  # The migration talks to the primary only.
  migrate_env = {
    POSTGRES_MAIN_HOST        = var.postgres_main_host
    POSTGRES_MAIN_PORT        = "5432"
    POSTGRES_REPLICATION_HOST = var.postgres_replication_host
    POSTGRES_USER             = var.postgres_user
    POSTGRES_DB               = var.postgres_db
    POSTGRES_SSLMODE          = "require"
    POSTGRES_MAIN_PASSWORD    = var.secret_references.db_password
    DB_CONNECT_TIMEOUT_MS     = tostring(var.db_connect_timeout_ms)
  }
}
