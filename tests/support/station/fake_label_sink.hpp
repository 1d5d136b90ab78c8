// A label printer that keeps what it was given: the fields of every label printed, in order.
// `fail_next` makes the next N prints throw an IoError (label.fake_offline), as a printer that is
// off would; invalid fields are a BadInputError (validate_label_fields) before anything is
// "printed", as with the real sinks.
#pragma once

#include <string>
#include <vector>

#include "label/label_printer.hpp"

namespace espfab::test {

class FakeLabelSink final : public label::LabelSink {
 public:
  std::string print(const label::LabelFields& fields) override;
  std::string describe() const override { return "fake label printer (in memory)"; }

  void fail_next(unsigned calls) { failures_left_ = calls; }
  const std::vector<label::LabelFields>& printed() const noexcept { return printed_; }
  unsigned print_calls() const noexcept { return print_calls_; }

 private:
  unsigned failures_left_ = 0;
  unsigned print_calls_ = 0;
  std::vector<label::LabelFields> printed_;
};

}  // namespace espfab::test
