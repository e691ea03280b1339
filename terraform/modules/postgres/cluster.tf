# One primary and (instances - 1) streaming replicas of PostgreSQL
# postgres_major, through the CloudNativePG cluster chart. Quorum-based
# synchronous replication with one synchronous standby: the old app's
# Bitnami values (synchronousCommit: on, numSynchronousReplicas: 1).
#
# initdb creates the database and its owner (not a superuser; the superuser
# stays disabled). The owner is also a managed role, so CloudNativePG keeps
# its pg_monitor membership (needed to read lag columns of
# pg_stat_replication) and runs ALTER ROLE when the credentials secret
# changes. The GRANT runs in postInitApplicationSQL rather than postInitSQL
# because only that step is sure to run after the owner exists.

resource "helm_release" "cluster" {
  name       = local.cluster_name
  repository = "https://cloudnative-pg.github.io/charts"
  chart      = "cluster"
  version    = var.cluster_chart_version
  namespace  = kubernetes_namespace_v1.this.metadata[0].name

  values = [yamlencode({
    fullnameOverride = local.cluster_name
    type             = "postgresql"
    mode             = "standalone"
    version = {
      postgresql = tostring(var.postgres_major)
    }
    cluster = {
      instances             = var.instances
      enableSuperuserAccess = false
      storage = {
        size         = var.storage_size
        storageClass = var.storage_class
      }
      resources = {
        requests = var.resources
        limits   = { memory = var.resources.memory }
      }
      postgresql = {
        parameters = {
          max_connections = tostring(var.max_connections)
        }
        synchronous = {
          method = "any"
          number = 1
        }
      }
      initdb = {
        database               = var.database
        owner                  = var.owner
        secret                 = { name = kubernetes_secret_v1.credentials.metadata[0].name }
        postInitApplicationSQL = ["GRANT pg_monitor TO ${var.owner}"]
      }
      roles = [{
        name           = var.owner
        ensure         = "present"
        login          = true
        inRoles        = ["pg_monitor"]
        passwordSecret = { name = kubernetes_secret_v1.credentials.metadata[0].name }
      }]
    }
  })]

  depends_on = [helm_release.operator]
}
