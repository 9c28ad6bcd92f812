package io.callsign.bench;

import io.javalin.Javalin;

/**
 * The baseline for the server's wrk figures: Javalin with its defaults answering "Hello World", so
 * that the cost Callsign adds on top of the framework and the machine is what the comparison shows.
 */
public final class HelloWorld {
  private HelloWorld() {}

  /** Serves on 127.0.0.1 and the port given as the only argument (0: any), and prints the port. */
  public static void main(String[] args) {
    Javalin app =
        Javalin.create(
                cfg -> {
                  cfg.startup.showJavalinBanner = false;
                  cfg.routes.get("/", ctx -> ctx.result("Hello World"));
                })
            .start("127.0.0.1", Integer.parseInt(args[0]));
    System.out.println("listening on " + app.port());
  }
}
