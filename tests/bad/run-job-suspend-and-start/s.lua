scenario { name = "s", duration = "10m" }
region { name = "r1", zones = { "z1" } }
nodegroup { name = "pool", region = "r1", instance_type = "m", cpu = "16", memory = "64Gi", price = 1, min = 1, max = 2 }
job { name = "held", completions = 1, duration = "1m", cpu = "1", start = "5m", suspend = true }
