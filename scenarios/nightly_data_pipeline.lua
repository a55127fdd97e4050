-- nightly_data_pipeline: CronJobs after the close, and a run that is skipped.
--
-- The London desk's data team runs two CronJobs on a small, fixed pipeline
-- pool. Every hour at :05 an FX-fixings job snapshots rates (a few minutes of
-- one core); at 16:30, after the London close, the end-of-day market-data load
-- fills the whole pool for about an hour and forty minutes, and it runs at a
-- higher priority so the scheduler serves it first. The 17:05 FX run is
-- created on time but waits for a node behind the load, so at 18:05 it is
-- still active; with concurrencyPolicy Forbid the CronJob controller does not
-- stack a second run (upstream's JobAlreadyActive). A fixing more than five
-- minutes late is useless, so startingDeadlineSeconds is 300: when the 17:05
-- run finishes at 18:14 the 18:05 run is past its deadline and is skipped
-- rather than started late. Later runs go ahead as usual.
--
-- What to look at: the trace (`kubesim trace dump runs/.../trace.kst | grep
-- '"cronjob"'`) shows a SuccessfulCreate per hour except 18:05, where the
-- record is JobAlreadyActive; `jobs.succeeded` in summary.json is one short of
-- the schedules, and the hook's log line at 18:06 shows the waiting run.
-- Try `--set deadline=1h` (the 18:05 run starts late instead), `--set
-- concurrency=Allow` (it starts on time, beside the waiting one) or `--set
-- pool_nodes=3` (the 17:05 run finds room at once); each fails an expectation.
--
-- The scenario clock is UTC, which is London time in January; the CronJobs
-- still name their time zone, as you would in a cluster.

local concurrency = param("concurrency", "Forbid", "concurrencyPolicy of the FX CronJob: Allow, Forbid or Replace")
local pool_nodes  = param("pool_nodes", 2, "nodes in the fixed pipeline pool (8 cores each)")
local md_shards   = param("md_shards", 16, "pods of the end-of-day market-data load (4 cores, 25 min each)")
local deadline    = param("deadline", "5m", "startingDeadlineSeconds of the FX CronJob: a later run is skipped")

scenario {
  name = "nightly_data_pipeline",
  start = "16:00",        -- Monday 2026-01-05, 16:00 UTC
  duration = "6h",        -- until 22:00: FX runs at 16:05, 17:05, ..., 21:05
  sample_every = "60s",
  description = "end-of-day market data and hourly FX fixings on a fixed pool",
}

region { name = "eu-west", zones = { "eu-west-1a", "eu-west-1b" } }
namespace { name = "data" }

-- min = max: the cluster autoscaler (on by default) cannot grow this pool, so
-- the load really does fill it.
nodegroup {
  name = "pipeline", instance_type = "m6i.2xlarge", cpu = "8", memory = "32Gi",
  price = 0.384, min = pool_nodes, max = pool_nodes,
}

-- The load outranks the fixings: when both wait, the scheduler takes the load.
priorityclass { name = "eod-load", value = 10000, description = "end-of-day market data" }
priorityclass { name = "routine", value = 100, global_default = true, description = "hourly snapshots" }

-- End-of-day market data, weekdays after the close: one Job of md_shards
-- pods, four at a time (all of the pool).
cronjob {
  name = "eod-market-data", namespace = "data",
  schedule = "30 16 * * 1-5", time_zone = "Europe/London", concurrency_policy = "Forbid",
  job = { completions = md_shards, parallelism = 4, duration = "25m", cpu = "4", memory = "8Gi",
          priority_class = "eod-load" },
}

-- FX fixings every hour.
cronjob {
  name = "fx-fixings", namespace = "data",
  schedule = "5 * * * *", time_zone = "Europe/London", concurrency_policy = concurrency,
  starting_deadline = deadline,
  job = { completions = 1, duration = "4m", cpu = "500m", memory = "1Gi" },
}

-- Jobs are named <cronjob>-<scheduled unix time / 60>; 2026-01-05 17:05 UTC
-- is minute 29460545 and 18:05 is minute 29460605. From 18:05 to 19:00 a hook
-- looks both up every minute (k.replicas of a workload that does not exist is
-- an error, hence pcall).
local fx_1705, fx_1805 = "fx-fixings-29460545", "fx-fixings-29460605"
local seen = { waiting = false, created = false, pending = 0 }
every("1m", function(k)
  if pcall(k.replicas, fx_1805) and not seen.created then
    seen.created = true
    k.log("the 18:05 FX run exists")
  end
  if k.now() == 7560 then   -- 18:06
    seen.waiting = pcall(k.ready, fx_1705) and k.ready(fx_1705) == 0
    seen.pending = k.pending()
    k.log(string.format("17:05 run %s, %d pods pending", seen.waiting and "still waiting" or "not waiting",
                        seen.pending))
  end
end, { start = "18:05", stop = "19:00" })

expect("every run that started succeeded", function(r)
  return r.jobs.failed == 0, string.format("%d succeeded, %d failed", r.jobs.succeeded, r.jobs.failed)
end)

expect("the 17:05 FX run waited behind the load", function()
  return seen.waiting and seen.pending > 0,
         string.format("17:05 run still waiting at 18:06: %s, pending pods: %d", tostring(seen.waiting), seen.pending)
end)

expect("Forbid and the deadline skipped the 18:05 FX run", function()
  return not seen.created, seen.created and "the 18:05 run was created" or "no Job for 18:05 by 19:00"
end)

expect("one market-data Job and five of six FX runs", function(r)
  return r.jobs.succeeded == 1 + 5, string.format("%d Jobs succeeded (want 6)", r.jobs.succeeded)
end)

expect("the pool stayed fixed", function(r)
  return r.autoscaler.nodes_added == 0, string.format("%d nodes added", r.autoscaler.nodes_added)
end)
