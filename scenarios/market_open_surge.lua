-- market_open_surge: the built-in default scenario (`kubesim run` with no file).
--
-- An asset manager runs three regional clusters behind its trading desks in
-- Seoul, London and New York. A quant query API serves all three desks, each
-- routed to its nearest region; at the New York open its traffic jumps
-- tenfold and the HPA scales the US API on CPU. A burst of backtest Jobs lands
-- on the US cluster at the same time and queues for CPU, and the risk desk's
-- GPU scenario run needs more GPUs than are up: the cluster autoscaler (on in
-- every scenario) grows the CPU and the GPU groups between their min and max,
-- and removes the nodes again once they sit idle. After the close the desks'
-- strategy review runs real backtest kernels, and a queue of review requests
-- is worked off by workers that an HPA scales on the queue's length.
-- Copy this file to start your own scenario.
--
-- What to look at: report.html (replicas, pending pods and nodes per group
-- through the day), `hpa`, `autoscaler` and `slo` in summary.json, and the
-- hook's log lines with the US node counts every hour.
--
-- Try:  kubesim run --set surge=20 --set api_replicas=12

local surge       = param("surge", 10, "traffic multiplier at the open; backtests at the open = 12 x surge")
local api         = param("api_replicas", 6, "replicas of the quant query API per region")
local backtests   = param("backtests", 12 * surge, "completions of the backtest Job at the New York open")

scenario {
  name = "market_open_surge",
  start = "07:00",          -- the clock the scenario's times of day refer to
  duration = "10h",        -- 07:00 to 17:00, past the New York close
  sample_every = "60s",
}

region { name = "us-east",      zones = { "us-east-1a", "us-east-1b", "us-east-1c" } }
region { name = "eu-west",      zones = { "eu-west-1a", "eu-west-1b" } }
region { name = "ap-northeast", zones = { "ap-northeast-2a", "ap-northeast-2c" } }

namespace { name = "quant" }
namespace { name = "ai" }
namespace { name = "research" }
namespace { name = "monitoring" }

-- Serving outranks batch: when the cluster is full, backtests wait (or are
-- preempted) rather than the query API.
priorityclass { name = "serving", value = 100000, description = "latency-critical APIs" }
priorityclass { name = "batch", value = 1000, global_default = true, description = "backtests, pipelines" }

-- Research may not take the whole US cluster at the open. `pods` caps the
-- pods not yet finished; `count/pods` would also count the finished ones,
-- which exist until their Job is deleted, and stop the backtests at 80.
quota {
  name = "research-us", namespace = "research", region = "us-east",
  hard = { ["requests.cpu"] = "100", ["requests.memory"] = "320Gi", pods = 80 },
}

-- Node groups: general-purpose CPU everywhere, GPUs in the US only. The
-- cluster autoscaler keeps each between its min and max.
for _, r in ipairs({ "us-east", "eu-west", "ap-northeast" }) do
  nodegroup {
    name = "cpu-" .. r, region = r, instance_type = "m6i.4xlarge",
    cpu = "16", memory = "64Gi", pods = 110, price = 0.768,
    min = 3, max = 40, size = (r == "us-east") and 6 or 3,
    labels = { ["node.kubernetes.io/instance-type"] = "m6i.4xlarge" },
  }
end

nodegroup {
  name = "gpu-us-east", region = "us-east", instance_type = "g5.2xlarge",
  cpu = "8", memory = "32Gi", gpu = 1, price = 1.212,
  min = 2, max = 8,
  labels = { ["nvidia.com/gpu.product"] = "A10G" },
  taints = { "nvidia.com/gpu=present:NoSchedule" },
}

-- Where the users are, and how far each region is from them (round trip, ms).
site { name = "seoul" }
site { name = "london" }
site { name = "new-york" }
latency { from = "seoul",    to = "ap-northeast", ms = 4 }
latency { from = "seoul",    to = "eu-west",      ms = 240 }
latency { from = "seoul",    to = "us-east",      ms = 190 }
latency { from = "london",   to = "eu-west",      ms = 6 }
latency { from = "london",   to = "us-east",      ms = 75 }
latency { from = "london",   to = "ap-northeast", ms = 240 }
latency { from = "new-york", to = "us-east",      ms = 5 }
latency { from = "new-york", to = "eu-west",      ms = 75 }
latency { from = "new-york", to = "ap-northeast", ms = 190 }

