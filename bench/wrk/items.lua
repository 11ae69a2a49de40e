-- GET /v1/items/<id>, ids cycling 1..1000: one route template behind many URLs, as in real
-- traffic (a span name or metric label built from the URL instead of the route would show here).
local n = 0
wrk.headers["x-tenant-id"] = "bench-tenant"
request = function()
  n = n % 1000 + 1
  return wrk.format("GET", "/v1/items/" .. n)
end
