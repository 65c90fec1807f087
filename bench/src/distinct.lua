-- wrk: GET requests drawn in turn from a file, each with its organization's
-- token, so that every request can be a different URL of a different caller
-- (oha sends one set of headers). BENCH_TOKENS holds one token per line;
-- BENCH_PATHS holds "<token line number><TAB><path>" lines. Each thread starts
-- at its own place in the list. Prints one JSON line when done.

local tokens = {}
local paths = {}
local owners = {}
local next_index = 1
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    tokens[#tokens + 1] = { ["Authorization"] = "Bearer " .. line }
  end
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    local owner, path = line:match("^(%d+)\t(.+)$")
    owners[#owners + 1] = tonumber(owner)
    paths[#paths + 1] = path
  end
  next_index = (thread_number * math.floor(#paths / 7 + 1)) % #paths + 1
end

function request()
  local i = next_index
  next_index = next_index % #paths + 1
  return wrk.format("GET", paths[i], tokens[owners[i]])
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"statusErrors":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"timeouts":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
