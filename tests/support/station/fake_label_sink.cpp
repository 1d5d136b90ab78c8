#include "support/station/fake_label_sink.hpp"

#include "util/error.hpp"

namespace espfab::test {

std::string FakeLabelSink::print(const label::LabelFields& fields) {
  ++print_calls_;
  const auto valid = label::validate_label_fields(fields);
  if (failures_left_ > 0) {
    --failures_left_;
    throw IoError("label.fake_offline", "the fake label printer is offline", "switch the printer on");
  }
  printed_.push_back(valid);
  return "printed " + valid.serial;
}

}  // namespace espfab::test
