-- POST /v1/AccessTokens: authenticate with a key, mint an Access Token with a video grant.
wrk.method = "POST"
wrk.path = "/v1/AccessTokens"
wrk.headers["Authorization"] = os.getenv("BENCH_KEY_AUTH")
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"identity":"alice","ttl":3600,"grants":{"video":{"room":"standup"}}}'
