region { name = "r" }
nodegroup { name = "cpu", region = "r", cpu = "8", memory = "32Gi", min = 1, max = 2, size = 1 }
scenario { duration = "10m" }
local function nest(n)
  if n == 0 then error({ code = 7 }) end
  return coroutine.wrap(function() return nest(n - 1) end)()
end
nest(46)
