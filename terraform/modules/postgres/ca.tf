# The cluster's CA, for the service to verify the server (POSTGRES_SSLMODE
# verify-ca, POSTGRES_SSLROOTCERT): CloudNativePG generates a CA per cluster
# and keeps it in the <cluster>-ca secret; ca.crt is what clients use as
# sslrootcert. Terraform copies it into Secret Manager, where the services
# read it at start-up like the passwords.
#
# The operator creates the CA on its first reconcile of the Cluster, before
# any pod; the instance load balancers take a minute or more to get their
# addresses, so reading after them finds it. If not, the postcondition stops
# the apply with a plain message, and the next apply copies it.
#
# CloudNativePG renews its CA 7 days before it expires (90 days by default)
# with the same key: each apply copies the current ca.crt, a changed one
# becomes a new version, and instances that start after that read it
# (`latest`). The copy stored before still verifies the server until it
# expires, so an apply at least every 80 days (or after a renewal) keeps the
# services verifying; an expired copy is a 503 naming the expired
# certificate, never an unverified connection.

data "kubernetes_secret_v1" "ca" {
  metadata {
    name      = "${local.cluster_name}-ca"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
  }

  depends_on = [helm_release.cluster, kubernetes_service_v1.instance]

  lifecycle {
    postcondition {
      condition     = can(regex("-----BEGIN CERTIFICATE-----", self.data["ca.crt"]))
      error_message = "CloudNativePG has not created the cluster's CA secret (<cluster>-ca, key ca.crt) yet: wait until the Cluster reconciles (kubectl get secret -n NAMESPACE), then apply again."
    }
  }
}

resource "google_secret_manager_secret_version" "ca" {
  secret      = "projects/${var.project_id}/secrets/${var.ca_secret_id}"
  secret_data = data.kubernetes_secret_v1.ca.data["ca.crt"]
}
