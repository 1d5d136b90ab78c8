// The dashboard server over real HTTP on an ephemeral port (cpp-httplib's client): the page and its
// files, the live state as server-sent events, and the rules for POST: login, CSRF token, roles,
// same origin, JSON only. The backend records what it was asked to do.
#include "web/dashboard_server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <spdlog/sinks/ostream_sink.h>

#include <mutex>
#include <sstream>
#include <thread>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "web/users_file.hpp"

namespace espfab::web {
namespace {

using nlohmann::json;

class RecordingBackend : public DashboardBackend {
 public:
  json shift() override {
    ++shift_calls;
    return {{"summary", {{"total", {{"finished", 3}, {"yield", 2.0 / 3}}}}}, {"recent", json::array()}};
  }
  json device_record(const std::string& device) override {
    if (device != "DEMO-1") throw BadInputError("service.unknown_device", "no such device", "check the serial");
    return {{"serial", device}, {"steps", json::array()}};
  }
  Bytes label_png(const std::string&) override { return {0x89, 'P', 'N', 'G'}; }
  std::string act(const Action& action, const std::string& user) override {
    std::lock_guard lock(mutex);
    done.push_back(action.name + " " + action.device + action.fixture + " by " + user);
    return "done";
  }
  bool read_only() const override { return false; }
  std::string station() const override { return "station-7"; }

  std::mutex mutex;
  std::vector<std::string> done;
  int shift_calls = 0;
};

class DashboardServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    save_user(dir / "users", make_user("otto", Role::Operator, "operator-pass"));
    save_user(dir / "users", make_user("anna", Role::Engineer, "engineer-pass"));
    DashboardOptions options;
    options.port = 0;
    options.users = dir / "users";
    server.emplace(options, board, backend);
  }
  httplib::Client client() const { return httplib::Client("127.0.0.1", server->port()); }
  // Logs in; returns {cookie header, csrf token}.
  std::pair<std::string, std::string> login(const std::string& user, const std::string& password) {
    auto c = client();
    const auto res = c.Post("/api/login", json{{"user", user}, {"password", password}}.dump(), "application/json");
    EXPECT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    const auto cookie = res->get_header_value("Set-Cookie");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
    return {cookie.substr(0, cookie.find(';')), json::parse(res->body)["csrf"].get<std::string>()};
  }
  httplib::Result act(const std::pair<std::string, std::string>& session, const json& body) {
    auto c = client();
    return c.Post("/api/action", {{"Cookie", session.first}, {"X-CSRF-Token", session.second}}, body.dump(),
                  "application/json");
  }

  test::TempDir dir;
  FixtureBoard board{{"connect", "flash-factory"}, {"fixture 1"}};
  RecordingBackend backend;
  std::optional<DashboardServer> server;
};

