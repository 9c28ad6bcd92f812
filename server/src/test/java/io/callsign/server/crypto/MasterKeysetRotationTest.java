package io.callsign.server.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Configuration;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The master-keyset rotation that docs/operations.md describes, done with Tink's own keyset
 * operations (Callsign has no command for it): a keyset with a new key added opens everything the
 * old one sealed; nodes write with whichever key is primary; so the new key is first added
 * everywhere, then made primary everywhere, and the old key is never removed while rows sealed with
 * it remain.
 */
class MasterKeysetRotationTest {
  private static final String SID = "SK" + "0".repeat(32);

  @TempDir Path dir;

  private static Configuration config() throws Exception {
    AeadConfig.register();
    return RegistryConfiguration.get();
  }

  private String original() throws Exception {
    SecretBox.open(null, dir);
    return Files.readString(dir.resolve(SecretBox.KEYSET_FILE));
  }

  private static KeysetHandle parse(String json) throws Exception {
    return TinkJsonProtoKeysetFormat.parseKeyset(json, config(), InsecureSecretKeyAccess.get());
  }

  private static String json(KeysetHandle handle) throws Exception {
    return TinkJsonProtoKeysetFormat.serializeKeyset(
        handle, config(), InsecureSecretKeyAccess.get());
  }

  /** {@code json} with a new AES-256-GCM key, primary or not. */
  private static String withNewKey(String json, boolean primary) throws Exception {
    KeysetHandle.Builder.Entry entry =
        KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM)
            .withRandomId();
    if (primary) {
      entry.makePrimary();
    }
    return json(KeysetHandle.newBuilder(parse(json)).addEntry(entry).build());
  }

  /** {@code json} with its primary key moved to the key that is not primary now. */
  private static String promoteOther(String json) throws Exception {
    KeysetHandle handle = parse(json);
    KeysetHandle.Builder b = KeysetHandle.newBuilder(handle);
    for (int i = 0; i < handle.size(); i++) {
      if (!handle.getAt(i).isPrimary()) {
        b.getAt(i).makePrimary();
      }
    }
    return json(b.build());
  }

  private SecretBox box(String json) throws Exception {
    return SecretBox.open(json, dir);
  }

  @Test
  void aKeyAddedButNotPrimaryChangesNothingForNodesThatLackIt() throws Exception {
    String old = original();
    String added = withNewKey(old, false);

    byte[] written = box(added).encrypt("secret", SID);
    assertThat(box(old).decrypt(written, SID)).isEqualTo("secret");
    assertThat(box(added).decrypt(box(old).encrypt("secret", SID), SID)).isEqualTo("secret");
  }

  @Test
  void theNewKeyMadePrimaryOpensWhatTheOldSealedButNodesWithoutItCannotReadItsWrites()
      throws Exception {
    String old = original();
    byte[] before = box(old).encrypt("secret", SID);
    String rotated = promoteOther(withNewKey(old, false));

    assertThat(box(rotated).decrypt(before, SID)).isEqualTo("secret");
    byte[] after = box(rotated).encrypt("secret", SID);
    // Why the new key is added everywhere before it is made primary anywhere.
    assertThatThrownBy(() -> box(old).decrypt(after, SID))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("master keyset");
  }

  @Test
  void droppingTheOldKeyLosesEverySecretItSealed() throws Exception {
    String old = original();
    byte[] before = box(old).encrypt("secret", SID);
    String onlyNew = json(KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM, config()));

    assertThatThrownBy(() -> box(onlyNew).decrypt(before, SID))
        .isInstanceOf(IllegalStateException.class);
  }
}
