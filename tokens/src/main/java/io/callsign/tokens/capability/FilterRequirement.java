package io.callsign.tokens.capability;

/**
 * Whether a request parameter named in a {@link Policy} filter must be present; written as {@code
 * {"required":true}} or {@code {"required":false}}, as twilio-java's enum of the same name is.
 */
public enum FilterRequirement {
  /** The parameter must be present. */
  REQUIRED(true),
  /** The parameter may be present. */
  OPTIONAL(false);

  private final boolean required;

  FilterRequirement(boolean required) {
    this.required = required;
  }

  /** Whether the parameter is required: the {@code required} member. */
  public boolean value() {
    return required;
  }

  /** The requirement whose {@code required} member is {@code required}. */
  public static FilterRequirement of(boolean required) {
    return required ? REQUIRED : OPTIONAL;
  }
}
