-- POSTs each line of a file once, as the whole form body, for values that
-- work only once (authorization codes). The lines are dealt out to wrk's
-- threads in turn, and each thread's connections take the thread's next line.
-- Responses are counted by status and printed as `Statuses: 200=N 400=M`.
-- Arguments: the file, then the number of wrk threads.

local threads = {}
local dealt = 0

function setup(thread)
  thread:set("share", dealt)
  dealt = dealt + 1
  table.insert(threads, thread)
end

function init(args)
  local stride = tonumber(args[2])
  bodies = {}
  local line_number = 0
  for line in io.lines(args[1]) do
    if line_number % stride == share then
      table.insert(bodies, line)
    end
    line_number = line_number + 1
  end
  next_body = 1
  statuses = {}
  wrk.method = "POST"
end

function request()
  -- Once the lines run out the server must refuse what comes, so a run
  -- longer than its codes shows as failures rather than as repeated codes.
  local body = bodies[next_body] or "grant_type=authorization_code&code=exhausted"
  next_body = next_body + 1
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  local codes = {}
  for status in pairs(totals) do
    table.insert(codes, status)
  end
  table.sort(codes)
  local parts = {}
  for _, status in ipairs(codes) do
    table.insert(parts, status .. "=" .. totals[status])
  end
  io.write("Statuses: " .. table.concat(parts, " ") .. "\n")
end
