-- quota_contention: branch teams share one research cluster; quotas keep it fair.
--
-- Three branch desks (Seoul, London, New York) run their backtests in their
-- own namespaces on a shared 64-core research cluster in us-east. At 09:00
-- New York submits a sweep of 240 pods, 2 cores each, and asks for 48 at
-- once: without limits it would take 96 cores, the whole cluster and then
-- some, and the teams who come five and ten minutes later would wait behind
-- its pods. Each team's ResourceQuota caps what its pods may request
-- (requests.cpu), so the API server refuses New York's pods beyond its share
-- (the Job controller retries them as pods finish) and London's and Seoul's
-- Jobs start at full parallelism the moment they arrive.
--
-- What to look at: `quota.rejections` in summary.json (pods refused by
-- admission), the hook's log lines (each team's Ready pods at 09:15), and
-- the per-namespace cost in report.html. Try `--set ny_cores=200`: New York's
-- quota no longer binds, nothing is refused, Seoul starts short of its pods,
-- and those expectations fail.
--
-- The quotas cap `pods`, the pods not yet finished. `count/pods` counts
-- every pod object, finished ones too, and a Job's finished pods exist until
-- the Job is deleted: try `--set count_pods=100` and New York's sweep stops
-- at 100 of its 240 pods, its Job never completes, and the last
-- expectation fails, as it would on a real cluster.
--
-- The cluster autoscaler is on in every scenario; here the pool's max keeps
-- it at 64 cores, as a fixed research budget would.

local ny_cores     = param("ny_cores", "32", "requests.cpu quota of the New York desk")
local branch_cores = param("branch_cores", "24", "requests.cpu quota of the London and Seoul desks")
local count_pods   = param("count_pods", 0, "count/pods quota of every desk (0: none)")

scenario {
  name = "quota_contention",
  start = "09:00",
  duration = "6h",
  sample_every = "60s",
  description = "three desks' backtests on one research cluster, with per-team ResourceQuotas",
}

region { name = "us-east", zones = { "us-east-1a", "us-east-1b" } }

nodegroup {
  name = "research", instance_type = "m6i.4xlarge", cpu = "16", memory = "64Gi",
  price = 0.768, min = 4, max = 4,
}

-- One namespace and one quota per desk.
local desks = {
  { ns = "ny-desk",    cores = ny_cores },
  { ns = "ldn-desk",   cores = branch_cores },
  { ns = "seoul-desk", cores = branch_cores },
}
for _, d in ipairs(desks) do
  namespace { name = d.ns }
  local hard = { ["requests.cpu"] = d.cores, ["requests.memory"] = "256Gi", pods = 100 }
  if count_pods > 0 then hard["count/pods"] = count_pods end
  quota { name = d.ns .. "-quota", namespace = d.ns, hard = hard }
end

-- New York's sweep: 240 pods, 48 at a time, at 09:00.
job {
  name = "ny-vol-sweep", namespace = "ny-desk", start = "09:00",
  completions = 240, parallelism = 48, duration = "10m", cpu = "2", memory = "4Gi",
}

-- London and Seoul arrive a little later with smaller Jobs.
job {
  name = "ldn-risk-parity", namespace = "ldn-desk", start = "09:05",
  completions = 36, parallelism = 12, duration = "15m", cpu = "2", memory = "4Gi",
}
job {
  name = "seoul-kospi-pairs", namespace = "seoul-desk", start = "09:10",
  completions = 24, parallelism = 8, duration = "15m", cpu = "2", memory = "4Gi",
}

-- Sample each desk's Ready pods once everyone has arrived.
local ready = {}
at("09:15", function(k)
  for _, j in ipairs({ "ny-vol-sweep", "ldn-risk-parity", "seoul-kospi-pairs" }) do
    ready[j] = k.ready(j)
    k.log(string.format("%s: %d pods Ready", j, ready[j]))
  end
end)

expect("the quotas refused some of New York's pods", function(r)
  return r.quota.rejections > 0, string.format("%d pod creations refused by quota", r.quota.rejections)
end)

expect("New York is held to its share (16 pods of 2 cores)", function()
  return ready["ny-vol-sweep"] <= 16, string.format("%d New York pods Ready at 09:15", ready["ny-vol-sweep"])
end)

expect("London runs at full parallelism", function()
  return ready["ldn-risk-parity"] == 12, string.format("%d of 12 London pods Ready at 09:15", ready["ldn-risk-parity"])
end)

expect("Seoul runs at full parallelism", function()
  return ready["seoul-kospi-pairs"] == 8, string.format("%d of 8 Seoul pods Ready at 09:15", ready["seoul-kospi-pairs"])
end)

expect("every desk's Job completes", function(r)
  return r.jobs.succeeded == 3 and r.jobs.failed == 0,
         string.format("%d succeeded, %d failed", r.jobs.succeeded, r.jobs.failed)
end)
