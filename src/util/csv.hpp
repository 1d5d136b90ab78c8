// CSV as RFC 4180 writes it: every record has the header's field count, CRLF after each record,
// and a field with a comma, a double quote, CR or LF is quoted (quotes doubled).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace espfab {

// One field, quoted when RFC 4180 needs it.
std::string csv_field(std::string_view text);

// One record: the fields joined by commas, quoted as needed, ending in CRLF. An empty field stays
// an empty field (",,"), so every record of a table has as many fields as its header.
std::string csv_record(const std::vector<std::string>& fields);

}  // namespace espfab
