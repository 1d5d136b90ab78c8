// bench/identity: a device identity per second — key pair generated in memory, CSR from the
// profile's subject template, certificate from the local CA (which fsyncs its serial file and
// index before answering) — for ECDSA P-256 and RSA-3072 device keys, and the key generation alone.
// Run: build/release/bench/identity_bench (items_per_second = identities per second).
#include <benchmark/benchmark.h>

#include <unistd.h>
#include <filesystem>
#include <string>

#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "pki/local_ca.hpp"

namespace {

using namespace espfab;

// A fresh local CA in a temporary directory, removed afterwards.
class ScratchCa {
 public:
  ScratchCa()
      : dir_(std::filesystem::temp_directory_path() / ("espfab-identity-bench-" + std::to_string(::getpid()))),
        ca_((std::filesystem::remove_all(dir_), pki::LocalCa::init(dir_))) {}
  ~ScratchCa() { std::filesystem::remove_all(dir_); }
  ScratchCa(const ScratchCa&) = delete;
  ScratchCa& operator=(const ScratchCa&) = delete;
  pki::LocalCa& ca() { return ca_; }

 private:
  std::filesystem::path dir_;
  pki::LocalCa ca_;
};

void identity(benchmark::State& state, pki::KeyType type) {
  ScratchCa scratch;
  const pki::SubjectTemplate subject;
  std::uint64_t n = 0;
  for (auto _ : state) {
    const auto key = pki::generate_key(type);
    const auto csr = pki::make_csr(key.get(), subject, {"BENCH-" + std::to_string(++n), "7c:df:a1:00:00:01"});
    benchmark::DoNotOptimize(scratch.ca().sign(csr.get(), {}));
  }
  state.SetItemsProcessed(state.iterations());
}

void key_only(benchmark::State& state, pki::KeyType type) {
  for (auto _ : state) benchmark::DoNotOptimize(pki::generate_key(type));
  state.SetItemsProcessed(state.iterations());
}

void BM_IdentityP256(benchmark::State& state) { identity(state, pki::KeyType::EcP256); }
void BM_IdentityRsa3072(benchmark::State& state) { identity(state, pki::KeyType::Rsa3072); }
void BM_KeyOnlyP256(benchmark::State& state) { key_only(state, pki::KeyType::EcP256); }
void BM_KeyOnlyRsa3072(benchmark::State& state) { key_only(state, pki::KeyType::Rsa3072); }

BENCHMARK(BM_IdentityP256)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_IdentityRsa3072)->Unit(benchmark::kMillisecond)->MinTime(5.0);
BENCHMARK(BM_KeyOnlyP256)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_KeyOnlyRsa3072)->Unit(benchmark::kMillisecond)->MinTime(5.0);

}  // namespace
