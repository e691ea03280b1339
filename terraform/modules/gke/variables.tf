# An input the root module passes on as is from one of its variables is
# validated there (terraform/variables.tf), where the value enters, and not
# again here. Validations here guard only values computed in the root module
# or taken from another module's outputs.

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
}

variable "master_cidr" {
  description = "The /28 range of the private control plane (peered into the VPC)."
  type        = string
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
