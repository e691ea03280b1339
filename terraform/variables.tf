variable "alert_notification_channels" {
  description = "Notification channel ids (projects/PROJECT/notificationChannels/ID) that every alert is sent to. Empty: alerts only show in the console."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for channel in var.alert_notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", channel))])
    error_message = "Each alert notification channel must be an id of the form projects/PROJECT/notificationChannels/ID (see `gcloud beta monitoring channels list`)."
  }
}

variable "api_max_instances" {
  description = "Maximum instances of the api service. Each holds up to db_pool_max connections to each PostgreSQL host: see the connection budget."
  type        = number
  default     = 4
  validation {
    condition     = var.api_max_instances >= 1 && var.api_max_instances <= 100 && floor(var.api_max_instances) == var.api_max_instances
    error_message = "api_max_instances must be a whole number from 1 to 100."
  }
}

variable "api_min_instances" {
  description = "Instances of the api service kept warm; 0 lets it scale to zero (a cold start then costs about 0.5 s)."
  type        = number
  default     = 0
  validation {
    condition     = var.api_min_instances >= 0 && var.api_min_instances <= var.api_max_instances && floor(var.api_min_instances) == var.api_min_instances
    error_message = "api_min_instances must be a whole number from 0 to api_max_instances."
  }
}

variable "check_interval_ms" {
  description = "Milliseconds between the heartbeats of one scheduled replication check: the scheduler calls the check every minute with samples=check_samples&interval_ms=check_interval_ms."
  type        = number
  default     = 1000
  validation {
    condition     = var.check_interval_ms >= 100 && var.check_interval_ms <= 60000 && floor(var.check_interval_ms) == var.check_interval_ms
    error_message = "check_interval_ms must be a whole number from 100 to 60000 (what the app accepts)."
  }
}

variable "check_max_instances" {
  description = "Maximum instances of the replication check service (called once a minute; 1 is enough)."
  type        = number
  default     = 1
  validation {
    condition     = var.check_max_instances >= 1 && var.check_max_instances <= 10 && floor(var.check_max_instances) == var.check_max_instances
    error_message = "check_max_instances must be a whole number from 1 to 10."
  }
}

variable "check_samples" {
  description = "Heartbeats per scheduled replication check, check_interval_ms apart. check_samples × check_interval_ms is the run's window: 60 × 1000 covers the minute between two runs."
  type        = number
  default     = 60
  validation {
    condition     = var.check_samples >= 1 && var.check_samples <= 600 && floor(var.check_samples) == var.check_samples && var.check_samples * var.check_interval_ms <= 60000
    error_message = "check_samples must be a whole number from 1 to 600, and check_samples × check_interval_ms at most 60000 ms: the scheduler starts a run every minute, and a longer window would overlap the next run."
  }
}

variable "cnpg_cluster_chart_version" {
  description = "Version of the CloudNativePG `cluster` Helm chart."
  type        = string
  default     = "0.3.1"
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.cnpg_cluster_chart_version))
    error_message = "cnpg_cluster_chart_version must be an exact chart version such as 0.3.1, not a range: upgrades should be deliberate."
  }
}

variable "cnpg_operator_chart_version" {
  description = "Version of the CloudNativePG operator Helm chart (`cloudnative-pg`)."
  type        = string
  default     = "0.26.0"
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.cnpg_operator_chart_version))
    error_message = "cnpg_operator_chart_version must be an exact chart version such as 0.26.0, not a range: upgrades should be deliberate."
  }
}

variable "connector_cidr" {
  description = "The Serverless VPC Access connector's /28: the only range outside the cluster that may reach PostgreSQL. Must not overlap the GKE ranges."
  type        = string
  default     = "10.8.0.0/28"
  validation {
    condition     = can(cidrhost(var.connector_cidr, 0)) && endswith(var.connector_cidr, "/28")
    error_message = "connector_cidr must be an IPv4 /28 range, for example 10.8.0.0/28 (Serverless VPC Access requires exactly /28)."
  }
}

variable "connector_machine_type" {
  description = "Machine type of the connector's instances."
  type        = string
  default     = "e2-micro"
  validation {
    condition     = contains(["f1-micro", "e2-micro", "e2-standard-4"], var.connector_machine_type)
    error_message = "connector_machine_type must be f1-micro, e2-micro or e2-standard-4 (the types Serverless VPC Access supports)."
  }
}

