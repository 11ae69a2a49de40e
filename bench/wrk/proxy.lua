-- GET /v1/proxy/<id>: the handler fetches the upstream service (fetch or tracedFetch).
local n = 0
wrk.headers["x-tenant-id"] = "bench-tenant"
request = function()
  n = n % 1000 + 1
  return wrk.format("GET", "/v1/proxy/" .. n)
end
