// PNG and PDF labels: the PNG decodes back to the payload with zbar at the sizes we print, has the
// planned pixel size; the PDF has the label's page size and draws the QR as vector rectangles.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "label/label_render.hpp"
#include "label_test_support.hpp"
#include "support/temp_dir.hpp"
#include "util/file_io.hpp"

namespace espfab::label {
namespace {

using test::sample_fields;

std::uint32_t load_be32(const Bytes& bytes, std::size_t offset) {
  return (std::uint32_t{bytes.at(offset)} << 24) | (std::uint32_t{bytes.at(offset + 1)} << 16) |
         (std::uint32_t{bytes.at(offset + 2)} << 8) | std::uint32_t{bytes.at(offset + 3)};
}

// Width and height from the IHDR chunk, after checking the PNG signature.
std::pair<std::uint32_t, std::uint32_t> png_size(const Bytes& png) {
  const std::uint8_t signature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  EXPECT_GE(png.size(), 24u);
  EXPECT_EQ(std::memcmp(png.data(), signature, sizeof signature), 0);
  EXPECT_EQ(std::string(png.begin() + 12, png.begin() + 16), "IHDR");
  return {load_be32(png, 16), load_be32(png, 20)};
}

std::string decode_png(const Bytes& png) {
  const espfab::test::TempDir dir;
  const auto path = dir / "label.png";
  write_file_atomic(path, png);
  return test::zbar_decode(path);
}

struct DecodeCase {
  std::string serial;
  LabelSize size;
};

TEST(label_png, DecodesToThePayloadAndHasThePlannedSize) {
  const std::vector<DecodeCase> cases = {
      {"ESP-000123", {50, 30, 203}},
      {"ESP-000123", {50, 30, 300}},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZ-_0123", {50, 30, 203}},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZ-_0123", {50, 30, 300}},
      {"ESP-000123", {50, 15.4, 203}},  // the smallest module size allowed: 3 dots
  };
  for (const auto& [serial, size] : cases) {
    SCOPED_TRACE(serial + " at " + std::to_string(size.dpi) + " dpi, " + std::to_string(size.height_mm) + " mm");
    LabelFields fields = sample_fields();
    fields.serial = serial;
    const LabelPlan plan = plan_label(fields, size);
    const Bytes png = render_label_png(fields, size);
    const auto [width, height] = png_size(png);
    EXPECT_EQ(width, static_cast<std::uint32_t>(mm_to_dots(size.width_mm, size.dpi)));
    EXPECT_EQ(height, static_cast<std::uint32_t>(mm_to_dots(size.height_mm, size.dpi)));
    EXPECT_EQ(decode_png(png), plan.payload);
  }
}

TEST(label_png, DefaultSizeIs400By240AndTheRoundTripGivesTheFields) {
  const Bytes png = render_label_png(sample_fields());
  EXPECT_EQ(png_size(png), std::make_pair(400u, 240u));
  const std::string decoded = decode_png(png);
  EXPECT_EQ(decoded, test::kSamplePayload);
  const LabelFields back = parse_label_payload(decoded);
  EXPECT_EQ(back.serial, "ESP-000123");
  EXPECT_EQ(back.mac, "7c:df:a1:00:00:01");
}

TEST(label_png, InvalidFieldsOrSizeRenderNothing) {
  LabelFields fields = sample_fields();
  fields.provisioned_date = "2026-02-30";
  EXPECT_THROW(render_label_png(fields), BadInputError);
  EXPECT_EQ(test::thrown_by([] { render_label_png(sample_fields(), {50, 10, 203}); }).code(), "label.too_small");
}

// ---- PDF ----

std::string text_of(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

std::string inflate(std::string_view compressed) {
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) return {};
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buffer[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  inflateEnd(&stream);
  return rc == Z_STREAM_END ? out : std::string{};
}

// The page content: the one stream that paints the white background rectangle.
std::string page_content(const std::string& pdf) {
  std::size_t at = 0;
  while ((at = pdf.find("stream\n", at)) != std::string::npos) {
    const std::size_t start = at + 7;
    const std::size_t end = pdf.find("endstream", start);
    if (end == std::string::npos) break;
    const std::string content = inflate(std::string_view(pdf).substr(start, end - start));
    if (content.find("1 1 1 rg") != std::string::npos) return content;
    at = end;
  }
  return {};
}

struct Rect {
  double x0, y0, x1, y1;
};

// The closed subpaths filled after "0 0 0 rg" up to the next "f": the QR modules.
std::vector<Rect> qr_rectangles(const std::string& content) {
  std::vector<Rect> rects;
  const std::size_t black = content.find("0 0 0 rg");
  if (black == std::string::npos) return rects;
  std::istringstream tokens(content.substr(black + 8));
  std::vector<double> numbers;
  std::vector<std::pair<double, double>> points;
  std::string token;
  while (tokens >> token) {
    if (token == "m" || token == "l") {
      if (numbers.size() >= 2) points.emplace_back(numbers[numbers.size() - 2], numbers.back());
      numbers.clear();
    } else if (token == "h") {
      Rect rect{1e9, 1e9, -1e9, -1e9};
      for (const auto& [x, y] : points) {
        rect = {std::min(rect.x0, x), std::min(rect.y0, y), std::max(rect.x1, x), std::max(rect.y1, y)};
      }
      EXPECT_EQ(points.size(), 4u);
      rects.push_back(rect);
      points.clear();
    } else if (token == "f") {
      break;
    } else {
      numbers.push_back(std::stod(token));
    }
  }
  return rects;
}

TEST(label_pdf, OnePageOfTheLabelSizeInPoints) {
  for (const LabelSize size : {LabelSize{50, 30, 203}, LabelSize{62, 29, 300}}) {
    const std::string pdf = text_of(render_label_pdf(sample_fields(), size));
    EXPECT_EQ(pdf.rfind("%PDF-", 0), 0u);
    std::smatch box;
    ASSERT_TRUE(std::regex_search(pdf, box, std::regex(R"(/MediaBox \[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\])")));
    EXPECT_NEAR(std::stod(box[1]), size.width_mm / 25.4 * 72, 0.001);
    EXPECT_NEAR(std::stod(box[2]), size.height_mm / 25.4 * 72, 0.001);
    const std::regex page(R"(/Type /Page\b[^s])");
    EXPECT_EQ(std::distance(std::sregex_iterator(pdf.begin(), pdf.end(), page), std::sregex_iterator()), 1);
    EXPECT_EQ(pdf.find("/Subtype /Image"), std::string::npos) << "the QR must be vectors, not an image";
    EXPECT_NE(pdf.find("/Title (Label ESP-000123)"), std::string::npos);
  }
}

TEST(label_pdf, QrModulesAreRectanglesOnTheModuleGrid) {
  const LabelPlan plan = plan_label(sample_fields(), {});
  const std::string content = page_content(text_of(render_pdf(plan)));
  ASSERT_FALSE(content.empty());
  const std::vector<Rect> rects = qr_rectangles(content);
  ASSERT_FALSE(rects.empty());
  const LabelLayout& layout = plan.layout;
  const double dots_per_point = layout.dpi / 72.0;
  std::vector<bool> dark(plan.qr.dark.size(), false);
  for (const Rect& rect : rects) {
    const double x0 = (rect.x0 * dots_per_point - layout.qr_x) / layout.module_dots;
    const double x1 = (rect.x1 * dots_per_point - layout.qr_x) / layout.module_dots;
    const double y0 = (rect.y0 * dots_per_point - layout.qr_y) / layout.module_dots;
    const double y1 = (rect.y1 * dots_per_point - layout.qr_y) / layout.module_dots;
    // Every edge on the module grid (cairo writes 3 decimals of a point).
    EXPECT_NEAR(x0, std::round(x0), 0.01);
    EXPECT_NEAR(x1, std::round(x1), 0.01);
    EXPECT_NEAR(y0, std::round(y0), 0.01);
    EXPECT_NEAR(y1 - y0, 1.0, 0.01);
    const int row = static_cast<int>(std::lround(y0));
    ASSERT_GE(row, 0);
    ASSERT_LT(row, plan.qr.width);
    for (long x = std::lround(x0); x < std::lround(x1); ++x) {
      ASSERT_GE(x, 0);
      ASSERT_LT(x, plan.qr.width);
      dark[static_cast<std::size_t>(row * plan.qr.width + x)] = true;
    }
  }
  EXPECT_EQ(dark, plan.qr.dark);
}

TEST(label_pdf, TextIsEmbeddedAsAFont) {
  const std::string pdf = text_of(render_label_pdf(sample_fields()));
  EXPECT_NE(pdf.find("/FontFile2"), std::string::npos);
}

}  // namespace
}  // namespace espfab::label
