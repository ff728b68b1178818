#include "audit/signing.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "audit/merkle.h"
#include "common/status_macros.h"

namespace taskgate::audit {

struct KeyState {
  struct PkeyFree {
    void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
  };
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey;
  std::string raw_public;  // 32 bytes
  std::string key_id;      // 16 hex characters
};

namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using UniqueBio = std::unique_ptr<BIO, BioFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using UniqueMdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// A key file is tiny; the cap keeps a wrong path (a log, a device) from
// being read whole into memory.
constexpr size_t kMaxKeyFileSize = 64 * 1024;

// Closes a file descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  // Closes now and reports close's result (for written files, where a
  // failed close can mean lost data).
  int Close() {
    int fd = fd_;
    fd_ = -1;
    return close(fd);
  }

 private:
  int fd_;
};

// Wipes a string holding private key material before it is freed.
class Cleanser {
 public:
  explicit Cleanser(std::string& s) : s_(s) {}
  ~Cleanser() { OPENSSL_cleanse(s_.data(), s_.size()); }
  Cleanser(const Cleanser&) = delete;
  Cleanser& operator=(const Cleanser&) = delete;

 private:
  std::string& s_;
};

absl::Status ErrnoError(int error_number, std::string_view what,
                        const std::string& path) {
  return absl::ErrnoToStatus(error_number,
                             absl::StrCat(std::string(what), " ", path));
}

// Reads `path` (at most kMaxKeyFileSize bytes) and fills `*st` from the open
// file, so that the mode checked is that of the file actually read.
absl::StatusOr<std::string> ReadKeyFile(const std::string& path,
                                        struct stat* st) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot open key file", path);
  FdCloser closer(fd);
  if (fstat(fd, st) != 0) return ErrnoError(errno, "cannot stat", path);
  if (!S_ISREG(st->st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("key file ", path, " is not a regular file"));
  }
  if (static_cast<uint64_t>(st->st_size) > kMaxKeyFileSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", path, " is ", st->st_size,
                     " bytes, too large for a PEM key; check the path"));
  }
  std::string contents;
  std::array<char, 4096> buf;
  while (true) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      OPENSSL_cleanse(contents.data(), contents.size());
      return ErrnoError(saved, "cannot read", path);
    }
    if (n == 0) break;
    contents.append(buf.data(), static_cast<size_t>(n));
    if (contents.size() > kMaxKeyFileSize) {
      OPENSSL_cleanse(contents.data(), contents.size());
      return absl::InvalidArgumentError(absl::StrCat(
          "key file ", path, " is too large for a PEM key; check the path"));
    }
  }
  OPENSSL_cleanse(buf.data(), buf.size());
  return contents;
}

// Returns the key's state with the derived public bytes and key id; takes
// ownership of `pkey`, which must be an Ed25519 key.
absl::StatusOr<std::shared_ptr<const KeyState>> MakeState(EVP_PKEY* pkey) {
  auto state = std::make_shared<KeyState>();
  state->pkey.reset(pkey);
  std::array<unsigned char, kPublicKeySize> raw{};
  size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(pkey, raw.data(), &len) != 1 ||
      len != raw.size()) {
    ERR_clear_error();
    return absl::InternalError("cannot extract the ed25519 public key");
  }
  state->raw_public.assign(reinterpret_cast<const char*>(raw.data()), len);
  state->key_id = audit::ToHex(audit::Sha256(state->raw_public)).substr(0, 16);
  return state;
}

// Returns why `pkey` is not an Ed25519 key, or OK.
absl::Status CheckEd25519(EVP_PKEY* pkey, std::string_view what) {
  if (EVP_PKEY_get_id(pkey) == EVP_PKEY_ED25519) return absl::OkStatus();
  const char* name = EVP_PKEY_get0_type_name(pkey);
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(what), " is an ",
                   name != nullptr ? name : "unknown", " key, not Ed25519"));
}

std::string PemOfPublicKey(EVP_PKEY* pkey) {
  UniqueBio bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), pkey) != 1) {
    ERR_clear_error();
    return "";
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// Passphrase callback that refuses: an encrypted key must fail to load
// rather than make OpenSSL prompt on the server's terminal.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

absl::StatusOr<std::shared_ptr<const KeyState>> ParsePrivatePem(
    std::string_view pem, const std::string& path) {
  UniqueBio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::InternalError("out of memory");
  EVP_PKEY* pkey =
      PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr);
  ERR_clear_error();
  if (pkey == nullptr) {
    if (pem.find("ENCRYPTED PRIVATE KEY") != std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key file ", path,
          " is encrypted; store the key unencrypted with mode 0600"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "key file ", path,
        " is not a PEM private key (expected PKCS#8 \"-----BEGIN PRIVATE "
        "KEY-----\", as from `openssl genpkey -algorithm ed25519`)"));
  }
  if (absl::Status s = CheckEd25519(pkey, absl::StrCat("key file ", path));
      !s.ok()) {
    EVP_PKEY_free(pkey);
    return s;
  }
  return MakeState(pkey);
}

