package io.callsign.server.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.Configuration;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encryption at rest for secrets that the server must read back in clear (auth tokens and key
 * secrets are HMAC keys, so they cannot be hashed). Tink AEAD, AES-256-GCM. The associated data is
 * the SID of the row that holds the secret, so a ciphertext copied into another row does not
 * decrypt.
 */
public final class SecretBox {
  /** The file, inside the data directory, holding the generated keyset. */
  public static final String KEYSET_FILE = "master-keyset.json";

  private static final Logger LOG = LoggerFactory.getLogger(SecretBox.class);

  // Tink's registry with the AEAD key types (AES-GCM among them) registered.
  private static final Configuration CONFIG = config();

  private final Aead aead;

  private SecretBox(Aead aead) {
    this.aead = aead;
  }

  /**
   * The box for this server: from {@code keysetJson} when given (the {@code CALLSIGN_MASTER_KEYSET}
   * environment variable), else from {@code DATA/master-keyset.json}, which is generated with mode
   * 0600 on first start.
   */
  public static SecretBox open(String keysetJson, Path dataDir) throws IOException {
    try {
      if (keysetJson != null) {
        LOG.info("Master keyset read from CALLSIGN_MASTER_KEYSET");
        return fromJson(keysetJson, "CALLSIGN_MASTER_KEYSET");
      }
      Path file = dataDir.resolve(KEYSET_FILE);
      if (Files.exists(file)) {
        return fromJson(Files.readString(file, StandardCharsets.UTF_8), file.toString());
      }
      KeysetHandle handle = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM, CONFIG);
      SecretFiles.writeOwnerOnly(
          file,
          TinkJsonProtoKeysetFormat.serializeKeyset(handle, CONFIG, InsecureSecretKeyAccess.get()));
      LOG.info(
          "Generated a new master keyset in {} (keep it with the database: without it the"
              + " stored secrets cannot be read)",
          file);
      return new SecretBox(handle.getPrimitive(CONFIG, Aead.class));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot initialise the master keyset: " + e.getMessage(), e);
    }
  }

  /**
   * The box of an existing installation, for tools that must not make a keyset of their own: from
   * {@code keysetJson} when given, else from {@code DATA/master-keyset.json}.
   *
   * @throws IllegalStateException when there is neither
   */
  public static SecretBox openExisting(String keysetJson, Path dataDir) throws IOException {
    if (keysetJson == null && !Files.exists(dataDir.resolve(KEYSET_FILE))) {
      throw new IllegalStateException(
          "no master keyset: set CALLSIGN_MASTER_KEYSET as for serve, or give serve's --data"
              + " directory");
    }
    return open(keysetJson, dataDir);
  }

  private static Configuration config() {
    try {
      AeadConfig.register();
      return RegistryConfiguration.get();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static SecretBox fromJson(String json, String source) throws GeneralSecurityException {
    KeysetHandle handle;
    try {
      handle = TinkJsonProtoKeysetFormat.parseKeyset(json, CONFIG, InsecureSecretKeyAccess.get());
    } catch (GeneralSecurityException | RuntimeException e) {
      // Never echo the JSON: it is the key.
      throw new IllegalStateException(
          "the master keyset in " + source + " is not a Tink JSON keyset");
    }
    return new SecretBox(handle.getPrimitive(CONFIG, Aead.class));
  }

  /** Encrypts {@code plaintext}, bound to {@code sid}. */
  public byte[] encrypt(String plaintext, String sid) {
    try {
      return aead.encrypt(plaintext.getBytes(StandardCharsets.UTF_8), ad(sid));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("encryption failed", e);
    }
  }

  /**
   * Decrypts what {@link #encrypt} produced for the same {@code sid}.
   *
   * @throws IllegalStateException if the ciphertext was not made by this keyset for this SID
   */
  public String decrypt(byte[] ciphertext, String sid) {
    try {
      return new String(aead.decrypt(ciphertext, ad(sid)), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(
          "cannot decrypt the secret of "
              + sid
              + ": the master keyset is not the one the database was written with");
    }
  }

  private static byte[] ad(String sid) {
    return sid.getBytes(StandardCharsets.US_ASCII);
  }
}
