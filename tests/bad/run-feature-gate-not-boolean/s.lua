scenario { name = "x", duration = "10m", feature_gates = { HPAScaleToZero = 1 } }
region { name = "r1" }
nodegroup { name = "cpu", cpu = "4", memory = "16Gi", min = 1, max = 2, size = 1 }
queue { name = "work" }
deployment { name = "workers", queue = "work", replicas = 1, cpu = "1", memory = "1Gi" }
