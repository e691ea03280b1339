# An input the root module passes on as is from one of its variables is
# validated there (terraform/variables.tf), where the value enters, and not
# again here. Validations here guard only values computed in the root module
# or taken from another module's outputs.

variable "api_max_instances" {
  description = "Maximum instances of the api service (each holds up to db_pool_max connections per host)."
  type        = number
}

variable "api_min_instances" {
  description = "Instances of the api service kept warm (0 scales to zero)."
  type        = number
}

variable "api_timeout_s" {
  description = "Request timeout of the api service in seconds: the longest /replication_check window (15 minutes) plus the check's tail."
  type        = number
  validation {
    condition     = var.api_timeout_s >= 1 && var.api_timeout_s <= 3600 && floor(var.api_timeout_s) == var.api_timeout_s
    error_message = "api_timeout_s must be a whole number of seconds from 1 to 3600 (Cloud Run's limit)."
  }
}

variable "check_max_instances" {
  description = "Maximum instances of the replication check service."
  type        = number
}

variable "check_timeout_s" {
  description = "Request timeout of the check service in seconds: the scheduler's sampling window plus the check's tail and a margin."
  type        = number
  validation {
    condition     = var.check_timeout_s >= 1 && var.check_timeout_s <= 3600 && floor(var.check_timeout_s) == var.check_timeout_s
    error_message = "check_timeout_s must be a whole number of seconds from 1 to 3600 (Cloud Run's limit)."
  }
}

variable "connector_cidr" {
  description = "The /28 range of the Serverless VPC Access connector."
  type        = string
}

variable "connector_machine_type" {
  description = "Machine type of the connector's instances."
  type        = string
}

variable "connector_max_instances" {
  description = "Maximum instances of the connector (it scales out, never back in)."
  type        = number
}

variable "connector_min_instances" {
  description = "Minimum instances of the connector (always running, always billed)."
  type        = number
}

variable "db_connect_timeout_ms" {
  description = "DB_CONNECT_TIMEOUT_MS of the services: a dead host fails fast."
  type        = number
}

variable "db_pool_max" {
  description = "DB_POOL_MAX: connections per instance per host."
  type        = number
}

variable "db_query_timeout_ms" {
  description = "DB_QUERY_TIMEOUT_MS of the services: client-side deadline per query."
  type        = number
}

variable "deletion_protection" {
  description = "Refuse to destroy the services and the job."
  type        = bool
}

variable "deployer_service_account" {
  description = "Email of the service account Cloud Build deploys with; null grants it nothing."
  type        = string
  default     = null
}

variable "expected_standbys" {
  description = "EXPECTED_STANDBYS: streaming standbys the replication check requires."
  type        = number
}

variable "image" {
  description = "Container image the services and the job are created with (Artifact Registry); ignored once they exist."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
}

variable "network_name" {
  description = "Name of the VPC the connector attaches to."
  type        = string
}

variable "postgres_ca_reference" {
  description = "POSTGRES_SSLROOTCERT: Secret Manager reference to the cluster's CA certificate (the postgres module's copy)."
  type        = string
  validation {
    condition     = startswith(var.postgres_ca_reference, "gcp:secretmanager:projects/")
    error_message = "postgres_ca_reference must be a gcp:secretmanager:projects/P/secrets/S[/versions/V] reference."
  }
}

variable "postgres_db" {
  description = "POSTGRES_DB: the application database."
  type        = string
}

variable "postgres_instance_addresses" {
  description = "Internal addresses of every CloudNativePG instance's own load balancer, in instance order: POSTGRES_REPLICA_ENDPOINTS (port 5432 each)."
  type        = list(string)
  validation {
    condition     = length(var.postgres_instance_addresses) >= 1
    error_message = "postgres_instance_addresses must list at least one address (one per PostgreSQL instance)."
  }
}

variable "postgres_main_host" {
  description = "POSTGRES_MAIN_HOST: internal address of the read-write load balancer."
  type        = string
}

variable "postgres_replication_host" {
  description = "POSTGRES_REPLICATION_HOST: internal address of the read-only load balancer."
  type        = string
}

variable "postgres_user" {
  description = "POSTGRES_USER: the database owner role."
  type        = string
}

variable "project_id" {
  description = "Project that holds the services."
  type        = string
}

variable "region" {
  description = "Region of the services, the job, the connector and the repository."
  type        = string
}

variable "replica_max_lag_ms" {
  description = "REPLICA_MAX_LAG_MS: lag beyond which the replication check fails."
  type        = number
}

variable "replica_max_slot_retained_bytes" {
  description = "REPLICA_MAX_SLOT_RETAINED_BYTES: WAL an inactive replication slot may retain before the check fails."
  type        = number
}

variable "secret_ids" {
  description = "Secret Manager secret ids, for per-secret access grants."
  type = object({
    basic_auth_password = string
    basic_auth_username = string
    db_password         = string
    postgres_ca         = string
  })
}

variable "secret_references" {
  description = "Secret Manager references placed in the environment, resolved by the app."
  type = object({
    basic_auth_password = string
    basic_auth_username = string
    db_password         = string
  })
  validation {
    condition     = alltrue([for reference in values(var.secret_references) : startswith(reference, "gcp:secretmanager:projects/")])
    error_message = "secret_references must be gcp:secretmanager:projects/P/secrets/S[/versions/V] references, never secret values."
  }
}