// Creates the missing directories of `dir` with mode 0700; existing ones are
// left as they are.
absl::Status MakeDirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "cannot create directory", prefix);
    }
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Makes a rename or link in `dir` durable.
absl::Status SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot open directory", dir);
  FdCloser closer(fd);
  if (fsync(fd) != 0) return ErrnoError(errno, "cannot fsync directory", dir);
  return absl::OkStatus();
}

// Writes `contents` to a new file `tmp` with mode 0600 and fsyncs it.
absl::Status WriteNewPrivateFile(const std::string& tmp,
                                 std::string_view contents) {
  int fd = open(tmp.c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ErrnoError(errno, "cannot create", tmp);
  FdCloser closer(fd);
  // The umask can only clear bits of 0600; fchmod makes the mode exact.
  if (fchmod(fd, 0600) != 0) return ErrnoError(errno, "cannot chmod", tmp);
  TASKGATE_RETURN_IF_ERROR(WriteAll(fd, contents, tmp));
  if (fsync(fd) != 0) return ErrnoError(errno, "cannot fsync", tmp);
  if (closer.Close() != 0) return ErrnoError(errno, "cannot close", tmp);
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------- SigningKey

SigningKey::SigningKey(std::shared_ptr<const KeyState> state)
    : state_(std::move(state)) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

absl::StatusOr<SigningKey> SigningKey::Generate() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (pkey == nullptr) {
    ERR_clear_error();
    return absl::InternalError("cannot generate an ed25519 key");
  }
  TASKGATE_ASSIGN_OR_RETURN(auto state, MakeState(pkey));
  return SigningKey(std::move(state));
}

absl::StatusOr<SigningKey> SigningKey::FromRawPrivate(std::string_view seed32) {
  if (seed32.size() != kSeedSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ed25519 private seed must be 32 bytes, got ", seed32.size()));
  }
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(seed32.data()), seed32.size());
  if (pkey == nullptr) {
    ERR_clear_error();
    return absl::InternalError("cannot make an ed25519 key from the seed");
  }
  TASKGATE_ASSIGN_OR_RETURN(auto state, MakeState(pkey));
  return SigningKey(std::move(state));
}

absl::StatusOr<SigningKey> SigningKey::Load(const std::string& path) {
  struct stat st {};
  TASKGATE_ASSIGN_OR_RETURN(std::string pem, ReadKeyFile(path, &st));
  Cleanser cleanser(pem);
  // As ssh does for private keys: any access by group or others (0077,
  // which includes execute) means the key may already have leaked.
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "signing key file %s has mode %04o, which lets group or others "
        "access it; run `chmod 600 %s` (and consider the key leaked if "
        "others could read it)",
        path, st.st_mode & 07777, path));
  }
  TASKGATE_ASSIGN_OR_RETURN(auto state, ParsePrivatePem(pem, path));
  return SigningKey(std::move(state));
}

absl::StatusOr<SigningKey> SigningKey::LoadOrCreate(const std::string& path,
                                                    bool* created) {
  if (created != nullptr) *created = false;
  absl::StatusOr<SigningKey> existing = Load(path);
  if (existing.ok() || !absl::IsNotFound(existing.status())) return existing;

  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : path.substr(0, slash);
  TASKGATE_RETURN_IF_ERROR(MakeDirs(dir));

  TASKGATE_ASSIGN_OR_RETURN(SigningKey key, Generate());
  UniqueBio bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key.state_->pkey.get(), nullptr,
                               nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return absl::InternalError("cannot encode the new signing key as PEM");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  Cleanser cleanser(pem);
  OPENSSL_cleanse(data, static_cast<size_t>(len));

  uint64_t nonce = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&nonce), sizeof(nonce)) !=
      1) {
    ERR_clear_error();
    return absl::InternalError("cannot draw random bytes");
  }
  std::string tmp = absl::StrFormat("%s.tmp-%d-%016x", path, getpid(), nonce);
  if (absl::Status s = WriteNewPrivateFile(tmp, pem); !s.ok()) {
    unlink(tmp.c_str());
    return s;
  }
  // link() puts the complete file in place atomically like rename(), but
  // fails instead of replacing a key another process created meanwhile:
  // two servers starting together then end up with the same key.
  bool placed = link(tmp.c_str(), path.c_str()) == 0;
  int link_errno = errno;
  if (!placed && (link_errno == EPERM || link_errno == EOPNOTSUPP ||
                  link_errno == ENOSYS)) {
    // A file system without hard links: fall back to rename.
    if (rename(tmp.c_str(), path.c_str()) != 0) {
      int saved = errno;
      unlink(tmp.c_str());
      return ErrnoError(saved, "cannot rename the new key file into", path);
    }
    placed = true;
  } else {
    unlink(tmp.c_str());
  }
  if (!placed) {
    if (link_errno == EEXIST) return Load(path);
    return ErrnoError(link_errno, "cannot put the new key file at", path);
  }
  TASKGATE_RETURN_IF_ERROR(SyncDir(dir));
  if (created != nullptr) *created = true;
  return key;
}

