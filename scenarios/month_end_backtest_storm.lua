-- month_end_backtest_storm: hundreds of backtests at the month-end close.
--
-- On the last trading day of the month every desk re-runs its book's
-- backtests after the 16:00 close. 300 requests land on the research queue in
-- ten minutes. Queue workers start at two replicas; an HPA sizes them on the
-- queue's length (an External metric, as a metrics adapter would serve it),
-- and the cluster autoscaler adds CPU nodes for the workers it creates. The
-- risk team's GPU model refit runs at the same time on a GPU node group that
-- sits at zero nodes all day: its pending pods make the autoscaler scale the
-- group up from zero, and it scales back down once they finish. Per-team
-- ResourceQuotas keep the research workers and the risk refit from starving
-- each other.
--
-- What to look at: in metrics.csv and report.html, the queue length rising
-- and falling and the worker replicas following it; `autoscaler.nodes_added`
-- in summary.json (CPU nodes and GPU nodes from zero); the hook's log lines
-- with the queue length, the workers and the GPU nodes every 10 minutes.
-- Try `--set requests=600` (the queue drains later) or `--set
-- worker_max=2` (the HPA cannot scale out, and the expectations on the
-- workers and the draining time fail).

local requests   = param("requests", 300, "backtest requests submitted after the close")
local worker_max = param("worker_max", 30, "maxReplicas of the queue workers' HPA")
local refits     = param("refits", 8, "GPU refit pods of the risk team")

scenario {
  name = "month_end_backtest_storm",
  start = "15:30",
  duration = "2h30m",      -- to 18:00: the GPU group is back to zero by then
  sample_every = "60s",
  description = "month-end backtests through a queue, queue-length HPA, GPU group from zero",
}

region { name = "us-east", zones = { "us-east-1a", "us-east-1b", "us-east-1c" } }
namespace { name = "research" }
namespace { name = "risk" }

-- A small base pool that the autoscaler grows, and GPUs from zero. The
-- kernels here run a 150-asset book over ten years, a few hundred million
-- flops; the desks' real month-end books are some 500 times that work, which
-- the pool models with speed = 0.002 (durations scale with 1 / speed), so each
-- request keeps a worker busy for about 40 s.
nodegroup {
  name = "cpu", instance_type = "m6i.4xlarge", cpu = "16", memory = "64Gi", price = 0.768,
  min = 2, max = 20, size = 2, provision_delay = "90s", speed = 0.002,
}
nodegroup {
  name = "gpu", instance_type = "g5.2xlarge", cpu = "8", memory = "32Gi", gpu = 1, price = 1.212,
  min = 0, max = 8, size = 0, provision_delay = "3m",
  labels = { ["nvidia.com/gpu.product"] = "A10G" },
  taints = { "nvidia.com/gpu=present:NoSchedule" },
}

-- Faster scale-down than upstream's 10 minutes, so the run shows it.
autoscaler { scale_down_unneeded_time = "5m", scale_down_delay_after_add = "5m" }

-- Per-team quotas: research may not take more than 96 cores, risk 8 GPUs.
quota { name = "research", namespace = "research",
        hard = { ["requests.cpu"] = "96", ["requests.memory"] = "384Gi" } }
quota { name = "risk", namespace = "risk",
        hard = { ["requests.cpu"] = "64", ["requests.nvidia.com/gpu"] = 8 } }

-- The queue and its workers, sized by an HPA on the queue's length: one
-- worker per 4 waiting requests.
queue { name = "month-end", region = "us-east" }
deployment {
  name = "bt-workers", namespace = "research", queue = "month-end",
  replicas = 2, cpu = "3", memory = "6Gi", startup = "15s",
}
hpa {
  name = "bt-workers", target = "bt-workers", min = 2, max = worker_max,
  metrics = { { type = "External", name = "month-end/queue_length",
                target = { type = "AverageValue", average_value = "4" } } },
  behavior = { scale_down = { stabilization_window = "120s" } },
}

-- The storm: `requests` backtests over ten minutes after the close, each a
-- rolling minimum-variance book over a synthetic universe (durations come
-- from the kernel's counted work; identical requests share one kernel run).
submit { queue = "month-end", name = "month-end", start = "16:00", count = requests, every = "2s",
         strategy = "minvar", universe = { assets = 150, days = 2520, seed = 31 },
         params = { window = 250, hold = 21, shrink = 0.05 } }

-- The risk team's GPU refit: GPU pods, which only the (empty) GPU group fits.
job {
  name = "risk-model-refit", namespace = "risk", start = "16:05",
  completions = refits, parallelism = refits, duration = "20m",
  cpu = "4", memory = "16Gi", gpu = 1,
  node_selector = { ["nvidia.com/gpu.product"] = "A10G" },
  tolerations = { "nvidia.com/gpu=present:NoSchedule" },
}

local peak = { queue = 0, workers = 0, gpu = 0 }
local drained_at
every("1m", function(k)
  local q, w, g = k.queue_length("month-end"), k.replicas("bt-workers"), k.nodes("gpu")
  peak.queue, peak.workers, peak.gpu = math.max(peak.queue, q), math.max(peak.workers, w), math.max(peak.gpu, g)
  if q == 0 and peak.queue > 0 and not drained_at then drained_at = k.now() end
  if k.now() % 600 == 0 then
    k.log(string.format("queue %d, workers %d, GPU nodes %d, $%.2f so far", q, w, g, k.cost()))
  end
end, { start = "16:00" })

expect("the queue built up after the close", function()
  return peak.queue >= 50, string.format("queue length peaked at %d", peak.queue)
end)

expect("the queue-length HPA scaled the workers out", function(r)
  return r.hpa.scale_ups > 0 and peak.workers >= 10,
         string.format("%d HPA scale-ups, workers peaked at %d", r.hpa.scale_ups, peak.workers)
end)

expect("the queue drained within an hour of the close", function()
  -- t = 0 is 15:30, so the close is at 1800 s
  return drained_at ~= nil and drained_at - 1800 <= 3600,
         drained_at and string.format("drained %d min after the close", (drained_at - 1800) // 60) or "never drained"
end)

expect("every request produced a result", function(r)
  return r.backtests.completed == requests, string.format("%d of %d backtests completed", r.backtests.completed, requests)
end)

expect("the GPU group scaled up from zero", function()
  return peak.gpu > 0, string.format("GPU nodes peaked at %d", peak.gpu)
end)

expect("the autoscaler added nodes and later removed some", function(r)
  return r.autoscaler.nodes_added > 0 and r.autoscaler.nodes_removed > 0,
         string.format("%d nodes added, %d removed", r.autoscaler.nodes_added, r.autoscaler.nodes_removed)
end)

expect("the refit completed", function(r)
  return r.jobs.succeeded == 1 and r.jobs.failed == 0,
         string.format("%d Jobs succeeded, %d failed", r.jobs.succeeded, r.jobs.failed)
end)