variable "connector_max_instances" {
  description = "Maximum instances of the connector. It scales out under load and never back in, so this bounds its cost."
  type        = number
  default     = 3
  validation {
    condition     = var.connector_max_instances > var.connector_min_instances && var.connector_max_instances <= 10
    error_message = "connector_max_instances must be greater than connector_min_instances and at most 10."
  }
}

variable "connector_min_instances" {
  description = "Minimum instances of the connector; they run (and are billed) all the time."
  type        = number
  default     = 2
  validation {
    condition     = var.connector_min_instances >= 2 && var.connector_min_instances <= 9
    error_message = "connector_min_instances must be from 2 (the Serverless VPC Access minimum) to 9."
  }
}

variable "db_connect_timeout_ms" {
  description = "DB_CONNECT_TIMEOUT_MS: how long the app waits for a PostgreSQL connection before answering 503."
  type        = number
  default     = 2000
  validation {
    condition     = var.db_connect_timeout_ms >= 100 && var.db_connect_timeout_ms <= 60000
    error_message = "db_connect_timeout_ms must be from 100 to 60000 (what the app accepts)."
  }
}

variable "db_pool_max" {
  description = "DB_POOL_MAX: connections each instance may open to each host. See the connection budget."
  type        = number
  default     = 10
  validation {
    condition     = var.db_pool_max >= 1 && var.db_pool_max <= 100 && floor(var.db_pool_max) == var.db_pool_max
    error_message = "db_pool_max must be a whole number from 1 to 100."
  }
}

variable "db_query_timeout_ms" {
  description = "DB_QUERY_TIMEOUT_MS: client-side deadline per query, queue time included."
  type        = number
  default     = 3000
  validation {
    condition     = var.db_query_timeout_ms >= 100 && var.db_query_timeout_ms <= 600000
    error_message = "db_query_timeout_ms must be from 100 to 600000 (what the app accepts)."
  }
}

variable "deletion_protection" {
  description = "Refuse to destroy the GKE cluster, the Cloud Run services and the job. Set to false (and apply) before a deliberate destroy."
  type        = bool
  default     = true
}

variable "deployer_service_account" {
  description = "Email of the service account Cloud Build runs as. When set, it may push images, deploy revisions, run the migration job, act as the runtime accounts and read the Basic credentials (for the synthetic check). Null grants nothing."
  type        = string
  default     = null
  validation {
    condition     = var.deployer_service_account == null || can(regex("^[^@]+@[^@]+\\.iam\\.gserviceaccount\\.com$", var.deployer_service_account))
    error_message = "deployer_service_account must be a service account email (NAME@PROJECT.iam.gserviceaccount.com), or null."
  }
}

variable "gke_machine_type" {
  description = "Machine type of the GKE nodes (one PostgreSQL instance each)."
  type        = string
  default     = "e2-standard-2"
}

variable "gke_master_authorized_networks" {
  description = "Ranges allowed to reach the GKE control plane's endpoint: at least the machine that runs Terraform (the kubernetes and helm providers connect to it)."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  validation {
    condition     = alltrue([for network in var.gke_master_authorized_networks : can(cidrhost(network.cidr_block, 0)) && network.cidr_block != "0.0.0.0/0"])
    error_message = "Each gke_master_authorized_networks cidr_block must be a valid IPv4 range, and not 0.0.0.0/0 (that would open the control plane to the internet)."
  }
}

variable "gke_master_cidr" {
  description = "The /28 of the private GKE control plane."
  type        = string
  default     = "172.16.0.0/28"
  validation {
    condition     = can(cidrhost(var.gke_master_cidr, 0)) && endswith(var.gke_master_cidr, "/28")
    error_message = "gke_master_cidr must be an IPv4 /28 range, for example 172.16.0.0/28."
  }
}

variable "gke_node_count" {
  description = "GKE nodes per zone (the cluster is regional: three zones in most regions)."
  type        = number
  default     = 1
  validation {
    condition     = var.gke_node_count >= 1 && var.gke_node_count <= 10 && floor(var.gke_node_count) == var.gke_node_count
    error_message = "gke_node_count must be a whole number from 1 to 10 (nodes per zone)."
  }
}

variable "gke_nodes_cidr" {
  description = "Primary range of the GKE subnet: nodes, and the internal load balancers' addresses."
  type        = string
  default     = "10.0.0.0/20"
  validation {
    condition     = can(cidrhost(var.gke_nodes_cidr, 0))
    error_message = "gke_nodes_cidr must be an IPv4 range in CIDR notation, for example 10.0.0.0/20."
  }
}

