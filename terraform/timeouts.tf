# How long a replication check may take, from the variables that bound it.
#
# A run writes check_samples heartbeats, one every check_interval_ms: the last
# at (samples - 1) × interval, within the window samples × interval. The app
# answers at most replica_max_lag_ms + db_query_timeout_ms + 1 s after that
# last heartbeat, whatever one replica does (each replica gets
# replica_max_lag_ms to show it, a poll in flight at most a query timeout, and
# a second to answer): the tail. Before the first heartbeat the check reads
# the topology (a dead host costs a connect timeout and a query timeout), and
# a cold start resolves secrets and starts Node: the margin covers both, with
# 10 s to spare.
#
#   defaults: window 60 s + tail 9 s + margin 15 s = check service timeout 84 s,
#             scheduler attempt deadline 89 s, api service timeout 924 s.

locals {
  check_window_ms     = var.check_samples * var.check_interval_ms
  check_tail_ms       = var.replica_max_lag_ms + var.db_query_timeout_ms + 1000
  check_margin_ms     = var.db_connect_timeout_ms + var.db_query_timeout_ms + 10000
  check_max_window_ms = 15 * 60 * 1000 # the longest window the app accepts (samples × interval_ms ≤ 15 min)

  # Cloud Run request timeouts (at most 3600 s). The api serves
  # /replication_check too, with any window the app accepts.
  check_timeout_s = ceil((local.check_window_ms + local.check_tail_ms + local.check_margin_ms) / 1000)
  api_timeout_s   = ceil((local.check_max_window_ms + local.check_tail_ms + local.check_margin_ms) / 1000)

  # Cloud Scheduler's attempt deadline (15 s to 1800 s): a little longer than
  # the check service's timeout, so that a run that hangs ends as Cloud Run's
  # 504, logged with the request, rather than the scheduler giving up first.
  scheduler_attempt_deadline_s = local.check_timeout_s + 5
}
