scenario { name = "tiny", duration = "2h", sample_every = "300s" }
region { name = "us-east", zones = { "us-east-1a" } }
nodegroup { name = "g", instance_type = "m6i.xlarge", cpu = "4", memory = "16Gi", price = 0.2, min = 1, max = 2 }
