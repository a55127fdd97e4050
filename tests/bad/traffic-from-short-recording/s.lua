scenario { name = "rec", date = "2026-03-18", start = "09:00", duration = "10m" }
region { name = "r1", zones = { "r1-a" } }
nodegroup { name = "cpu", cpu = "4", memory = "16Gi", min = 1, max = 1, price = 1.0 }
site { name = "s" }
latency { from = "s", to = "r1", ms = 5 }
deployment { name = "api", replicas = 1, cpu = "1", serve = { service = "api", capacity = 100 } }
traffic { site = "s", service = "api", from = "rates.csv" }
