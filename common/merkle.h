// RFC 6962 (Certificate Transparency) Merkle tree hashing over SHA-256.
//
//   leaf hash  = SHA-256(0x00 || leaf bytes)
//   node hash  = SHA-256(0x01 || left || right)
//   MTH({})    = SHA-256("")
//   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
//
// TaskGate's audit log is such a tree: each audit event's canonical encoding
// is one leaf. Pure functions over OpenSSL's EVP digest; thread-safe.
#ifndef TASKGATE_COMMON_MERKLE_H_
#define TASKGATE_COMMON_MERKLE_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace taskgate::merkle {

using Hash = std::array<uint8_t, 32>;

// Returns SHA-256 of `data`.
Hash Sha256(std::string_view data);

// Returns the RFC 6962 leaf hash of `leaf`.
Hash LeafHash(std::string_view leaf);

// Returns the RFC 6962 interior node hash of two children.
Hash NodeHash(const Hash& left, const Hash& right);

// Returns the Merkle tree hash (root) over `leaf_hashes`, in order; for an
// empty span, SHA-256 of the empty string. Linear time, O(log n) memory.
Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes);

// Lower-case hex of `hash`.
std::string ToHex(const Hash& hash);

}  // namespace taskgate::merkle

#endif  // TASKGATE_COMMON_MERKLE_H_
