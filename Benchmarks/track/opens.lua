-- wrk script of make bench-track: GET /o/{token} over the open pixel paths of the
-- delivery's recipients (one per line in the file given after --), each thread
-- starting at its own offset and walking through every recipient.
local paths = {}
local index = 0

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  index = math.random(#paths)
end

function request()
  index = index % #paths + 1
  return wrk.format("GET", paths[index])
end
