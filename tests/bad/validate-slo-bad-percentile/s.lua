scenario { name = "slo", duration = "10m" }
region { name = "eu" }
nodegroup { name = "g", cpu = "16", memory = "64Gi", min = 1 }
deployment { name = "api", replicas = 1, cpu = "1", memory = "1Gi",
  serve = { service = "api", capacity = 100, slo = { p99 = "250ms", p100 = "1s" } } }
