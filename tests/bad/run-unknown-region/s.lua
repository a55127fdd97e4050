scenario { name = "x", duration = "1h" }
nodegroup { name="cpu", region="r" , cpu = "abc"}
