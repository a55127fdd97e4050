scenario { name = "x"
