-- region_outage: us-east goes down ten minutes into the New York surge.
--
-- The quant query API runs in us-east and eu-west; New York's desk is routed
-- to us-east (5 ms away) and London's to eu-west. At the 09:30 open New
-- York's traffic jumps fivefold; at 09:40 the whole us-east region fails
-- (every zone out for 45 minutes). Requests fail over at once to the next
-- nearest healthy region, eu-west, 75 ms away across the Atlantic: London's
-- API suddenly serves both desks at the height of the surge. Its HPA scales
-- out on CPU and the cluster autoscaler adds eu-west nodes for the new pods;
-- until they are Ready, latency and errors climb. us-east's control plane
-- goes down with the region: its HPA, autoscaler, controllers and scheduler
-- do nothing until it returns, so its API keeps the replicas it had at the
-- surge. When us-east returns, its pods are Ready again at once, New York's
-- traffic goes home to them and eu-west scales back in.
--
-- What to look at: `slo[]` in summary.json (eu-west's violation seconds and
-- p95 carry the outage; us-east's record carries the open before the HPA
-- caught up, and the outage's first minutes),
-- `faults.injected`, `autoscaler.nodes_added`, and the hook's log lines with
-- each region's Ready API pods every 5 minutes around the outage. Try
-- `--set eu_headroom=30` (eu-west starts big enough: less SLO impact) or
-- `--set outage=0` (no outage: the expectations about failover fail).

local surge       = param("surge", 5, "New York traffic multiplier at the open")
local outage      = param("outage", 45, "minutes us-east is down from 09:40 (0: no outage)")
local eu_headroom = param("eu_headroom", 6, "replicas of the eu-west API before the outage")

scenario {
  name = "region_outage",
  start = "09:00",
  duration = "3h",
  sample_every = "30s",
  description = "a region fails during the surge and traffic fails over across the Atlantic",
}

region { name = "us-east", zones = { "us-east-1a", "us-east-1b", "us-east-1c" } }
region { name = "eu-west", zones = { "eu-west-1a", "eu-west-1b" } }
namespace { name = "quant" }

for _, r in ipairs({ "us-east", "eu-west" }) do
  nodegroup {
    name = "cpu-" .. r, region = r, instance_type = "m6i.2xlarge", cpu = "8", memory = "32Gi",
    price = 0.384, min = 2, max = 30, size = (r == "us-east") and 6 or 3, provision_delay = "90s",
  }
end

site { name = "new-york" }
site { name = "london" }
latency { from = "new-york", to = "us-east", ms = 5 }
latency { from = "new-york", to = "eu-west", ms = 75 }
latency { from = "london",   to = "eu-west", ms = 6 }
latency { from = "london",   to = "us-east", ms = 75 }

for _, r in ipairs({ "us-east", "eu-west" }) do
  deployment {
    name = "quant-api-" .. r, namespace = "quant", region = r,
    replicas = (r == "us-east") and 8 or eu_headroom, cpu = "1", memory = "2Gi", startup = "20s",
    labels = { app = "quant-api" },
    serve = { service = "quant-api", capacity = 200, cpu_per_request = "4m", service_time = "20ms",
              slo_p95 = "150ms", timeout = "2s" },
  }
  hpa { name = "quant-api-" .. r, target = "quant-api-" .. r, min = 4, max = 60,
        metrics = { { type = "Resource", name = "cpu", target = { type = "Utilization", average_utilization = 70 } } } }
end

traffic { site = "new-york", service = "quant-api", rate = 600,
          daily = { { "09:00", 0.4 }, { "09:30", 1.0 }, { "12:00", 0.8 } },
          surges = { { start = "09:30", ramp = "2m", hold = "1h", decay = "15m", factor = surge } } }
traffic { site = "london", service = "quant-api", rate = 500,
          daily = { { "09:00", 1.0 }, { "12:00", 0.8 } } }

if outage > 0 then
  fault { kind = "region_outage", region = "us-east", at = "09:40", duration = outage * 60 }
end

local eu = { before = 0, peak = 0 }
every("5m", function(k)
  local us_ready, eu_ready = k.ready("quant-api-us-east"), k.ready("quant-api-eu-west")
  if k.now() == 2100 then eu.before = eu_ready end   -- 09:35
  eu.peak = math.max(eu.peak, eu_ready)
  k.log(string.format("Ready API pods: us-east %d, eu-west %d; eu-west nodes %d", us_ready, eu_ready,
                      k.nodes("cpu-eu-west")))
end, { start = "09:30", stop = "11:00" })

local function slo(r, region)
  for _, s in ipairs(r.slo) do
    if s.region == region then return s end
  end
  return { violation_seconds = 0, latency_p95_ms = 0, error_rate = 0 }
end

expect("the outage was injected", function(r)
  return r.faults.injected >= 1, string.format("%d faults injected", r.faults.injected)
end)

expect("eu-west scaled out to take New York's traffic", function()
  return eu.peak >= 2 * eu.before, string.format("eu-west Ready API pods %d before, %d at peak", eu.before, eu.peak)
end)

expect("the autoscaler added eu-west nodes", function(r)
  return r.autoscaler.nodes_added > 0, string.format("%d nodes added", r.autoscaler.nodes_added)
end)

expect("the failover shows in eu-west's SLO", function(r)
  local s = slo(r, "eu-west")
  return s.violation_seconds > 0,
         string.format("eu-west: %.0f s over target, p95 %.1f ms, errors %.4f", s.violation_seconds,
                       s.latency_p95_ms, s.error_rate)
end)

expect("the service survived: under 5% of requests failed", function(r)
  local s = slo(r, "eu-west")
  return s.error_rate < 0.05, string.format("eu-west error rate %.4f", s.error_rate)
end)
