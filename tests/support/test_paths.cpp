#include "support/test_paths.hpp"

#include "util/file_io.hpp"

namespace espfab::test {

std::filesystem::path vectors_dir() { return ESPFAB_TEST_VECTORS_DIR; }
std::filesystem::path vector_path(const std::string& relative) { return vectors_dir() / relative; }
Bytes read_vector(const std::string& relative) { return read_file(vector_path(relative)); }
std::string read_vector_text(const std::string& relative) { return read_text_file(vector_path(relative)); }
std::filesystem::path build_dir() { return ESPFAB_BUILD_DIR; }
std::filesystem::path espfab_binary() { return build_dir() / "apps" / "espfab" / "espfab"; }

}  // namespace espfab::test
