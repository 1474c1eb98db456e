-- wrk script: GET the paths listed in a file, one a line, in turn; each thread starts at its own
-- offset, so the connections ask different questions. Usage: wrk -s bench/varied.lua URL -- FILE
local threads = 0
local paths = {}
local index = 0

function setup(thread)
  thread:set("number", threads)
  threads = threads + 1
end

function init(args)
  local file = args[1]
  if file == nil then
    error("name the file of paths after --")
  end
  for line in io.lines(file) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  if #paths == 0 then
    error("no paths in " .. file)
  end
  index = ((number or 0) * 397) % #paths
end

function request()
  index = index % #paths + 1
  return wrk.format(nil, paths[index])
end
