package io.callsign.tokens.capability;

import java.util.Map;

/**
 * Lets the client subscribe to the account's event stream: the URI {@code
 * scope:stream:subscribe?path=/2010-04-01/Events[&appParams=<filters>]}.
 *
 * @param filters event filters, in order; unmodifiable, empty when none
 */
public record EventStreamScope(Map<String, String> filters) implements Scope {
  /**
   * Checks and copies the filters.
   *
   * @throws IllegalArgumentException if a name is empty or any text contains control characters
   */
  public EventStreamScope {
    filters = ScopeCodec.checkParams("filter", filters);
  }

  @Override
  public String getPayload() {
    String uri = ScopeCodec.STREAM + "?path=" + ScopeCodec.EVENTS_PATH;
    return filters.isEmpty()
        ? uri
        : uri + "&appParams=" + ScopeCodec.encode(ScopeCodec.query(filters));
  }

  /** Builds an {@link EventStreamScope}; the names are twilio-java's. */
  public static final class Builder {
    private Map<String, String> filters = Map.of();

    /** Starts a scope with no filters. */
    public Builder() {}

    /** Event filters; their iteration order is kept. */
    public Builder filters(Map<String, String> filters) {
      this.filters = filters;
      return this;
    }

    /**
     * Builds the scope.
     *
     * @throws IllegalArgumentException if a filter is malformed
     */
    public EventStreamScope build() {
      return new EventStreamScope(filters);
    }
  }
}
