-- wrk script for bench_claims.sh: POST /api/v1/claims, one code and its right PIN a request.
-- Arguments (after wrk's "--"): CLAIMS_FILE THREADS
--   CLAIMS_FILE  "CODE PIN" a line; thread i of THREADS posts the lines i, i+THREADS, ... so no
--                two threads claim the same code; once all are posted it stops sending new
--                claims and repeats its last (answered 200: already the caller's)
-- Prints RATE, P50MS, P99MS, NON2XX (statuses over 399), ERRORS and SENT lines.

local n = 0
function setup(thread)
	n = n + 1
	thread:set("tid", n)
end

function init(args)
	local file, threads = args[1], tonumber(args[2])
	bodies = {}
	local i = 0
	for line in io.lines(file) do
		if i % threads == tid - 1 and #line > 0 then
			local code, pin = line:match("^(%S+) (%S+)$")
			bodies[#bodies + 1] = '{"code":"' .. code .. '","pin":"' .. pin .. '"}'
		end
		i = i + 1
	end
	assert(#bodies > 0, "no claims for thread " .. tid .. " in " .. file)
	prefix = "POST /api/v1/claims HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. tostring(wrk.port) ..
		"\r\nContent-Type: application/json\r\nContent-Length: "
	next_body = 1
end

function request()
	local b = bodies[next_body]
	if next_body < #bodies then
		next_body = next_body + 1
	end
	return prefix .. #b .. "\r\n\r\n" .. b
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RATE %.1f\n", summary.requests / (summary.duration / 1e6)))
	io.write(string.format("P50MS %.3f\n", latency:percentile(50) / 1000))
	io.write(string.format("P99MS %.3f\n", latency:percentile(99) / 1000))
	io.write(string.format("NON2XX %d\n", e.status))
	io.write(string.format("ERRORS %d\n", e.connect + e.read + e.write + e.timeout))
end
