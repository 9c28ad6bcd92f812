package io.callsign.server.accesstokens;

import com.fasterxml.jackson.databind.JsonNode;
import io.callsign.server.http.ApiException;
import io.callsign.tokens.AccessToken;
import io.callsign.tokens.Grant;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.Sids;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What to mint: checked, but not yet authorized (which key may sign is the service's decision).
 *
 * @param identity the user the token is for, never empty
 * @param ttl the lifetime in seconds, 1 to 86 400
 * @param nbf the time before which the token is not valid, or {@code null}
 * @param region the {@code twr} header, or {@code null}
 * @param keySid the key to sign with, or {@code null} for the authenticating key
 * @param grants the grants, in the order given
 * @param params the request, to name parameters in errors as the caller spelled them
 */
record MintRequest(
    String identity,
    int ttl,
    Instant nbf,
    String region,
    KeySid keySid,
    List<Grant> grants,
    Params params) {
  /** The parameters a mint request may carry. */
  static final Set<Param> PARAMS =
      EnumSet.of(Param.IDENTITY, Param.TTL, Param.NBF, Param.REGION, Param.KEY_SID, Param.GRANTS);

  /**
   * Latest {@code nbf} accepted: 9999-12-31, far beyond any real use, within JSON's exact range.
   */
  private static final long MAX_EPOCH_SECOND = 253_402_300_799L;

  private static final Pattern REGION = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");

  /** Checks that nothing required is missing. */
  MintRequest {
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(params, "params");
    grants = List.copyOf(grants);
  }

  /**
   * Reads and checks a request.
   *
   * @throws ApiException 400/20001 naming the first parameter that is missing or wrong
   */
  static MintRequest from(Params p) {
    String identity = p.text(Param.IDENTITY);
    if (identity == null || identity.isEmpty()) {
      throw p.invalid(Param.IDENTITY, "required: the user the token is for");
    }
    Long ttl =
        p.integer(
            Param.TTL,
            1,
            AccessToken.MAX_TTL_SECONDS,
            "seconds from 1 to " + AccessToken.MAX_TTL_SECONDS);
    Long nbf = p.integer(Param.NBF, 0, MAX_EPOCH_SECOND, "seconds since the epoch");
    String region = p.text(Param.REGION);
    if (region != null && region.isEmpty()) {
      region = null;
    }
    if (region != null && !REGION.matcher(region).matches()) {
      throw p.invalid(Param.REGION, "must be a region name such as ie1");
    }
    String keySid = p.text(Param.KEY_SID);
    if (keySid != null && !Sids.isValid(KeySid.PREFIX, keySid)) {
      throw p.invalid(Param.KEY_SID, "must be an API key SID, SK followed by 32 hex digits");
    }
    JsonNode grants = p.object(Param.GRANTS);
    return new MintRequest(
        identity,
        ttl == null ? AccessToken.DEFAULT_TTL_SECONDS : Math.toIntExact(ttl),
        nbf == null ? null : Instant.ofEpochSecond(nbf),
        region,
        keySid == null ? null : KeySid.of(keySid),
        grants == null ? List.of() : GrantsReader.read(grants, p),
        p);
  }
}