variable "gke_pods_cidr" {
  description = "Secondary range of the GKE subnet for pods."
  type        = string
  default     = "10.16.0.0/14"
  validation {
    condition     = can(cidrhost(var.gke_pods_cidr, 0))
    error_message = "gke_pods_cidr must be an IPv4 range in CIDR notation, for example 10.16.0.0/14."
  }
}

variable "gke_release_channel" {
  description = "GKE release channel."
  type        = string
  default     = "REGULAR"
  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.gke_release_channel)
    error_message = "gke_release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "gke_services_cidr" {
  description = "Secondary range of the GKE subnet for services."
  type        = string
  default     = "10.20.0.0/20"
  validation {
    condition     = can(cidrhost(var.gke_services_cidr, 0))
    error_message = "gke_services_cidr must be an IPv4 range in CIDR notation, for example 10.20.0.0/20."
  }
}

variable "image" {
  description = "Image the Cloud Run services and the migration job are created with. Terraform ignores it afterwards: Cloud Build deploys new images. The default is Google's sample container, so the first apply works before any image is built."
  type        = string
  default     = "us-docker.pkg.dev/cloudrun/container/hello"
  validation {
    condition     = can(regex("^[a-z0-9-]+-docker\\.pkg\\.dev/[^/]+/[^/]+/[^/]+", var.image))
    error_message = "image must be an Artifact Registry path such as us-central1-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE:TAG (Container Registry, gcr.io, is shut down)."
  }
}

variable "lag_alert_threshold_ms" {
  description = "The lag alert fires when one replica's median lag over 10 minutes exceeds this many milliseconds. Lower than replica_max_lag_ms, beyond which checks fail outright."
  type        = number
  default     = 1000
  validation {
    condition     = var.lag_alert_threshold_ms > 0 && var.lag_alert_threshold_ms < var.replica_max_lag_ms
    error_message = "lag_alert_threshold_ms must be positive and below replica_max_lag_ms: beyond replica_max_lag_ms a check fails and logs no lag, so a higher threshold never fires."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (service accounts add up to 10 characters to it)."
  type        = string
  default     = "pg-replica"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2 to 20 lower-case letters, digits or hyphens, starting with a letter and not ending with a hyphen (service account ids are limited to 30 characters)."
  }
}

variable "postgres_instances" {
  description = "PostgreSQL instances: one primary and (instances - 1) streaming replicas, one of them synchronous, each with its own internal load balancer for the replication check (at most 5: one lag alert condition each, 6 per policy). EXPECTED_STANDBYS follows it."
  type        = number
  default     = 3
  validation {
    condition     = var.postgres_instances >= 2 && var.postgres_instances <= 5 && floor(var.postgres_instances) == var.postgres_instances
    error_message = "postgres_instances must be a whole number from 2 to 5: synchronous replication needs at least one standby."
  }
}

variable "postgres_max_connections" {
  description = "max_connections of every PostgreSQL instance. Must cover the connection budget: (2 × api_max_instances + check_max_instances) × (db_pool_max + 3) + 1 + postgres_reserved_connections."
  type        = number
  default     = 200
  validation {
    condition     = (2 * var.api_max_instances + var.check_max_instances) * (var.db_pool_max + 3) + 1 + var.postgres_reserved_connections <= var.postgres_max_connections
    error_message = "postgres_max_connections (${var.postgres_max_connections}) is below the connection budget of ${(2 * var.api_max_instances + var.check_max_instances) * (var.db_pool_max + 3) + 1 + var.postgres_reserved_connections}: every Cloud Run instance may open db_pool_max connections to each host, and 3 more to each instance it verifies, and during a rollout the old and new api revisions may both run api_max_instances. Raise postgres_max_connections, or lower api_max_instances, check_max_instances or db_pool_max."
  }
}

variable "postgres_reserved_connections" {
  description = "Connections kept free for everything but the Cloud Run services: superuser_reserved_connections (3), the CloudNativePG instance manager, people with psql."
  type        = number
  default     = 20
  validation {
    condition     = var.postgres_reserved_connections >= 10
    error_message = "postgres_reserved_connections must be at least 10: PostgreSQL reserves 3 for superusers and CloudNativePG's instance manager connects too."
  }
}

variable "postgres_resources" {
  description = "CPU and memory each PostgreSQL pod requests (memory is also its limit). Fits three pods on e2-standard-2 nodes."
  type = object({
    cpu    = string
    memory = string
  })
  default = {
    cpu    = "500m"
    memory = "1Gi"
  }
  validation {
    condition     = can(regex("^[0-9]+(m|\\.[0-9]+)?$", var.postgres_resources.cpu)) && can(regex("^[0-9]+(Mi|Gi)$", var.postgres_resources.memory))
    error_message = "postgres_resources must use Kubernetes quantities: cpu such as 500m or 1, memory such as 1Gi or 512Mi."
  }
}

