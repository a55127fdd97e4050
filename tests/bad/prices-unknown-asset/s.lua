local c = prices { data = "p.csv", asset = "XYZ" }
region { name = "r1" }
