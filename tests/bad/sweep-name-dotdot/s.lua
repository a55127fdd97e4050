scenario { name = "../victim", duration = "30m" }
region { name = "r1", zones = { "r1-a" } }
nodegroup { name = "cpu", cpu = "4", memory = "16Gi", min = 1, max = 1, price = 1.0 }
deployment { name = "web", replicas = param("replicas", 2), cpu = "1", memory = "1Gi" }
