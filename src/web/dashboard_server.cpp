#include "web/dashboard_server.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <atomic>
#include <climits>
#include <mutex>
#include <thread>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/secret_bytes.hpp"
#include "web/page_assets.hpp"
#include "web/sessions.hpp"
#include "web/users_file.hpp"

namespace espfab::web {
namespace {

using namespace std::chrono_literals;

constexpr const char* kCookie = "espfab_session";
constexpr auto kKeepAlive = 15s;      // an idle event stream's comment line
constexpr auto kMinInterval = 250ms;  // at most 4 state updates a second per page
constexpr auto kShiftRefresh = 5s;    // the shift's numbers when no device finished (a view's DB)

// Who may do what: an engineer may do everything an operator may.
std::optional<Role> role_needed(const std::string& action) {
  if (action == "reprint" || action == "pause" || action == "resume_fixture" || action == "stop") return Role::Operator;
  if (action == "device_resume" || action == "device_scrap") return Role::Engineer;
  return std::nullopt;
}

void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message,
                const std::string& hint = {}) {
  send_json(res, {{"error", code}, {"message", message}, {"hint", hint}}, status);
}

int status_of(const Error& error) {
  switch (error.kind()) {
    case ErrorKind::BadInput: return 400;
    case ErrorKind::PolicyRefusal: return 409;
    default: return 500;
  }
}

std::string cookie_value(const httplib::Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  const std::string key = name + "=";
  for (std::size_t at = 0; at < header.size();) {
    while (at < header.size() && (header[at] == ' ' || header[at] == ';')) ++at;
    const auto end = std::min(header.find(';', at), header.size());
    if (header.compare(at, key.size(), key) == 0) return header.substr(at + key.size(), end - at - key.size());
    at = end;
  }
  return {};
}

}  // namespace

struct DashboardServer::Impl {
  Impl(DashboardOptions options_, FixtureBoard& board_, DashboardBackend& backend_)
      : options(std::move(options_)), board(board_), backend(backend_) {}

  DashboardOptions options;
  FixtureBoard& board;
  DashboardBackend& backend;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  int port = 0;
  bool tls = false;
  std::atomic<bool> stopping{false};
  Sessions sessions;
  LoginThrottle throttle{options.login_limits};
  std::mutex login_mutex;
  std::mutex shift_mutex;
  nlohmann::json shift;
  std::uint64_t shift_finished = ULLONG_MAX;
  std::chrono::steady_clock::time_point shift_time{};
  bool shift_refreshing = false;

  // The shift's numbers (DB queries): refreshed by one thread at a time, when a device finished or
  // after kShiftRefresh; the other pages meanwhile get the numbers as they were.
  nlohmann::json shift_json(std::uint64_t finished) {
    std::unique_lock lock(shift_mutex);
    const auto now = std::chrono::steady_clock::now();
    const bool stale = finished != shift_finished || now - shift_time > kShiftRefresh;
    if (stale && !shift_refreshing) {
      shift_refreshing = true;
      lock.unlock();
      nlohmann::json fresh;
      try {
        fresh = backend.shift();
      } catch (...) {
        lock.lock();
        shift_refreshing = false;
        throw;
      }
      lock.lock();
      shift = std::move(fresh);
      shift_finished = finished;
      shift_time = now;
      shift_refreshing = false;
    }
    return shift;
  }

  nlohmann::json state_json() {
    auto state = board.snapshot();
    state["shift"] = shift_json(state["finished"].get<std::uint64_t>());
    state["station"] = backend.station();
    state["read_only"] = backend.read_only();
    return state;
  }

