# APIs the configuration uses, each enabled before anything that calls it:
# every module call depends_on the keys of the APIs its resources use
# (main.tf). Terraform orders on the whole resource, so a module waits for
# every API here; the keys say, and test/terraform/root.test.ts checks, which ones
# it needs. Kept enabled on destroy: other things in the project may rely on
# them.
#
# Service Usage (serviceusage.googleapis.com), which enables the others, must
# already be on: it is in new projects.

resource "google_project_service" "enabled" {
  for_each = toset([
    "artifactregistry.googleapis.com",     # run: the image repository
    "cloudbuild.googleapis.com",           # the pipeline (cloudbuild.yaml), not Terraform
    "cloudresourcemanager.googleapis.com", # google_project_iam_member (gke nodes, deployer)
    "cloudscheduler.googleapis.com",       # monitoring: the replication check's job
    "compute.googleapis.com",              # network, firewalls, addresses, GKE and connector VMs
    "container.googleapis.com",            # gke
    "iam.googleapis.com",                  # service accounts and their IAM
    "logging.googleapis.com",              # monitoring: log-based metrics
    "monitoring.googleapis.com",           # monitoring: uptime check, alerts, dashboard
    "run.googleapis.com",                  # run: services, job, invokers
    "secretmanager.googleapis.com",        # secrets, their grants, postgres reads the password
    "vpcaccess.googleapis.com",            # run: the Serverless VPC Access connector
  ])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
