package io.callsign.tokens.capability;

import io.callsign.tokens.InvalidTokenException;
import io.callsign.tokens.TokenError;
import io.callsign.tokens.internal.CompactJws;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One rule of a {@link TaskRouterCapabilityToken}: whether requests with {@code method} to {@code
 * url} are allowed, and which query or form parameters they must carry. A URL ending in {@code /**}
 * covers every sub-resource.
 *
 * <p>Written as {@code {"url":..,"method":..,"allow":..,"query_filter":{..},"post_filter":{..}}};
 * empty filters are written as {@code {}}, as twilio-node and twilio-python do.
 *
 * @param url the resource URL, for example from {@link UrlUtils}
 * @param method the HTTP method
 * @param allowed whether matching requests are allowed (the {@code allow} member)
 * @param queryFilter required or optional query parameters; unmodifiable, empty when none
 * @param postFilter required or optional form parameters; unmodifiable, empty when none
 */
public record Policy(
    String url,
    HttpMethod method,
    boolean allowed,
    Map<String, FilterRequirement> queryFilter,
    Map<String, FilterRequirement> postFilter) {

  private static final Set<String> MEMBERS =
      Set.of("url", "method", "allow", "query_filter", "post_filter");

  /**
   * Checks and copies the values.
   *
   * @throws IllegalArgumentException if the URL is empty or any text contains control characters
   */
  public Policy {
    CapabilityJwt.checkText("url", url, false);
    Objects.requireNonNull(method, "method");
    queryFilter = copyFilter("query_filter", queryFilter);
    postFilter = copyFilter("post_filter", postFilter);
  }

  private static Map<String, FilterRequirement> copyFilter(
      String what, Map<String, FilterRequirement> filter) {
    if (filter == null) {
      return Map.of();
    }
    Map<String, FilterRequirement> copy = new LinkedHashMap<>();
    for (Map.Entry<String, FilterRequirement> e : filter.entrySet()) {
      copy.put(
          CapabilityJwt.checkText(what + " name", e.getKey(), false),
          Objects.requireNonNull(e.getValue(), what + " requirement"));
    }
    return Collections.unmodifiableMap(copy);
  }

  /** The policy as a JSON-ready map, in the order the members are written. */
  Map<String, Object> toClaim() {
    Map<String, Object> claim = new LinkedHashMap<>();
    claim.put("url", url);
    claim.put("method", method.name());
    claim.put("allow", allowed);
    claim.put("query_filter", filterClaim(queryFilter));
    claim.put("post_filter", filterClaim(postFilter));
    return claim;
  }

  /** The policies as a JSON-ready list. */
  static List<Object> toClaims(List<Policy> policies) {
    return policies.stream().<Object>map(Policy::toClaim).toList();
  }

  private static Map<String, Object> filterClaim(Map<String, FilterRequirement> filter) {
    Map<String, Object> claim = new LinkedHashMap<>();
    filter.forEach((name, requirement) -> claim.put(name, Map.of("required", requirement.value())));
    return claim;
  }

  /**
   * Reads one element of a {@code policies} claim, in any library's form: filters present as {@code
   * {}} or absent, members in any order. Unknown members are refused.
   */
  static Policy fromClaim(Object value) throws InvalidTokenException {
    if (!(value instanceof Map<?, ?> policy)) {
      throw invalid("a policy must be an object");
    }
    for (Object member : policy.keySet()) {
      if (!MEMBERS.contains(member)) {
        throw invalid("unknown policy member " + CompactJws.describe(member));
      }
    }
    if (!(policy.get("url") instanceof String url)) {
      throw invalid("policy url must be a string");
    }
    if (!(policy.get("method") instanceof String method) || !isMethod(method)) {
      throw invalid("policy method must be an upper-case HTTP method");
    }
    if (!(policy.get("allow") instanceof Boolean allow)) {
      throw invalid("policy allow must be true or false");
    }
    try {
      return new Policy(
          url,
          HttpMethod.valueOf(method),
          allow,
          readFilter("query_filter", policy.get("query_filter")),
          readFilter("post_filter", policy.get("post_filter")));
    } catch (IllegalArgumentException e) {
      throw invalid("malformed policy: " + e.getMessage());
    }
  }

  private static boolean isMethod(String method) {
    for (HttpMethod m : HttpMethod.values()) {
      if (m.name().equals(method)) {
        return true;
      }
    }
    return false;
  }

  private static Map<String, FilterRequirement> readFilter(String name, Object value)
      throws InvalidTokenException {
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof Map<?, ?> filter)) {
      throw invalid("policy " + name + " must be an object");
    }
    Map<String, FilterRequirement> requirements = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : filter.entrySet()) {
      if (!(e.getValue() instanceof Map<?, ?> requirement)
          || requirement.size() != 1
          || !(requirement.get("required") instanceof Boolean required)) {
        throw invalid("policy " + name + " entries must be {\"required\": true or false}");
      }
      requirements.put((String) e.getKey(), FilterRequirement.of(required));
    }
    return requirements;
  }

  private static InvalidTokenException invalid(String message) {
    return new InvalidTokenException(TokenError.INVALID, message);
  }

  /** Builds a {@link Policy}; the names and the default ({@code allowed}) are twilio-java's. */
  public static final class Builder {
    private String url;
    private HttpMethod method;
    private Map<String, FilterRequirement> queryFilter = Map.of();
    private Map<String, FilterRequirement> postFilter = Map.of();
    private boolean allowed = true;

    /** Starts an allowing policy with no filters. */
    public Builder() {}

    /** The resource URL. */
    public Builder url(String url) {
      this.url = url;
      return this;
    }

    /** The HTTP method. */
    public Builder method(HttpMethod method) {
      this.method = method;
      return this;
    }

    /** Query parameters that must or may be present. */
    public Builder queryFilter(Map<String, FilterRequirement> queryFilter) {
      this.queryFilter = queryFilter;
      return this;
    }

    /** Form parameters that must or may be present. */
    public Builder postFilter(Map<String, FilterRequirement> postFilter) {
      this.postFilter = postFilter;
      return this;
    }

    /** Whether matching requests are allowed; true by default. */
    public Builder allowed(boolean allowed) {
      this.allowed = allowed;
      return this;
    }

    /**
     * Builds the policy.
     *
     * @throws NullPointerException if the URL or method is missing
     * @throws IllegalArgumentException if a value is malformed
     */
    public Policy build() {
      return new Policy(url, method, allowed, queryFilter, postFilter);
    }
  }
}