-- Serving: the quant query API in every region, AI inference on the GPUs.
for _, r in ipairs({ "us-east", "eu-west", "ap-northeast" }) do
  deployment {
    name = "quant-api-" .. r, namespace = "quant", region = r,
    replicas = api, cpu = "1", memory = "2Gi", startup = "20s", priority_class = "serving",
    labels = { app = "quant-api", region = r },
    serve = { service = "quant-api", capacity = 200, cpu_per_request = "4m", service_time = "20ms",
              slo_p95 = "150ms", timeout = "2s" },
    spread = { { max_skew = 1, topology_key = "topology.kubernetes.io/zone",
                 when_unsatisfiable = "ScheduleAnyway", selector = { app = "quant-api" } } },
  }
end

-- Each desk's traffic follows its own trading day (times in the scenario's
-- clock); New York's jumps `surge`-fold at the open.
traffic { site = "seoul", service = "quant-api", rate = 300,
          daily = { { "07:00", 0.3 }, { "09:00", 0.2 }, { "17:00", 0.1 } } }
traffic { site = "london", service = "quant-api", rate = 500,
          daily = { { "07:00", 1.0 }, { "11:30", 0.8 }, { "16:30", 0.3 } } }
traffic { site = "new-york", service = "quant-api", rate = 600,
          daily = { { "07:00", 0.2 }, { "09:30", 1.0 }, { "16:00", 0.7 }, { "17:00", 0.3 } },
          surges = { { start = "09:30", ramp = "2m", hold = "45m", decay = "15m", factor = surge } } }

hpa { name = "quant-api-us-east", target = "quant-api-us-east", min = api, max = 40,
      metrics = { { type = "Resource", name = "cpu", target = { type = "Utilization", average_utilization = 70 } } } }

deployment {
  name = "ai-inference", namespace = "ai", region = "us-east",
  replicas = 2, cpu = "4", memory = "16Gi", gpu = 1, startup = "90s", priority_class = "serving",
  node_selector = { ["nvidia.com/gpu.product"] = "A10G" },
  tolerations = { "nvidia.com/gpu=present:NoSchedule" },
}

-- At the open the risk desk runs its GPU stress scenarios: six GPU pods on
-- top of the two inference pods, more than the two GPU nodes that are up, so
-- the autoscaler adds GPU nodes (and removes them once the run is over).
job {
  name = "open-gpu-stress", namespace = "ai", region = "us-east",
  start = "09:35", completions = 6, parallelism = 6, duration = "20m",
  cpu = "4", memory = "16Gi", gpu = 1,
  node_selector = { ["nvidia.com/gpu.product"] = "A10G" },
  tolerations = { "nvidia.com/gpu=present:NoSchedule" },
}

-- A metrics agent on every node, GPU nodes included.
for _, r in ipairs({ "us-east", "eu-west", "ap-northeast" }) do
  daemonset {
    name = "node-exporter-" .. r, namespace = "monitoring", region = r,
    cpu = "100m", memory = "128Mi", startup = "5s",
    tolerations = { { operator = "Exists" } },
  }
end

-- The New York open (09:30 local): backtests submitted by the desks.
job {
  name = "open-backtests", namespace = "research", region = "us-east",
  start = "09:30", completions = backtests, parallelism = 60,
  duration = "12m", cpu = "2", memory = "4Gi",
  -- Serving pods preempt backtests when the API scales out, and a preempted
  -- pod counts against backoffLimit as upstream counts it: leave room.
  backoff_limit = 50,
}

-- After the close, the desks' strategy review runs real backtest kernels: an
-- MA-crossover grid over 40 assets and a rolling minimum-variance book. Their
-- durations come from the kernels' counted work on these nodes.
backtest {
  name = "close-ma-grid", namespace = "research", region = "us-east", start = "16:15",
  strategy = "ma_cross", universe = { assets = 40, days = 2520, seed = 42 },
  params = { fast = { 5, 10, 20 }, slow = { 50, 100, 200 } },
  count = 4, parallelism = 4, cpu = "2", memory = "4Gi",
}
backtest {
  name = "close-minvar", namespace = "research", region = "us-east", start = "16:20",
  strategy = "minvar", universe = { assets = 150, days = 2520, seed = 7 },
  params = { window = 250, hold = 21, shrink = 0.05 }, cpu = "4", memory = "8Gi",
}

