-- wrk script for bench_temd.sh: POST /api/v1/scans, one code a request.
-- Arguments (after wrk's "--"): CODES_FILE THREADS [malformed|forged]
--   CODES_FILE  one code a line; thread i of THREADS posts the lines i, i+THREADS, ... so no
--               two threads post the same code, and starts over once it has posted them all
--   malformed   first character of each code replaced by '!': the same requests, which temd
--               answers without a signature check or a ledger write (the HTTP floor)
--   forged      one character of each code's signature changed: temd checks the signature
--               and answers "invalid" without a ledger write (verify and HTTP alone)
-- Prints RATE, P50MS, P99MS, NON2XX (statuses over 399), ERRORS (socket errors) and REQUESTS
-- (answers received) lines.

local n = 0
function setup(thread)
	n = n + 1
	thread:set("tid", n)
end

function init(args)
	local file, threads, mode = args[1], tonumber(args[2]), args[3]
	codes = {}
	local i = 0
	for line in io.lines(file) do
		if i % threads == tid - 1 and #line > 0 then
			if mode == "malformed" then
				line = "!" .. line:sub(2)
			elseif mode == "forged" then
				-- one base32 character of the signature changed: verified, then refused
				local c = line:sub(100, 100) == "A" and "B" or "A"
				line = line:sub(1, 99) .. c .. line:sub(101)
			end
			codes[#codes + 1] = line
		end
		i = i + 1
	end
	assert(#codes > 0, "no codes for thread " .. tid .. " in " .. file)
	-- every code has the same length, so the head is the same for every request
	local len = #codes[1] + #'{"code":""}'
	head = "POST /api/v1/scans HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. tostring(wrk.port) ..
		"\r\nContent-Type: application/json\r\nContent-Length: " .. len .. "\r\n\r\n"
	next_code = 1
end

function request()
	local c = codes[next_code]
	next_code = next_code % #codes + 1
	return head .. '{"code":"' .. c .. '"}'
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RATE %.1f\n", summary.requests / (summary.duration / 1e6)))
	io.write(string.format("P50MS %.3f\n", latency:percentile(50) / 1000))
	io.write(string.format("P99MS %.3f\n", latency:percentile(99) / 1000))
	io.write(string.format("NON2XX %d\n", e.status))
	io.write(string.format("ERRORS %d\n", e.connect + e.read + e.write + e.timeout))
	io.write(string.format("REQUESTS %d\n", summary.requests))
end
