// Ed25519 keys for signing audit checkpoints (SPEC §7), over OpenSSL 3's EVP
// interface: pure Ed25519 as in RFC 8032 (no pre-hash, no context).
//
// `SigningKey` holds the server's private key, kept in a PKCS#8 PEM file that
// only its owner may read (like ssh's private keys). `VerifyingKey` holds a
// public key, as an auditor gets it (SubjectPublicKeyInfo PEM). A key id
// names a public key in checkpoints: lower-case hex of the first 8 bytes of
// SHA-256 over the 32 raw public-key bytes.
//
// Thread-safety: the key objects are immutable after creation; their const
// methods may be called concurrently (each call uses its own OpenSSL
// context). A moved-from key must not be used.
#ifndef TASKGATE_AUDIT_SIGNING_H_
#define TASKGATE_AUDIT_SIGNING_H_

#include <memory>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

namespace taskgate::audit {

// Size of an Ed25519 signature, of a raw public key and of a private seed.
inline constexpr size_t kSignatureSize = 64;
inline constexpr size_t kPublicKeySize = 32;
inline constexpr size_t kSeedSize = 32;

// The OpenSSL key with its derived public bytes and key id; defined in
// signing.cc so that OpenSSL's headers stay out of this one.
struct KeyState;

class VerifyingKey;

// An Ed25519 private key. Move-only.
class SigningKey final {
 public:
  // Returns a fresh random key. INTERNAL if OpenSSL fails.
  static absl::StatusOr<SigningKey> Generate();

  // Returns the key with the RFC 8032 32-byte private seed `seed32` (for
  // fixed test vectors). INVALID_ARGUMENT unless it is 32 bytes.
  static absl::StatusOr<SigningKey> FromRawPrivate(std::string_view seed32);

  // Reads an unencrypted PKCS#8 PEM private key ("-----BEGIN PRIVATE
  // KEY-----") from `path`. NOT_FOUND if the file does not exist;
  // FAILED_PRECONDITION, naming the `chmod` that fixes it, if group or others
  // have any permission on it (as ssh refuses such a key), or if it is not a
  // regular file; INVALID_ARGUMENT if it is not a PEM Ed25519 private key;
  // other codes (from errno) if it cannot be read.
  static absl::StatusOr<SigningKey> Load(const std::string& path);

  // Loads `path` as `Load` does; when it does not exist, generates a key and
  // writes it there (PKCS#8 PEM, mode 0600), creating missing parent
  // directories with mode 0700. The file is written and fsync'd under a
  // temporary name in the same directory, then linked into place without
  // overwriting: if another process created `path` meanwhile, that key is
  // loaded instead. Sets `*created` (when not null) to whether this call
  // wrote the file. Errors as for `Load`, or from errno when a directory or
  // the file cannot be created.
  static absl::StatusOr<SigningKey> LoadOrCreate(const std::string& path,
                                                 bool* created);

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  ~SigningKey();

  // Returns the 64-byte Ed25519 signature of `message`, or an empty string
  // if OpenSSL fails (only on allocation failure).
  std::string Sign(std::string_view message) const;

  // Returns the public key as SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC
  // KEY-----"), as `VerifyingKey::FromPem` reads it.
  std::string PublicKeyPem() const;

  // Returns the 32 raw public-key bytes (RFC 8032 encoding).
  std::string PublicKeyRaw() const;

  // Returns the 16 lower-case hex characters that name the public key.
  std::string KeyId() const;

  // Returns the matching public key.
  VerifyingKey verifying_key() const;

 private:
  explicit SigningKey(std::shared_ptr<const KeyState> state);

  std::shared_ptr<const KeyState> state_;
};

// An Ed25519 public key. Copyable (copies share the immutable key).
class VerifyingKey final {
 public:
  // Parses an Ed25519 SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC
  // KEY-----"). INVALID_ARGUMENT, saying what is wrong, for anything else
  // (garbage, a private key, an RSA or EC key).
  static absl::StatusOr<VerifyingKey> FromPem(std::string_view pem);

  // Reads `path` and parses it as `FromPem` does. NOT_FOUND if missing.
  static absl::StatusOr<VerifyingKey> LoadPem(const std::string& path);

  // Returns the key for the 32 raw public-key bytes. INVALID_ARGUMENT
  // unless they are 32 bytes and a valid Ed25519 point encoding.
  static absl::StatusOr<VerifyingKey> FromRaw(std::string_view raw32);

  // Returns true when `signature` is a valid Ed25519 signature of `message`
  // under this key; false otherwise, including for a signature that is not
  // 64 bytes.
  bool Verify(std::string_view message, std::string_view signature) const;

  std::string PublicKeyPem() const;
  std::string PublicKeyRaw() const;
  std::string KeyId() const;

 private:
  friend class SigningKey;
  explicit VerifyingKey(std::shared_ptr<const KeyState> state);

  std::shared_ptr<const KeyState> state_;
};

}  // namespace taskgate::audit

#endif  // TASKGATE_AUDIT_SIGNING_H_
