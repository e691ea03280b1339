# pg-replica-functions on Google Cloud: Cloud Run services reach a
# CloudNativePG cluster on private GKE through a Serverless VPC Access
# connector and internal load balancers (rw, ro, one per instance). The
# replication check's timeouts are computed in timeouts.tf.
#
#   network    VPC, GKE subnet, Cloud NAT, PostgreSQL firewall
#   gke        private cluster, node pool, webhook firewall
#   secrets    Secret Manager secrets (values added with gcloud)
#   postgres   operator, cluster (1 primary + replicas), internal load balancers
#              (rw, ro, and one per instance for the replication check)
#   run        registry, service accounts, connector, api + check services, migration job
#   monitoring scheduler, uptime check, log-based metrics, alerts, dashboard

locals {
  # CloudNativePG's bootstrap defaults: database `app`, owned by `app`.
  database = "app"
  owner    = "app"
  node_tag = "${var.name_prefix}-gke-node"
  # The CloudNativePG operator's admission webhook: the gke module opens it
  # to the private control plane, the postgres module configures the chart.
  cnpg_webhook_port = 9443
}

module "network" {
  source         = "./modules/network"
  project_id     = var.project_id
  region         = var.region
  name_prefix    = var.name_prefix
  nodes_cidr     = var.gke_nodes_cidr
  pods_cidr      = var.gke_pods_cidr
  services_cidr  = var.gke_services_cidr
  connector_cidr = var.connector_cidr
  node_tag       = local.node_tag

  # The APIs its resources call (services.tf), here and in every module below.
  depends_on = [
    google_project_service.enabled["compute.googleapis.com"],
  ]
}

module "gke" {
  source                     = "./modules/gke"
  project_id                 = var.project_id
  region                     = var.region
  name_prefix                = var.name_prefix
  network_id                 = module.network.network_id
  subnet_id                  = module.network.subnet_id
  pods_range_name            = module.network.pods_range_name
  services_range_name        = module.network.services_range_name
  master_cidr                = var.gke_master_cidr
  master_authorized_networks = var.gke_master_authorized_networks
  machine_type               = var.gke_machine_type
  node_count                 = var.gke_node_count
  node_tag                   = local.node_tag
  release_channel            = var.gke_release_channel
  webhook_port               = local.cnpg_webhook_port
  deletion_protection        = var.deletion_protection

  depends_on = [
    google_project_service.enabled["cloudresourcemanager.googleapis.com"],
    google_project_service.enabled["compute.googleapis.com"],
    google_project_service.enabled["container.googleapis.com"],
    google_project_service.enabled["iam.googleapis.com"],
  ]
}

module "secrets" {
  source      = "./modules/secrets"
  project_id  = var.project_id
  name_prefix = var.name_prefix

  depends_on = [
    google_project_service.enabled["secretmanager.googleapis.com"],
  ]
}

module "postgres" {
  source                 = "./modules/postgres"
  project_id             = var.project_id
  region                 = var.region
  name_prefix            = var.name_prefix
  namespace              = "postgres"
  subnet_id              = module.network.subnet_id
  connector_cidr         = var.connector_cidr
  database               = local.database
  owner                  = local.owner
  db_password_secret_id  = module.secrets.ids.db_password
  ca_secret_id           = module.secrets.ids.postgres_ca
  instances              = var.postgres_instances
  max_connections        = var.postgres_max_connections
  postgres_major         = 17
  resources              = var.postgres_resources
  storage_class          = var.postgres_storage_class
  storage_size           = var.postgres_storage_size
  operator_chart_version = var.cnpg_operator_chart_version
  cluster_chart_version  = var.cnpg_cluster_chart_version
  webhook_port           = local.cnpg_webhook_port

  # Pods need nodes, and the operator's webhook needs its firewall rule.
  depends_on = [
    google_project_service.enabled["compute.googleapis.com"],
    google_project_service.enabled["secretmanager.googleapis.com"],
    module.gke,
  ]
}

module "run" {
  source                    = "./modules/run"
  project_id                = var.project_id
  region                    = var.region
  name_prefix               = var.name_prefix
  image                     = var.image
  network_name              = module.network.network_name
  connector_cidr            = var.connector_cidr
  connector_machine_type    = var.connector_machine_type
  connector_min_instances   = var.connector_min_instances
  connector_max_instances   = var.connector_max_instances
  api_min_instances         = var.api_min_instances
  api_max_instances         = var.api_max_instances
  api_timeout_s             = local.api_timeout_s
  check_max_instances       = var.check_max_instances
  check_timeout_s           = local.check_timeout_s
  db_pool_max               = var.db_pool_max
  db_connect_timeout_ms     = var.db_connect_timeout_ms
  db_query_timeout_ms       = var.db_query_timeout_ms
  replica_max_lag_ms        = var.replica_max_lag_ms
  expected_standbys         = var.postgres_instances - 1
  postgres_main_host        = module.postgres.rw_address
  postgres_replication_host = module.postgres.ro_address
  postgres_user             = module.postgres.owner
  postgres_db               = module.postgres.database
  postgres_ca_reference     = module.postgres.ca_reference
  secret_ids                = module.secrets.ids
  secret_references         = module.secrets.references
  deployer_service_account  = var.deployer_service_account
  deletion_protection       = var.deletion_protection

  # POSTGRES_REPLICA_ENDPOINTS: every instance, the primary's included.
  postgres_instance_addresses     = module.postgres.instance_addresses
  replica_max_slot_retained_bytes = var.replica_max_slot_retained_bytes

  depends_on = [
    google_project_service.enabled["artifactregistry.googleapis.com"],
    google_project_service.enabled["cloudresourcemanager.googleapis.com"],
    google_project_service.enabled["compute.googleapis.com"],
    google_project_service.enabled["iam.googleapis.com"],
    google_project_service.enabled["run.googleapis.com"],
    google_project_service.enabled["secretmanager.googleapis.com"],
    google_project_service.enabled["vpcaccess.googleapis.com"],
  ]
}

module "monitoring" {
  source                          = "./modules/monitoring"
  project_id                      = var.project_id
  region                          = var.region
  name_prefix                     = var.name_prefix
  api_url                         = module.run.api_url
  check_url                       = module.run.check_url
  api_service_name                = module.run.api_service_name
  check_service_name              = module.run.check_service_name
  scheduler_service_account_email = module.run.scheduler_service_account_email
  schedule                        = "* * * * *"
  check_samples                   = var.check_samples
  check_interval_ms               = var.check_interval_ms
  attempt_deadline_s              = local.scheduler_attempt_deadline_s
  replica_instances               = module.postgres.instance_names
  replica_max_lag_ms              = var.replica_max_lag_ms
  uptime_check_period             = var.uptime_check_period
  lag_alert_threshold_ms          = var.lag_alert_threshold_ms
  slo_goal                        = var.slo_goal
  slo_rolling_period_days         = var.slo_rolling_period_days
  slo_target_ms                   = var.slo_target_ms
  notification_channels           = var.alert_notification_channels

  depends_on = [
    google_project_service.enabled["cloudscheduler.googleapis.com"],
    google_project_service.enabled["logging.googleapis.com"],
    google_project_service.enabled["monitoring.googleapis.com"],
  ]
}
