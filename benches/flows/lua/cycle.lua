-- Sends the lines of a file in turn, round and round: each line as the POST
-- body, or as the value of a header on a GET. Arguments: the file, then
-- `body` or a header name.

function init(args)
  values = {}
  for line in io.lines(args[1]) do
    table.insert(values, line)
  end
  target = args[2]
  next_value = 1
end

function request()
  local value = values[next_value]
  next_value = next_value % #values + 1
  if target == "body" then
    return wrk.format("POST", nil, nil, value)
  end
  wrk.headers[target] = value
  return wrk.format("GET")
end
