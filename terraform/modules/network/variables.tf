variable "connector_cidr" {
  description = "The Serverless VPC Access connector's /28: the only range outside the cluster allowed to reach PostgreSQL."
  type        = string
  validation {
    condition     = can(cidrhost(var.connector_cidr, 0)) && endswith(var.connector_cidr, "/28")
    error_message = "connector_cidr must be an IPv4 /28 range, for example 10.8.0.0/28 (Serverless VPC Access requires exactly /28)."
  }
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
  validation {
    condition     = can(cidrhost(var.nodes_cidr, 0))
    error_message = "nodes_cidr must be an IPv4 range in CIDR notation, for example 10.0.0.0/20."
  }
}

variable "pods_cidr" {
  description = "Secondary range of the subnet for GKE pods."
  type        = string
  validation {
    condition     = can(cidrhost(var.pods_cidr, 0))
    error_message = "pods_cidr must be an IPv4 range in CIDR notation, for example 10.16.0.0/14."
  }
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
  validation {
    condition     = can(cidrhost(var.services_cidr, 0))
    error_message = "services_cidr must be an IPv4 range in CIDR notation, for example 10.20.0.0/20."
  }
}