-- The desks' review requests go through a queue; an HPA sizes the workers on
-- its length, as a metrics adapter would serve it.
queue { name = "reviews", region = "us-east" }
deployment { name = "review-workers", namespace = "research", region = "us-east", queue = "reviews",
             replicas = 1, cpu = "2", memory = "4Gi" }
hpa { name = "review-workers", target = "review-workers", min = 1, max = 10,
      metrics = { { type = "External", name = "reviews/queue_length",
                    target = { type = "AverageValue", average_value = "2" } } } }
submit { queue = "reviews", start = "16:30", count = 40, every = "5s",
         strategy = "momentum", universe = { assets = 80, days = 2520, seed = 11 },
         params = { lookback = 126, hold = 21, top = 10 } }

-- Market data: FX fixings every hour, New York time; a run that is still
-- going when the next one is due is skipped rather than doubled.
cronjob {
  name = "fx-fixings", namespace = "research", region = "us-east",
  schedule = "5 * * * *", time_zone = "America/New_York", concurrency_policy = "Forbid",
  job = { completions = 1, duration = "4m", cpu = "500m", memory = "1Gi" },
}

-- London's overnight risk batch, already running at the start.
job {
  name = "eu-risk-batch", namespace = "research", region = "eu-west",
  completions = 20, parallelism = 10, duration = "25m", cpu = "2", memory = "8Gi",
}

-- The US node groups' peaks, sampled every 5 minutes; a log line every hour.
local peak = { cpu = 0, gpu = 0 }
every("5m", function(k)
  local cpu, gpu = k.nodes("cpu-us-east"), k.nodes("gpu-us-east")
  peak.cpu, peak.gpu = math.max(peak.cpu, cpu), math.max(peak.gpu, gpu)
  if k.now() % 3600 == 0 then
    k.log(string.format("us-east: %d CPU nodes, %d GPU nodes, %d pods pending", cpu, gpu, k.pending("us-east")))
  end
end)

expect("the autoscaler grows the US CPU and GPU groups", function(r)
  return peak.cpu > 6 and peak.gpu > 2 and r.autoscaler.nodes_added > 0,
         string.format("CPU nodes peaked at %d (from 6), GPU nodes at %d (from 2); %d added, %d removed", peak.cpu,
                       peak.gpu, r.autoscaler.nodes_added, r.autoscaler.nodes_removed)
end)

expect("every job completes", function(r)
  return r.jobs.failed == 0 and r.jobs.succeeded >= 5,
         string.format("%d succeeded, %d failed", r.jobs.succeeded, r.jobs.failed)
end)

expect("the strategy review produced results", function(r)
  return r.backtests.completed == 45 and #r.backtests.results == 3,
         string.format("%d backtests completed", r.backtests.completed)
end)

expect("backtests queue for CPU at the open", function(r)
  return r.pods.pending_peak > 0, string.format("pending pods peaked at %d", r.pods.pending_peak)
end)

expect("the US API scales out for the open", function(r)
  return r.hpa.scale_ups > 0, string.format("%d HPA scale-ups", r.hpa.scale_ups)
end)

expect("the US desk keeps its p95 under 150 ms for most of the day", function(r)
  for _, s in ipairs(r.slo) do
    if s.region == "us-east" then
      return s.violation_seconds < 3600, string.format("%.0f s over target, p95 %.1f ms, errors %.4f",
                                                         s.violation_seconds, s.latency_p95_ms, s.error_rate)
    end
  end
  return false, "no SLO record for us-east"
end)

expect("the research quota holds back part of the storm", function(r)
  return r.quota.rejections > 0, string.format("%d pod creations refused by quota", r.quota.rejections)
end)

expect("the day costs under $500", function(r)
  return r.cost_usd < 500, string.format("$%.2f", r.cost_usd)
end)
