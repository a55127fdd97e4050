scenario { name = "zero", duration = "10m" }
region { name = "r1" }
nodegroup { name = "cpu", cpu = "4", memory = "16Gi", min = 1, max = 2, size = 1 }
queue { name = "work" }
deployment { name = "workers", queue = "work", replicas = 1, cpu = "1", memory = "1Gi" }
hpa { name = "workers", target = "workers", min = 0, max = 4,
      metrics = { { type = "External", name = "work/queue_length", target = { type = "AverageValue", average_value = "5" } } } }
