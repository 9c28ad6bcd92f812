-- The bare Javalin hello-world baseline.
wrk.method = "GET"
wrk.path = "/"
