// Throughput of the digests every flash write and image check runs over whole images.
#include <benchmark/benchmark.h>

#include "util/crypto.hpp"

namespace {

void BM_Sha256(benchmark::State& state) {
  const espfab::Bytes data(static_cast<std::size_t>(state.range(0)), 0xA5);
  for (auto _ : state) benchmark::DoNotOptimize(espfab::crypto::sha256(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(4096)->Arg(1 << 20);

void BM_Md5(benchmark::State& state) {
  const espfab::Bytes data(static_cast<std::size_t>(state.range(0)), 0xA5);
  for (auto _ : state) benchmark::DoNotOptimize(espfab::crypto::md5(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Md5)->Arg(1 << 20);

}  // namespace
