variable "deletion_protection" {
  description = "Refuse to destroy the cluster (set to false before a deliberate terraform destroy)."
  type        = bool
}

variable "machine_type" {
  description = "Machine type of the nodes."
  type        = string
}

variable "master_authorized_networks" {
  description = "Ranges allowed to reach the control plane's public endpoint (the machine running Terraform, operators)."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  validation {
    condition     = alltrue([for network in var.master_authorized_networks : can(cidrhost(network.cidr_block, 0)) && network.cidr_block != "0.0.0.0/0"])
    error_message = "Each master_authorized_networks cidr_block must be a valid IPv4 range, and not 0.0.0.0/0 (that would open the control plane to the internet)."
  }
}

variable "master_cidr" {
  description = "The /28 range of the private control plane (peered into the VPC)."
  type        = string
  validation {
    condition     = can(cidrhost(var.master_cidr, 0)) && endswith(var.master_cidr, "/28")
    error_message = "master_cidr must be an IPv4 /28 range, for example 172.16.0.0/28."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
}

variable "network_id" {
  description = "Id of the VPC."
  type        = string
}

variable "node_count" {
  description = "Nodes per zone of the region."
  type        = number
  validation {
    condition     = var.node_count >= 1 && floor(var.node_count) == var.node_count
    error_message = "node_count must be a whole number of at least 1 (nodes per zone)."
  }
}

variable "node_tag" {
  description = "Network tag given to the nodes; firewall rules target it."
  type        = string
}

variable "pods_range_name" {
  description = "Name of the subnet's secondary range for pods."
  type        = string
}

variable "project_id" {
  description = "Project that holds the cluster."
  type        = string
}

variable "region" {
  description = "Region of the (regional) cluster."
  type        = string
}

variable "release_channel" {
  description = "GKE release channel."
  type        = string
  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.release_channel)
    error_message = "release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "services_range_name" {
  description = "Name of the subnet's secondary range for services."
  type        = string
}

variable "subnet_id" {
  description = "Id of the subnet the nodes run in."
  type        = string
}

variable "webhook_port" {
  description = "Port of the CloudNativePG admission webhook on the operator's pod (the chart's default is 9443)."
  type        = number
  validation {
    condition     = var.webhook_port >= 1024 && var.webhook_port <= 65535
    error_message = "webhook_port must be an unprivileged port, 1024 to 65535."
  }
}
