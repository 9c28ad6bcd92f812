-- GET one key with HTTP Basic (a main key: a standard one may not read keys): authentication plus a database read.
wrk.method = "GET"
wrk.path = "/2010-04-01/Accounts/" .. os.getenv("BENCH_ACCOUNT_SID") .. "/Keys/" .. os.getenv("BENCH_KEY_SID") .. ".json"
wrk.headers["Authorization"] = os.getenv("BENCH_KEY_AUTH")
