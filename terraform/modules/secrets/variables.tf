variable "name_prefix" {
  description = "Prefix of every secret id."
  type        = string
}

variable "project_id" {
  description = "Project that holds the secrets."
  type        = string
}
