
scenario { name = "x", duration = "1h", date = "2026-13-01" }
region { name = "r1" }
nodegroup { name = "cpu", cpu = "4", memory = "16Gi", min = 1, max = 1, price = 1.0 }
