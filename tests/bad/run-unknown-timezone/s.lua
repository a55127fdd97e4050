scenario { name = "x", duration = "1h",
           timezone = "America/Atlantis" }
region { name = "r1" }
nodegroup { name = "cpu", cpu = "4", memory = "16Gi", min = 1, max = 1, price = 1.0 }
