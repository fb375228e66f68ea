-- wrk script for bench/load.py: GET or POST (a JSON body per line of a file, taken in turn from a
-- random start per thread), optionally paced at a fixed rate, reporting JSON on the last line.
--
--   BENCH_PATH=/v1/classify BENCH_BODIES=bodies.jsonl BENCH_RATE=300 BENCH_THREADS=2 \
--     wrk -t2 -c50 -d20s -s load.lua http://127.0.0.1:8000
--
-- Without BENCH_BODIES: GET. Without BENCH_RATE (or 0): closed loop, each connection sending as
-- soon as it is answered. Read from the environment because wrk decides from the script as
-- loaded, before any argument reaches it, whether requests wait for a delay.
--
-- Paced: each thread hands out send slots at its share of RATE and a connection waits for its
-- slot; a slot already past is sent at once and its lateness recorded (latency is counted from
-- the send, so lateness says how much queueing that hides).

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *out);
]]
local clock = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  table.insert(threads, thread)
end

local path = os.getenv("BENCH_PATH") or "/"
local bodies_file = os.getenv("BENCH_BODIES")
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local interval = 1000.0 * tonumber(os.getenv("BENCH_THREADS") or "1") / math.max(rate, 1e-9)

-- per-thread state (each thread has its own Lua state)
local bodies, count, position, next_slot = {}, 0, 0, 0
non_2xx = 0
late = 0
max_late_ms = 0

function init(args)
  if bodies_file then
    for line in io.lines(bodies_file) do
      count = count + 1
      bodies[count] = line
    end
    math.randomseed(id * 7919)
    position = math.random(count)
  end
  next_slot = now_ms()
end

local function paced_delay()
  local now = now_ms()
  local slot = next_slot
  next_slot = next_slot + interval
  if slot >= now then
    return slot - now
  end
  local behind = now - slot
  if behind > 1 then
    late = late + 1
  end
  if behind > max_late_ms then
    max_late_ms = behind
  end
  return 0
end

if rate > 0 then -- each thread hands out its share of the rate
  delay = paced_delay
end

function request()
  if count == 0 then
    return wrk.format("GET", path)
  end
  position = position % count + 1
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, bodies[position])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, requests)
  local bad, behind, worst = 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non_2xx")
    behind = behind + thread:get("late")
    worst = math.max(worst, thread:get("max_late_ms"))
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "non_2xx": %d, "socket_errors": %d, "timeouts": %d, ' ..
    '"p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "late_sends": %d, ' ..
    '"max_lateness_ms": %.1f}\n',
    summary.requests, summary.duration / 1e6, bad, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, behind, worst))
end