  // A POST must be JSON (a cross-site form cannot send it without the browser asking first) from
  // this origin; false (and the response) otherwise.
  bool same_origin_json(const httplib::Request& req, httplib::Response& res) const {
    if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
      send_error(res, 415, "ui.not_json", "a POST must be application/json");
      return false;
    }
    const std::string origin = req.get_header_value("Origin");
    const std::string own = fmt::format("{}://{}", tls ? "https" : "http", req.get_header_value("Host"));
    if (!origin.empty() && origin != own) {
      send_error(res, 403, "ui.cross_origin", fmt::format("a POST from {} is not this dashboard's", origin));
      return false;
    }
    return true;
  }

  std::optional<Session> session_of(const httplib::Request& req) {
    const auto id = cookie_value(req, kCookie);
    return id.empty() ? std::nullopt : sessions.find(id);
  }

  void login(const httplib::Request& req, httplib::Response& res) {
    if (!same_origin_json(req, res)) return;
    if (!options.users) {
      send_error(res, 403, "ui.no_users", "this dashboard has no users file: nobody can log in",
                 "start it with --ui-users FILE (`espfab ui-adduser` makes entries)");
      return;
    }
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    // The password leaves memory with the request: its copies are wiped here.
    secure_wipe(const_cast<char*>(req.body.data()), req.body.size());
    std::string password = body.is_object() ? body.value("password", "") : "";
    const std::string user = body.is_object() ? body.value("user", "") : "";
    if (body.is_object() && body.contains("password") && body["password"].is_string()) {
      auto& stored = body["password"].get_ref<std::string&>();
      secure_wipe(stored.data(), stored.size());
    }
    // One login is checked at a time: the throttle counts every attempt before the next one is
    // let in, and guessers cannot keep every core busy with PBKDF2.
    std::lock_guard one_at_a_time(login_mutex);
    // Too many failed logins for this name or from this address: refused, no password checked.
    if (const auto wait = throttle.refused_for(user, req.remote_addr, LoginThrottle::Clock::now())) {
      secure_wipe(password.data(), password.size());
      res.set_header("Retry-After", std::to_string(wait->count()));
      send_error(
          res, 429, "ui.login_throttled",
          fmt::format("too many failed logins for this user or from this address: try again in {} s", wait->count()),
          "check the user name and the password; an engineer can set a new one with `espfab ui-adduser`");
      return;
    }
    std::optional<UserEntry> entry;
    try {
      entry = check_login(load_users(*options.users), user, password);
    } catch (const Error& error) {
      secure_wipe(password.data(), password.size());
      send_error(res, 500, error.code(), error.message(), error.hint());
      return;
    }
    secure_wipe(password.data(), password.size());
    if (!entry) {
      for (const auto& locked : throttle.failed(user, req.remote_addr, LoginThrottle::Clock::now())) {
        log::get("web")->warn(
            "dashboard: too many failed logins for {} (the last from {}): its logins are refused "
            "for {} s",
            locked, req.remote_addr, options.login_limits.lockout.count());
      }
      send_error(res, 401, "ui.login_failed", "wrong user name or password");
      return;
    }
    throttle.succeeded(user);
    const auto id = sessions.open(*entry);
    res.set_header("Set-Cookie",
                   fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}", kCookie, id, tls ? "; Secure" : ""));
    const auto session = sessions.find(id);
    send_json(res, {{"user", session->user}, {"role", to_string(session->role)}, {"csrf", session->csrf}});
  }

  void act(const httplib::Request& req, httplib::Response& res) {
    if (!same_origin_json(req, res)) return;
    const auto session = session_of(req);
    if (!session) {
      send_error(res, 401, "ui.not_logged_in", "log in first: nothing but looking works without a login");
      return;
    }
    if (req.get_header_value("X-CSRF-Token") != session->csrf) {
      send_error(res, 403, "ui.csrf", "the request lacks this session's CSRF token", "reload the page");
      return;
    }
    const auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
      send_error(res, 400, "ui.bad_request", "the body is not a JSON object");
      return;
    }
    Action action{body.value("action", ""), body.value("fixture", ""), body.value("device", ""),
                  body.value("reason", "")};
    const auto needed = role_needed(action.name);
    if (!needed) {
      send_error(res, 400, "ui.unknown_action", fmt::format("no action '{}'", action.name));
      return;
    }
    if (*needed == Role::Engineer && session->role != Role::Engineer) {
      send_error(res, 403, "ui.role",
                 fmt::format("{} needs an engineer; {} is an operator", action.name, session->user),
                 "ask an engineer to log in");
      return;
    }
    try {
      send_json(res, {{"ok", true}, {"message", backend.act(action, session->user)}});
    } catch (const Error& error) {
      send_error(res, status_of(error), error.code(), error.message(), error.hint());
    }
  }

  void routes() {
    auto& s = *server;
    s.set_default_headers(
        {{"Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"},
         {"X-Content-Type-Options", "nosniff"},
         {"Referrer-Policy", "no-referrer"}});
    s.Get(R"(/|/dashboard\.css|/dashboard\.js)", [](const httplib::Request& req, httplib::Response& res) {
      const auto asset = find_page_asset(req.path);
      res.set_content(std::string(asset->body), std::string(asset->content_type));
    });
    s.Get("/api/state", [this](const httplib::Request&, httplib::Response& res) { send_json(res, state_json()); });
    s.Get("/api/me", [this](const httplib::Request& req, httplib::Response& res) {
      const auto session = session_of(req);
      if (!session) {
        send_json(res, {{"user", nullptr}, {"login", options.users.has_value()}});
        return;
      }
      send_json(res, {{"user", session->user}, {"role", to_string(session->role)}, {"csrf", session->csrf}});
    });
    s.Get(R"(/api/device/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      try {
        send_json(res, backend.device_record(req.matches[1]));
      } catch (const Error& error) {
        send_error(res, error.kind() == ErrorKind::BadInput ? 404 : 500, error.code(), error.message(), error.hint());
      }
    });
    s.Get(R"(/api/label/([^/]+)\.png)", [this](const httplib::Request& req, httplib::Response& res) {
      try {
        const auto png = backend.label_png(req.matches[1]);
        res.set_header("Cache-Control", "no-store");
        res.set_content(std::string(png.begin(), png.end()), "image/png");
      } catch (const Error& error) {
        send_error(res, 404, error.code(), error.message(), error.hint());
      }
    });
    s.Get("/api/events", [this](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-store");
      auto seen = std::make_shared<std::uint64_t>(ULLONG_MAX);
      res.set_chunked_content_provider("text/event-stream", [this, seen](std::size_t, httplib::DataSink& sink) {
        if (stopping) return false;
        if (*seen != ULLONG_MAX && board.wait_for_change(*seen, kKeepAlive) == *seen) {
          if (stopping) return false;
          constexpr std::string_view kComment = ": still here\n\n";
          return sink.write(kComment.data(), kComment.size());
        }
        if (stopping) return false;
        *seen = board.version();
        const std::string text = "data: " + state_json().dump() + "\n\n";
        if (!sink.write(text.data(), text.size())) return false;
        std::this_thread::sleep_for(kMinInterval);
        return true;
      });
    });
    s.Post("/api/login", [this](const httplib::Request& req, httplib::Response& res) { login(req, res); });
    s.Post("/api/logout", [this](const httplib::Request& req, httplib::Response& res) {
      if (!same_origin_json(req, res)) return;
      const auto session = session_of(req);
      if (!session || req.get_header_value("X-CSRF-Token") != session->csrf) {
        send_error(res, 401, "ui.not_logged_in", "not logged in");
        return;
      }
      sessions.close(cookie_value(req, kCookie));
      res.set_header("Set-Cookie", fmt::format("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict", kCookie));
      send_json(res, {{"ok", true}});
    });
    s.Post("/api/action", [this](const httplib::Request& req, httplib::Response& res) { act(req, res); });
  }
};

