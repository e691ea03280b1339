# An input the root module passes on as is from one of its variables is
# validated there (terraform/variables.tf), where the value enters, and not
# again here. Validations here guard only values computed in the root module
# or taken from another module's outputs.

variable "connector_cidr" {
  description = "The Serverless VPC Access connector's /28: the only range outside the cluster allowed to reach PostgreSQL."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
}

variable "node_tag" {
  description = "Network tag carried by the GKE nodes; the PostgreSQL firewall rules target it."
  type        = string
}

variable "nodes_cidr" {
  description = "Primary range of the subnet: GKE nodes and the internal load balancers' addresses."
  type        = string
}

variable "pods_cidr" {
  description = "Secondary range of the subnet for GKE pods."
  type        = string
}

variable "project_id" {
  description = "Project that holds the network."
  type        = string
}

variable "region" {
  description = "Region of the subnet, the router and Cloud NAT."
  type        = string
}

variable "services_cidr" {
  description = "Secondary range of the subnet for GKE services (cluster IPs)."
  type        = string
}
