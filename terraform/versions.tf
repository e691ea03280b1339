terraform {
  # 1.9: variable validations may refer to other variables (connection budget).
  required_version = ">= 1.9"

  # The state bucket is not written here: pass it at init time, e.g.
  #   terraform init -backend-config="bucket=STATE_BUCKET" -backend-config="prefix=pg-replica"
  backend "gcs" {}

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.40"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "~> 2.17"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.36"
    }
    time = {
      source  = "hashicorp/time"
      version = "0.13.1"
    }
  }
}