DashboardServer::DashboardServer(DashboardOptions options, FixtureBoard& board, DashboardBackend& backend)
    : impl_(std::make_unique<Impl>(std::move(options), board, backend)) {
  auto& o = impl_->options;
  if (o.users) (void)load_users(*o.users);  // a bad users file stops the start, not the first login
  if (o.tls_certificate.has_value() != o.tls_key.has_value()) {
    throw BadInputError("ui.tls", "TLS needs both a certificate and its key", "pass --ui-cert and --ui-key");
  }
  if (o.tls_certificate) {
    auto server = std::make_unique<httplib::SSLServer>(o.tls_certificate->c_str(), o.tls_key->c_str());
    if (!server->is_valid()) {
      throw BadInputError(
          "ui.tls",
          fmt::format("cannot load the certificate {} or the key {}", o.tls_certificate->string(), o.tls_key->string()),
          "give a PEM certificate and its unencrypted PEM key, both readable by the station");
    }
    impl_->server = std::move(server);
    impl_->tls = true;
  } else {
    impl_->server = std::make_unique<httplib::Server>();
  }
  // Every open page holds a thread for its event stream.
  impl_->server->new_task_queue = [] { return new httplib::ThreadPool(32); };
  impl_->routes();
  impl_->port = o.port == 0 ? impl_->server->bind_to_any_port(o.address)
                            : (impl_->server->bind_to_port(o.address, o.port) ? o.port : -1);
  if (impl_->port <= 0) {
    throw BadInputError("ui.bind", fmt::format("cannot listen on {}:{}", o.address, o.port),
                        "pick a free port (--ui ADDR:PORT) or stop what uses it");
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->server->listen_after_bind(); });
}

DashboardServer::~DashboardServer() { stop(); }

int DashboardServer::port() const { return impl_->port; }

std::string DashboardServer::url() const {
  const auto& address = impl_->options.address;
  return fmt::format("{}://{}:{}/", impl_->tls ? "https" : "http",
                     address.find(':') != std::string::npos ? "[" + address + "]" : address, impl_->port);
}

void DashboardServer::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  impl_->board.wake_all();
  impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace espfab::web
