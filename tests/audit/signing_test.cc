#include "audit/signing.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "tests/testing/status_matchers.h"

namespace taskgate::audit {
namespace {

using ::taskgate::testing::IsOk;
using ::taskgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// RFC 8032 §7.1, TEST 1.
constexpr std::string_view kRfcSeedHex =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kRfcPublicHex =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kRfcSignatureHex =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590"
    "a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
// First 8 bytes of SHA-256 of the public key above, computed with
// `sha256sum` outside this code.
constexpr std::string_view kRfcKeyId = "21fe31dfa154a261";
// `openssl pkey -pubout` of the same key.
constexpr std::string_view kRfcPublicPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n";

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(
        std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

// A fresh directory under the test temp dir, removed with its contents at
// scope exit.
class ScopedTempDir {
 public:
  ScopedTempDir() : path_(::testing::TempDir() + "signing_test_XXXXXX") {
    EXPECT_NE(mkdtemp(path_.data()), nullptr);
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, std::string_view contents,
               mode_t mode) {
  std::ofstream(path, std::ios::binary) << contents;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

// PEM of an OpenSSL key of another type, made here independently of the
// code under test.
std::string OtherKeyPem(const char* type, bool public_only) {
  EVP_PKEY* pkey =
      type == std::string_view("RSA")
          ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024})
          : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  EXPECT_NE(pkey, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  if (public_only) {
    PEM_write_bio_PUBKEY(bio, pkey);
  } else {
    PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  return pem;
}

TEST(SigningKey, MatchesRfc8032TestVectorOne) {
  ASSERT_OK_AND_ASSIGN(SigningKey key,
                       SigningKey::FromRawPrivate(FromHex(kRfcSeedHex)));
  EXPECT_EQ(ToHex(key.PublicKeyRaw()), kRfcPublicHex);
  EXPECT_EQ(ToHex(key.Sign("")), kRfcSignatureHex);
  EXPECT_EQ(key.KeyId(), kRfcKeyId);
  EXPECT_EQ(key.PublicKeyPem(), kRfcPublicPem);
  ASSERT_OK_AND_ASSIGN(VerifyingKey pub, VerifyingKey::FromPem(kRfcPublicPem));
  EXPECT_TRUE(pub.Verify("", FromHex(kRfcSignatureHex)));
  EXPECT_EQ(pub.KeyId(), kRfcKeyId);
}

TEST(SigningKey, KeyIdIsSha256PrefixOfRawPublicKey) {
  ASSERT_OK_AND_ASSIGN(SigningKey key, SigningKey::Generate());
  std::string raw = key.PublicKeyRaw();
  ASSERT_EQ(raw.size(), 32u);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
         digest);
  EXPECT_EQ(key.KeyId(),
            ToHex(std::string_view(reinterpret_cast<char*>(digest), 8)));
}

TEST(SigningKey, FromRawPrivateRejectsWrongSeedLength) {
  EXPECT_THAT(SigningKey::FromRawPrivate(std::string(31, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("32")));
}

TEST(SigningKey, SignVerifyRoundTrip) {
  ASSERT_OK_AND_ASSIGN(SigningKey key, SigningKey::Generate());
  std::string sig = key.Sign("tree 7");
  EXPECT_EQ(sig.size(), 64u);
  VerifyingKey pub = key.verifying_key();
  EXPECT_EQ(pub.KeyId(), key.KeyId());
  EXPECT_EQ(pub.PublicKeyRaw(), key.PublicKeyRaw());
  EXPECT_TRUE(pub.Verify("tree 7", sig));
  EXPECT_FALSE(pub.Verify("tree 8", sig));
}

TEST(VerifyingKey, RejectsEveryFlippedSignatureBit) {
  ASSERT_OK_AND_ASSIGN(SigningKey key, SigningKey::Generate());
  VerifyingKey pub = key.verifying_key();
  const std::string sig = key.Sign("message");
  ASSERT_TRUE(pub.Verify("message", sig));
  for (size_t bit = 0; bit < sig.size() * 8; ++bit) {
    std::string bad = sig;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(pub.Verify("message", bad)) << "bit " << bit;
  }
}

TEST(VerifyingKey, RejectsSignaturesOfWrongLength) {
  ASSERT_OK_AND_ASSIGN(SigningKey key, SigningKey::Generate());
  VerifyingKey pub = key.verifying_key();
  std::string sig = key.Sign("m");
  EXPECT_FALSE(pub.Verify("m", ""));
  EXPECT_FALSE(pub.Verify("m", sig.substr(0, 63)));
  EXPECT_FALSE(pub.Verify("m", sig + '\0'));
}

TEST(VerifyingKey, RejectsSignatureFromAnotherKey) {
  ASSERT_OK_AND_ASSIGN(SigningKey a, SigningKey::Generate());
  ASSERT_OK_AND_ASSIGN(SigningKey b, SigningKey::Generate());
  ASSERT_NE(a.KeyId(), b.KeyId());
  EXPECT_FALSE(b.verifying_key().Verify("m", a.Sign("m")));
}

TEST(VerifyingKey, PemRoundTrip) {
  ASSERT_OK_AND_ASSIGN(SigningKey key, SigningKey::Generate());
  std::string pem = key.PublicKeyPem();
  EXPECT_THAT(pem, StartsWith("-----BEGIN PUBLIC KEY-----\n"));
  ASSERT_OK_AND_ASSIGN(VerifyingKey pub, VerifyingKey::FromPem(pem));
  EXPECT_EQ(pub.PublicKeyPem(), pem);
  EXPECT_EQ(pub.KeyId(), key.KeyId());
  EXPECT_TRUE(pub.Verify("x", key.Sign("x")));
}

TEST(VerifyingKey, FromPemRejectsGarbage) {
  EXPECT_THAT(VerifyingKey::FromPem(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(VerifyingKey::FromPem("hello"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a PEM public key")));
  EXPECT_THAT(VerifyingKey::FromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n"
                                    "-----END PUBLIC KEY-----\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a PEM public key")));
}

TEST(VerifyingKey, FromPemRejectsRsaAndEcKeys) {
  EXPECT_THAT(VerifyingKey::FromPem(OtherKeyPem("RSA", true)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is an RSA key, not Ed25519")));
  EXPECT_THAT(VerifyingKey::FromPem(OtherKeyPem("EC", true)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is an EC key, not Ed25519")));
}

TEST(VerifyingKey, FromPemRejectsPrivateKey) {
  ScopedTempDir tmp;
  const std::string& dir = tmp.path();
  ASSERT_THAT(SigningKey::LoadOrCreate(dir + "/key.pem", nullptr), IsOk());
  EXPECT_THAT(VerifyingKey::FromPem(ReadFile(dir + "/key.pem")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("private key where a public key")));
}

TEST(VerifyingKey, FromRawRejectsWrongLength) {
  EXPECT_THAT(VerifyingKey::FromRaw(std::string(33, '\0')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("32")));
}

TEST(VerifyingKey, LoadPemReadsFileAndReportsMissingFile) {
  ScopedTempDir tmp;
  const std::string& dir = tmp.path();
  WriteFile(dir + "/pub.pem", kRfcPublicPem, 0644);
  ASSERT_OK_AND_ASSIGN(VerifyingKey pub,
                       VerifyingKey::LoadPem(dir + "/pub.pem"));
  EXPECT_EQ(pub.KeyId(), kRfcKeyId);
  EXPECT_THAT(VerifyingKey::LoadPem(dir + "/missing.pem"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.pem")));
  WriteFile(dir + "/junk.pem", "junk", 0644);
  EXPECT_THAT(
      VerifyingKey::LoadPem(dir + "/junk.pem"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("junk.pem")));
}

TEST(SigningKeyFile, LoadOrCreateWritesPrivateFileAndReloadsSameKey) {
  ScopedTempDir tmp;
  const std::string& dir = tmp.path();
  std::string path = dir + "/keys/server/checkpoint.pem";
  bool created = false;
  ASSERT_OK_AND_ASSIGN(SigningKey key,
                       SigningKey::LoadOrCreate(path, &created));
  EXPECT_TRUE(created);
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ModeOf(dir + "/keys"), 0700u);
  EXPECT_EQ(ModeOf(dir + "/keys/server"), 0700u);
  EXPECT_THAT(ReadFile(path), StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  // No temporary file is left behind.
  EXPECT_THAT(DirEntries(dir + "/keys/server"), ElementsAre("checkpoint.pem"));

  ASSERT_OK_AND_ASSIGN(SigningKey again,
                       SigningKey::LoadOrCreate(path, &created));
  EXPECT_FALSE(created);
  EXPECT_EQ(again.PublicKeyRaw(), key.PublicKeyRaw());
  EXPECT_EQ(again.KeyId(), key.KeyId());

  ASSERT_OK_AND_ASSIGN(SigningKey loaded, SigningKey::Load(path));
  EXPECT_EQ(loaded.PublicKeyRaw(), key.PublicKeyRaw());
  EXPECT_EQ(loaded.KeyId(), key.KeyId());
  EXPECT_TRUE(key.verifying_key().Verify("m", loaded.Sign("m")));
}

TEST(SigningKeyFile, LoadRefusesKeyReadableByOthers) {
  ScopedTempDir tmp;
  const std::string& dir = tmp.path();
  std::string path = dir + "/key.pem";
  ASSERT_THAT(SigningKey::LoadOrCreate(path, nullptr), IsOk());
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  EXPECT_THAT(SigningKey::Load(path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("has mode 0644")));
  EXPECT_THAT(SigningKey::Load(path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("run `chmod 600 " + path + "`")));
  // LoadOrCreate refuses it too rather than replacing it.
  bool created = true;
  EXPECT_THAT(SigningKey::LoadOrCreate(path, &created),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(created);
  ASSERT_EQ(chmod(path.c_str(), 0620), 0);
  EXPECT_THAT(SigningKey::Load(path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("has mode 0620")));
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  EXPECT_THAT(SigningKey::Load(path), IsOk());
}

TEST(SigningKeyFile, LoadReportsMissingFileAsNotFound) {
  ScopedTempDir tmp;
  const std::string& dir = tmp.path();
  EXPECT_THAT(SigningKey::Load(dir + "/none.pem"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("none.pem")));
}

TEST(SigningKeyFile, LoadRejectsNonEd25519Key) {
  ScopedTempDir tmp;
  const std::string& dir = tmp.path();
  WriteFile(dir + "/ec.pem", OtherKeyPem("EC", false), 0600);
  EXPECT_THAT(SigningKey::Load(dir + "/ec.pem"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is an EC key, not Ed25519")));
  WriteFile(dir + "/junk.pem", "not a key", 0600);
  EXPECT_THAT(SigningKey::Load(dir + "/junk.pem"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a PEM private key")));
  WriteFile(dir + "/pub.pem", kRfcPublicPem, 0600);
  EXPECT_THAT(SigningKey::Load(dir + "/pub.pem"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a PEM private key")));
}

TEST(SigningKeyFile, LoadReadsKeyMadeByOpensslGenpkeyFormat) {
  // PKCS#8 of the RFC 8032 TEST 1 key, as `openssl genpkey -algorithm
  // ed25519` writes it.
  ScopedTempDir tmp;
  const std::string& dir = tmp.path();
  WriteFile(dir + "/rfc.pem",
            "-----BEGIN PRIVATE KEY-----\n"
            "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
            "-----END PRIVATE KEY-----\n",
            0600);
  ASSERT_OK_AND_ASSIGN(SigningKey key, SigningKey::Load(dir + "/rfc.pem"));
  EXPECT_EQ(key.KeyId(), kRfcKeyId);
}

TEST(SigningKey, ConstMethodsAreSafeAcrossThreads) {
  ASSERT_OK_AND_ASSIGN(SigningKey key, SigningKey::Generate());
  VerifyingKey pub = key.verifying_key();
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string m = std::to_string(t * 1000 + i);
        if (!pub.Verify(m, key.Sign(m))) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_THAT(failures, ElementsAre(0, 0, 0, 0));
}

}  // namespace
}  // namespace taskgate::audit
