-- P5 and the no-op GET ceiling: GET /api/v1/timestamp/{id} for ids read from a file
-- (one per line, given after `--`), picked at random.
require("summary")
local ids = {}

init = function(args)
  for line in io.lines(args[1]) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  if #ids == 0 then error("no ids in " .. args[1]) end
  math.randomseed(os.time())
end

request = function()
  return wrk.format("GET", "/api/v1/timestamp/" .. ids[math.random(#ids)])
end
