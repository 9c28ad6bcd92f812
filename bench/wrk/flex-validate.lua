-- POST /v1/Accounts/{AC}/Tokens/validate as twilio-flex-token-validator sends it: authenticate with a key,
-- check and decrypt a Flex token (JWE, dir + A256GCM), check its user, revocation and account.
wrk.method = "POST"
wrk.path = "/v1/Accounts/" .. os.getenv("BENCH_ACCOUNT_SID") .. "/Tokens/validate"
wrk.headers["Authorization"] = os.getenv("BENCH_KEY_AUTH")
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"token":"' .. os.getenv("BENCH_FLEX_TOKEN") .. '"}'
