scenario { name = "hookfail", duration = "30m" }
region { name = "r1", zones = { "r1-a" } }
nodegroup { name = "cpu", cpu = "4", memory = "16Gi", min = 1, max = param("max", 1), price = 1.0 }
at("00:10", function(k) error("boom at ten") end)
