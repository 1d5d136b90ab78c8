// The checks every chip description must pass, as one function: the unit test runs it on each
// description (tests/unit/chip/chip_validation_test.cpp), and a new chip's table is done when it
// returns nothing. What is checked: docs/adding-a-chip.md.
#pragma once

#include <string>
#include <vector>

#include "chip/chip_description.hpp"

namespace espfab::chip {

// Every problem found, one sentence each naming the chip and the fact; empty when the description
// is consistent.
std::vector<std::string> validate(const ChipDescription& chip);

}  // namespace espfab::chip
