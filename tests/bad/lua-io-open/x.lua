region { name = "r" }
nodegroup { name = "cpu", region = "r", cpu = "8", memory = "32Gi", min = 1, max = 2, size = 1 }
scenario { duration = "10m" }
local f = io.open("/etc/passwd")
