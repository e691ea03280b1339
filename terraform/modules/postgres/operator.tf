# The CloudNativePG operator (with its CRDs). Its admission webhook listens on
# webhook_port, which the gke module opens to the private control plane.

resource "helm_release" "operator" {
  name             = "cnpg"
  repository       = "https://cloudnative-pg.github.io/charts"
  chart            = "cloudnative-pg"
  version          = var.operator_chart_version
  namespace        = "cnpg-system"
  create_namespace = true
  wait             = true

  values = [yamlencode({
    webhook = {
      port = var.webhook_port
    }
  })]
}