TEST_F(DashboardServerTest, ServesThePageAndItsFiles) {
  auto c = client();
  const auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<script src=\"/dashboard.js\""), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_NE(c.Get("/dashboard.js")->body.find("EventSource"), std::string::npos);
  EXPECT_EQ(c.Get("/dashboard.css")->get_header_value("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(c.Get("/api/device/DEMO-1")->status, 200);
  EXPECT_EQ(c.Get("/api/device/DEMO-2")->status, 404);
  EXPECT_EQ(c.Get("/api/label/DEMO-1.png")->get_header_value("Content-Type"), "image/png");
}

TEST_F(DashboardServerTest, TheEventStreamSendsTheStateAndEveryChange) {
  std::string received;
  std::mutex mutex;
  std::atomic<bool> saw_running{false};
  std::thread reader([&] {
    auto c = client();
    c.Get("/api/events", [&](const char* data, std::size_t size) {
      std::lock_guard lock(mutex);
      received.append(data, size);
      if (received.find("\"state\":\"running\"") != std::string::npos) {
        saw_running = true;
        return false;  // done: closes the stream
      }
      return true;
    });
  });
  // The first message is the state as it is; then the device's start arrives as a new one.
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard lock(mutex);
      if (received.find("data: ") != std::string::npos) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  station::StationEvent started;
  started.kind = station::StationEvent::Kind::DeviceStarted;
  started.fixture = "fixture 1";
  started.mac = "7c:df:a1:00:00:05";
  board.on(started);
  reader.join();
  EXPECT_TRUE(saw_running);
  const auto first = received.substr(received.find("data: ") + 6, received.find("\n\n") - received.find("data: ") - 6);
  const auto state = json::parse(first);
  EXPECT_EQ(state["station"], "station-7");
  EXPECT_EQ(state["fixtures"][0]["state"], "waiting");
  EXPECT_EQ(state["shift"]["summary"]["total"]["finished"], 3);
  EXPECT_NE(received.find("7c:df:a1:00:00:05"), std::string::npos);
}

TEST_F(DashboardServerTest, NothingButGetWorksWithoutALogin) {
  auto c = client();
  const auto res = c.Post("/api/action", json{{"action", "stop"}}.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(c.Post("/api/login", json{{"user", "otto"}, {"password", "wrong"}}.dump(), "application/json")->status,
            401);
  EXPECT_TRUE(backend.done.empty());
}

TEST_F(DashboardServerTest, FiveFailedLoginsForAUserAreFollowedBy429ForAWhileAndALogWarning) {
  std::ostringstream logged;
  const auto logger = log::get("web");
  const auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logged);
  logger->sinks().push_back(sink);
  auto c = client();
  const auto attempt = [&](const std::string& user, const std::string& password) {
    return c.Post("/api/login", json{{"user", user}, {"password", password}}.dump(), "application/json");
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(attempt("otto", "guess-number-" + std::to_string(i))->status, 401);
  // The right password is not even checked now.
  const auto refused = attempt("otto", "operator-pass");
  logger->sinks().pop_back();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(json::parse(refused->body)["error"], "ui.login_throttled");
  const int retry_after = std::stoi(refused->get_header_value("Retry-After"));
  EXPECT_GT(retry_after, 50);
  EXPECT_LE(retry_after, 60);
  EXPECT_TRUE(refused->get_header_value("Set-Cookie").empty());
  // Another user from the same address is below the address's limit.
  login("anna", "engineer-pass");
  // One warning, naming the user and the address, never a password.
  const auto text = logged.str();
  EXPECT_NE(text.find("too many failed logins for user otto (the last from 127.0.0.1)"), std::string::npos) << text;
  EXPECT_EQ(text.find("too many failed logins"), text.rfind("too many failed logins")) << text;
  EXPECT_EQ(text.find("guess-number"), std::string::npos) << text;
  EXPECT_EQ(text.find("operator-pass"), std::string::npos) << text;
}

TEST_F(DashboardServerTest, AnActionNeedsTheSessionsCsrfTokenJsonAndTheSameOrigin) {
  const auto session = login("otto", "operator-pass");
  auto c = client();
  EXPECT_EQ(
      c.Post("/api/action", {{"Cookie", session.first}}, json{{"action", "stop"}}.dump(), "application/json")->status,
      403)
      << "no CSRF token";
  EXPECT_EQ(act({session.first, "not-the-token"}, {{"action", "stop"}})->status, 403);
  // A form post from another site: not JSON, and another origin.
  EXPECT_EQ(c.Post("/api/action", {{"Cookie", session.first}, {"X-CSRF-Token", session.second}}, "action=stop",
                   "application/x-www-form-urlencoded")
                ->status,
            415);
  EXPECT_EQ(c.Post("/api/action",
                   {{"Cookie", session.first}, {"X-CSRF-Token", session.second}, {"Origin", "http://evil.example"}},
                   json{{"action", "stop"}}.dump(), "application/json")
                ->status,
            403);
  EXPECT_TRUE(backend.done.empty());
  const auto ok = act(session, {{"action", "stop"}});
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(backend.done, std::vector<std::string>{"stop  by otto"});
}

TEST_F(DashboardServerTest, AnOperatorCannotScrapAnEngineerCan) {
  const auto otto = login("otto", "operator-pass");
  const auto refused = act(otto, {{"action", "device_scrap"}, {"device", "DEMO-1"}, {"reason", "x"}});
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(json::parse(refused->body)["error"], "ui.role");
  EXPECT_EQ(act(otto, {{"action", "reprint"}, {"device", "DEMO-1"}})->status, 200);
  const auto anna = login("anna", "engineer-pass");
  EXPECT_EQ(act(anna, {{"action", "device_scrap"}, {"device", "DEMO-1"}, {"reason", "x"}})->status, 200);
  EXPECT_EQ(backend.done, (std::vector<std::string>{"reprint DEMO-1 by otto", "device_scrap DEMO-1 by anna"}));
  // Logged out, the session is gone.
  auto c = client();
  EXPECT_EQ(
      c.Post("/api/logout", {{"Cookie", anna.first}, {"X-CSRF-Token", anna.second}}, "{}", "application/json")->status,
      200);
  EXPECT_EQ(act(anna, {{"action", "stop"}})->status, 401);
}

TEST(DashboardServerTls, ServesHttpsOnlyWithTheGivenCertificate) {
  test::TempDir dir;
  const auto made =
      test::run_command("openssl", {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                    "-subj", "/CN=localhost", "-days", "1", "-keyout", (dir / "key.pem").string(),
                                    "-out", (dir / "cert.pem").string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  FixtureBoard board{{"connect"}, {"fixture 1"}};
  RecordingBackend backend;
  DashboardOptions options;
  options.port = 0;
  options.tls_certificate = dir / "cert.pem";
  options.tls_key = dir / "key.pem";
  DashboardServer server(options, board, backend);
  EXPECT_EQ(server.url().rfind("https://127.0.0.1:", 0), 0u) << server.url();
  httplib::SSLClient tls("127.0.0.1", server.port());
  tls.set_ca_cert_path((dir / "cert.pem").c_str());
  tls.enable_server_certificate_verification(false);  // the name is localhost, the address 127.0.0.1
  const auto page = tls.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  httplib::Client plain("127.0.0.1", server.port());
  plain.set_connection_timeout(std::chrono::seconds(2));
  plain.set_read_timeout(std::chrono::seconds(2));
  const auto refused = plain.Get("/");
  EXPECT_TRUE(!refused || refused->status != 200) << "plain HTTP on the TLS port";
  // A certificate without its key: refused at start.
  DashboardOptions half = options;
  half.tls_key.reset();
  EXPECT_THROW(DashboardServer(half, board, backend), BadInputError);
}

}  // namespace
}  // namespace espfab::web
