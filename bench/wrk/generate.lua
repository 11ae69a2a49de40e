-- POST /v1/generate with a small JSON body; the handler calls recordCost once.
-- The request is built once (wrk.format adds Content-Length) and sent as is: the path cannot
-- come from the URL, which the runner keeps at the server's root for every script.
local body = '{"prompt":"write a haiku about tail latency"}'
local headers = { ["Content-Type"] = "application/json", ["x-tenant-id"] = "bench-tenant" }
local req = nil
request = function()
  if req == nil then req = wrk.format("POST", "/v1/generate", headers, body) end
  return req
end