std::string SigningKey::Sign(std::string_view message) const {
  UniqueMdCtx ctx(EVP_MD_CTX_new());
  std::string sig(kSignatureSize, '\0');
  size_t len = sig.size();
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr,
                         state_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()),
                     &len,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      len != kSignatureSize) {
    ERR_clear_error();
    return "";
  }
  return sig;
}

std::string SigningKey::PublicKeyPem() const {
  return PemOfPublicKey(state_->pkey.get());
}

std::string SigningKey::PublicKeyRaw() const { return state_->raw_public; }

std::string SigningKey::KeyId() const { return state_->key_id; }

VerifyingKey SigningKey::verifying_key() const {
  // Built from the public bytes alone so that the verifying key never holds
  // private material; these bytes came from a valid key, so this succeeds.
  absl::StatusOr<VerifyingKey> key = VerifyingKey::FromRaw(state_->raw_public);
  return *std::move(key);
}

// -------------------------------------------------------------- VerifyingKey

VerifyingKey::VerifyingKey(std::shared_ptr<const KeyState> state)
    : state_(std::move(state)) {}

absl::StatusOr<VerifyingKey> VerifyingKey::FromPem(std::string_view pem) {
  if (pem.empty()) return absl::InvalidArgumentError("public key PEM is empty");
  UniqueBio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::InternalError("out of memory");
  EVP_PKEY* pkey =
      PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr);
  ERR_clear_error();
  if (pkey == nullptr) {
    if (pem.find("PRIVATE KEY") != std::string_view::npos) {
      return absl::InvalidArgumentError(
          "got a private key where a public key was expected; give the "
          "public key (`openssl pkey -pubout`)");
    }
    return absl::InvalidArgumentError(
        "not a PEM public key (expected SubjectPublicKeyInfo \"-----BEGIN "
        "PUBLIC KEY-----\")");
  }
  if (absl::Status s = CheckEd25519(pkey, "public key"); !s.ok()) {
    EVP_PKEY_free(pkey);
    return s;
  }
  TASKGATE_ASSIGN_OR_RETURN(auto state, MakeState(pkey));
  return VerifyingKey(std::move(state));
}

absl::StatusOr<VerifyingKey> VerifyingKey::LoadPem(const std::string& path) {
  struct stat st {};
  TASKGATE_ASSIGN_OR_RETURN(std::string pem, ReadKeyFile(path, &st));
  absl::StatusOr<VerifyingKey> key = FromPem(pem);
  if (!key.ok()) {
    return absl::Status(
        key.status().code(),
        absl::StrCat("public key file ", path, ": ", key.status().message()));
  }
  return key;
}

absl::StatusOr<VerifyingKey> VerifyingKey::FromRaw(std::string_view raw32) {
  if (raw32.size() != kPublicKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ed25519 public key must be 32 bytes, got ", raw32.size()));
  }
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(raw32.data()), raw32.size());
  if (pkey == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("not a valid ed25519 public key");
  }
  TASKGATE_ASSIGN_OR_RETURN(auto state, MakeState(pkey));
  return VerifyingKey(std::move(state));
}

bool VerifyingKey::Verify(std::string_view message,
                          std::string_view signature) const {
  if (signature.size() != kSignatureSize) return false;
  UniqueMdCtx ctx(EVP_MD_CTX_new());
  bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr,
                           state_->pkey.get()) == 1 &&
      EVP_DigestVerify(ctx.get(),
                       reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::string VerifyingKey::PublicKeyPem() const {
  return PemOfPublicKey(state_->pkey.get());
}

std::string VerifyingKey::PublicKeyRaw() const { return state_->raw_public; }

std::string VerifyingKey::KeyId() const { return state_->key_id; }

}  // namespace taskgate::audit
