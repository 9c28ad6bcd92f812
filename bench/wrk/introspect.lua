-- POST /v1/AccessTokens/Introspect: authenticate with a key, verify a token, check its key and account.
wrk.method = "POST"
wrk.path = "/v1/AccessTokens/Introspect"
wrk.headers["Authorization"] = os.getenv("BENCH_KEY_AUTH")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "Token=" .. os.getenv("BENCH_TOKEN")
