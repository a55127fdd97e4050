-- gpu_training_burst: training Jobs on tainted GPU nodes, and inference that preempts them.
--
-- The AI team shares a GPU node group between two workloads. Model training
-- runs as low-priority Jobs; each pod asks for one GPU, must land on an A10G
-- node (required node affinity) and tolerates the GPU nodes' NoSchedule
-- taint, which keeps everything else off them. The training Jobs alone make
-- the cluster autoscaler grow the GPU group to its max before the open. At
-- 09:30 the signal-inference service, which also needs a GPU per pod, sees
-- its traffic jump tenfold and its HPA scales it out on CPU: with no GPU left
-- the scheduler preempts training pods (lower priority) to place inference.
-- The Jobs recreate the preempted pods (a preemption counts against
-- backoffLimit, as upstream counts it, so the Jobs leave room), and they run
-- again once the surge has passed.
--
-- What to look at: `pods.preempted` in summary.json; the hook's log lines
-- with the inference replicas, GPU nodes and Ready training pods every 15
-- minutes; the inference SLO record in `slo[]`. Try `--set gpu_max=16`: the
-- group never reaches its max, yet inference still preempts, because the
-- scheduler preempts at once rather than wait three minutes for a new node
-- (the expectation about the max fails). Or `--set surge=3`.

local surge   = param("surge", 10, "inference traffic multiplier at the open")
local gpu_max = param("gpu_max", 6, "most GPU nodes the autoscaler may run")
local trainers = param("trainers", 4, "training pods at once per Job")

scenario {
  name = "gpu_training_burst",
  start = "08:00",
  duration = "5h",
  sample_every = "60s",
  description = "training Jobs and inference share tainted GPU nodes; priority decides",
}

region { name = "us-east", zones = { "us-east-1a", "us-east-1b" } }
namespace { name = "ai" }
namespace { name = "monitoring" }

priorityclass { name = "inference", value = 100000, description = "market-hours serving" }
priorityclass { name = "training", value = 100, description = "preemptible training" }

nodegroup {
  name = "cpu", instance_type = "m6i.2xlarge", cpu = "8", memory = "32Gi", price = 0.384,
  min = 1, max = 4, size = 1,
}
-- The GPU group: tainted, labelled with the GPU model, grown by the
-- autoscaler between min and max.
nodegroup {
  name = "gpu", instance_type = "g5.2xlarge", cpu = "8", memory = "32Gi", gpu = 1, price = 1.212,
  min = 2, max = gpu_max, size = 4, provision_delay = "3m",
  labels = { ["nvidia.com/gpu.product"] = "A10G" },
  taints = { "nvidia.com/gpu=present:NoSchedule" },
}

-- What a GPU pod needs to land there: the model (required node affinity) and
-- the taint's toleration.
local on_a10g = {
  node = { required = { { { key = "nvidia.com/gpu.product", operator = "In", values = { "A10G" } } } } },
}
local gpu_toleration = { "nvidia.com/gpu=present:NoSchedule" }

-- Two training Jobs, started before the open.
for i, name in ipairs({ "train-alpha-lstm", "train-vol-surface" }) do
  job {
    name = name, namespace = "ai", start = string.format("08:%02d", 5 * i),
    completions = 2 * trainers, parallelism = trainers, duration = "50m",
    cpu = "4", memory = "16Gi", gpu = 1, priority_class = "training",
    affinity = on_a10g, tolerations = gpu_toleration, backoff_limit = 20,
  }
end

-- Signal inference: one GPU per pod, served to the New York desk.
deployment {
  name = "signal-inference", namespace = "ai", replicas = 1,
  cpu = "2", memory = "8Gi", gpu = 1, startup = "60s", priority_class = "inference",
  affinity = on_a10g, tolerations = gpu_toleration,
  serve = { service = "signals", capacity = 100, cpu_per_request = "15m", service_time = "25ms",
            slo_p95 = "200ms", timeout = "2s" },
}
hpa { name = "signal-inference", target = "signal-inference", min = 1, max = 8,
      metrics = { { type = "Resource", name = "cpu", target = { type = "Utilization", average_utilization = 60 } } } }

site { name = "new-york" }
latency { from = "new-york", to = "us-east", ms = 5 }
traffic { site = "new-york", service = "signals", rate = 40,
          daily = { { "08:00", 0.5 }, { "09:30", 1.0 }, { "12:00", 0.6 } },
          surges = { { start = "09:30", ramp = "5m", hold = "1h", decay = "20m", factor = surge } } }

-- A node agent on every node, GPU nodes included.
daemonset { name = "node-exporter", namespace = "monitoring", cpu = "100m", memory = "128Mi",
            tolerations = { { operator = "Exists" } } }

local peak = { inference = 0, gpu = 0 }
every("5m", function(k)
  local inf, gpu = k.replicas("signal-inference"), k.nodes("gpu")
  peak.inference, peak.gpu = math.max(peak.inference, inf), math.max(peak.gpu, gpu)
  if k.now() % 900 == 0 then
    k.log(string.format("inference %d replicas, %d GPU nodes, training Ready %d + %d, %d pending", inf, gpu,
                        k.ready("train-alpha-lstm"), k.ready("train-vol-surface"), k.pending()))
  end
end)

expect("the inference HPA scaled out for the open", function(r)
  return r.hpa.scale_ups > 0 and peak.inference >= 4,
         string.format("%d scale-ups, inference peaked at %d replicas", r.hpa.scale_ups, peak.inference)
end)

expect("the autoscaler grew the GPU group to its max", function()
  return peak.gpu == gpu_max, string.format("GPU nodes peaked at %d of %d", peak.gpu, gpu_max)
end)

expect("inference preempted training pods", function(r)
  return r.pods.preempted > 0, string.format("%d pods preempted", r.pods.preempted)
end)

expect("both training Jobs still finished", function(r)
  return r.jobs.succeeded == 2 and r.jobs.failed == 0,
         string.format("%d succeeded, %d failed", r.jobs.succeeded, r.jobs.failed)
end)

expect("inference kept its p95 under 200 ms for most of the surge", function(r)
  for _, s in ipairs(r.slo) do
    if s.service == "signals" then
      return s.violation_seconds < 1800,
             string.format("%.0f s over target, p95 %.1f ms, errors %.4f", s.violation_seconds, s.latency_p95_ms,
                           s.error_rate)
    end
  end
  return false, "no SLO record for signals"
end)