variable "postgres_storage_class" {
  description = "Kubernetes storage class of the PostgreSQL volumes (standard-rwo: balanced persistent disk)."
  type        = string
  default     = "standard-rwo"
}

variable "postgres_storage_size" {
  description = "Data volume of each PostgreSQL instance."
  type        = string
  default     = "10Gi"
  validation {
    condition     = can(regex("^[0-9]+Gi$", var.postgres_storage_size))
    error_message = "postgres_storage_size must be a whole number of gibibytes, such as 10Gi."
  }
}

variable "project_id" {
  description = "Id of the Google Cloud project everything is created in."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project id (6 to 30 lower-case letters, digits or hyphens), not a project name or number."
  }
}

variable "region" {
  description = "Region of everything regional: subnet, GKE, Cloud Run, connector, registry, scheduler."
  type        = string
  default     = "us-central1"
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a region such as us-central1, not a zone such as us-central1-a."
  }
}

variable "replica_max_lag_ms" {
  description = "REPLICA_MAX_LAG_MS: how long the replication check waits for each replica to show a heartbeat before it fails (drawn on the p99 lag chart). The check's timeouts grow with it."
  type        = number
  default     = 5000
  validation {
    condition     = var.replica_max_lag_ms >= 1 && var.replica_max_lag_ms <= 600000 && floor(var.replica_max_lag_ms) == var.replica_max_lag_ms
    error_message = "replica_max_lag_ms must be a whole number from 1 to 600000 (what the app accepts)."
  }
}

variable "replica_max_slot_retained_bytes" {
  description = "REPLICA_MAX_SLOT_RETAINED_BYTES: an inactive replication slot retaining more WAL than this fails the check (default 1 GiB). Keep it well below postgres_storage_size: WAL a slot retains fills the volume."
  type        = number
  default     = 1073741824
  validation {
    condition     = var.replica_max_slot_retained_bytes >= 16777216 && floor(var.replica_max_slot_retained_bytes) == var.replica_max_slot_retained_bytes && var.replica_max_slot_retained_bytes < try(tonumber(trimsuffix(var.postgres_storage_size, "Gi")), 0) * 1073741824
    error_message = "replica_max_slot_retained_bytes must be a whole number of bytes, at least 16777216 (one WAL segment) and below postgres_storage_size: a slot may not retain more WAL than the volume holds before the check notices."
  }
}

variable "slo_goal" {
  description = "Goal of each replica's freshness SLO: the fraction of heartbeats it must show within slo_target_ms over slo_rolling_period_days. The burn-rate alerts fire at a fraction of heartbeats late that follows from it."
  type        = number
  default     = 0.999
  validation {
    condition     = var.slo_goal > 0 && var.slo_goal <= 0.9999
    error_message = "slo_goal must be above 0 and at most 0.9999 (what Cloud Monitoring accepts), such as 0.999."
  }
}

variable "slo_rolling_period_days" {
  description = "Rolling period of the freshness SLOs, in days. The burn-rate thresholds are computed from it (13.44 and 5.6 for 28 days)."
  type        = number
  default     = 28
  validation {
    condition     = var.slo_rolling_period_days >= 1 && var.slo_rolling_period_days <= 30 && floor(var.slo_rolling_period_days) == var.slo_rolling_period_days
    error_message = "slo_rolling_period_days must be a whole number of days from 1 to 30 (what Cloud Monitoring accepts)."
  }
}

variable "slo_target_ms" {
  description = "Target of the freshness SLOs: a heartbeat is good on a replica that shows it within this many milliseconds of its commit on the primary."
  type        = number
  default     = 1000
  validation {
    condition     = var.slo_target_ms > 0 && var.slo_target_ms <= var.replica_max_lag_ms
    error_message = "slo_target_ms must be positive and at most replica_max_lag_ms: the check stops waiting for a heartbeat after replica_max_lag_ms, so a later one counts as never shown whatever the target."
  }
}

variable "uptime_check_period" {
  description = "How often the /status uptime check runs."
  type        = string
  default     = "60s"
  validation {
    condition     = contains(["60s", "300s", "600s", "900s"], var.uptime_check_period)
    error_message = "uptime_check_period must be 60s, 300s, 600s or 900s (the periods Cloud Monitoring allows)."
  }
}
