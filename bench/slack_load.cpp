// slack_load: a small HTTP/1.1 load generator for POST /slack/events.
//
// Why a native generator: the benchmark compares mlpath's ack path with Bolt's, and
// autocannon saturates near 20k requests/s on this machine, which would cap the very figure
// being measured. This runs on one thread with epoll and costs a few microseconds per request.
//
// Why every request is built and signed on the fly: mlpath dedupes events by event_id in a
// durable inbox, so replaying a pre-signed file would measure the cheap "already seen" path.
// Each request carries a unique event_id and client_msg_id, the current timestamp and a fresh
// v0 signature (HMAC-SHA256 over "v0:{ts}:{body}"), exactly what Slack sends.
//
// Build: g++ -O2 -std=c++20 bench/slack_load.cpp -lcrypto -o build/slack_load
// Usage: slack_load --url http://127.0.0.1:3000/slack/events --secret S
//                   [--connections 50] [--duration 10] [--requests N] [--warmup 2]
//                   [--timeout 10] [--users 1000] [--text hello]
//                   [--cpu-pid PID] [--rss-pid PID] [--acked-file PATH]
//        slack_load --secret S --sign TIMESTAMP BODY_FILE   (prints the v0= signature; used to
//                   check the signer against Slack's documented test vector)
// Output: one JSON object on stdout; diagnostics on stderr. With --acked-file, the event_id of
// every request answered 2xx (warm-up included) is written there, one per line, so a soak
// run can check that every acknowledged event reached the server's inbox.

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bench_support.hpp"

namespace {

using namespace bench_support;

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "slack_load: %s\n", msg.c_str());
    std::exit(2);
}

uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

// ---------------------------------------------------------------- options

struct Options {
    std::string url;
    std::string secret;
    int connections = 10;
    double duration_s = 10;  // 0 = no time limit (then --requests must be set)
    uint64_t requests = 0;   // 0 = no request limit
    double warmup_s = 2;
    double timeout_s = 10;
    uint32_t users = 1000;
    std::string text = "hello";
    int cpu_pid = 0;
    int rss_pid = 0;
    std::string acked_file;
    std::optional<std::pair<std::string, std::string>> sign;  // --sign TS BODY_FILE
};

void usage() {
    std::fputs(
        "usage: slack_load --url http://HOST:PORT/slack/events --secret S [--connections N]\n"
        "                  [--duration SECONDS] [--requests N] [--warmup SECONDS] [--timeout SECONDS]\n"
        "                  [--users N] [--text TEXT] [--cpu-pid PID] [--rss-pid PID]\n"
        "       slack_load --secret S --sign TIMESTAMP BODY_FILE\n",
        stderr);
}

Options parse_options(int argc, char** argv) {
    Options o;
    bool duration_given = false;
    auto need = [&](int& i) -> std::string {
        if (i + 1 >= argc) die(std::string("missing value for ") + argv[i]);
        return argv[++i];
    };
    auto num = [](const std::string& s, const char* what) -> double {
        char* end = nullptr;
        double v = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0' || v < 0) die(std::string("bad value for ") + what + ": " + s);
        return v;
    };
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--url") o.url = need(i);
        else if (a == "--secret") o.secret = need(i);
        else if (a == "--connections") o.connections = int(num(need(i), "--connections"));
        else if (a == "--duration") { o.duration_s = num(need(i), "--duration"); duration_given = true; }
        else if (a == "--requests") o.requests = uint64_t(num(need(i), "--requests"));
        else if (a == "--warmup") o.warmup_s = num(need(i), "--warmup");
        else if (a == "--timeout") o.timeout_s = num(need(i), "--timeout");
        else if (a == "--users") o.users = uint32_t(num(need(i), "--users"));
        else if (a == "--text") o.text = need(i);
        else if (a == "--cpu-pid") o.cpu_pid = int(num(need(i), "--cpu-pid"));
        else if (a == "--rss-pid") o.rss_pid = int(num(need(i), "--rss-pid"));
        else if (a == "--acked-file") o.acked_file = need(i);
        else if (a == "--sign") { std::string ts = need(i); o.sign = {ts, need(i)}; }
        else if (a == "-h" || a == "--help") { usage(); std::exit(0); }
        else { usage(); die("unknown option " + a); }
    }
    if (o.secret.empty()) die("--secret is required");
    if (o.sign) return o;
    if (o.url.empty()) die("--url is required");
    if (o.connections < 1) die("--connections must be at least 1");
    if (o.users < 1) die("--users must be at least 1");
    // --requests alone means "run until N requests", not "N requests or 10 s, whichever first".
    if (o.requests > 0 && !duration_given) o.duration_s = 0;
    if (o.duration_s <= 0 && o.requests == 0) die("give --duration and/or --requests");
    return o;
}

struct Url {
    std::string host, port, path, host_header;
};

Url parse_url(const std::string& url) {
    // Plain http only: the benchmark runs on loopback, and TLS would measure OpenSSL instead.
    constexpr std::string_view scheme = "http://";
    if (url.compare(0, scheme.size(), scheme) != 0) die("only http:// URLs are supported: " + url);
    std::string rest = url.substr(scheme.size());
    size_t slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    Url u;
    u.path = slash == std::string::npos ? "/" : rest.substr(slash);
    u.host_header = authority;
    if (!authority.empty() && authority[0] == '[') {  // [::1]:port
        size_t close = authority.find(']');
        if (close == std::string::npos) die("bad URL host: " + url);
        u.host = authority.substr(1, close - 1);
        u.port = close + 1 < authority.size() && authority[close + 1] == ':' ? authority.substr(close + 2) : "80";
    } else {
        size_t colon = authority.rfind(':');
        u.host = authority.substr(0, colon);
        u.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
    }
    if (u.host.empty() || u.port.empty()) die("bad URL: " + url);
    return u;
}

// ---------------------------------------------------------------- signing

// HMAC-SHA256 keyed once; each request duplicates the keyed context rather than re-deriving
// the key pads, which keeps signing around a microsecond for a 1 KiB body.
class Signer {
public:
    explicit Signer(const std::string& secret) {
        mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        if (!mac_) die("EVP_MAC_fetch(HMAC) failed");
        keyed_ = EVP_MAC_CTX_new(mac_);
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
        if (!keyed_ || !EVP_MAC_init(keyed_, reinterpret_cast<const unsigned char*>(secret.data()),
                                     secret.size(), params))
            die("HMAC init failed");
    }
    ~Signer() {
        EVP_MAC_CTX_free(keyed_);
        EVP_MAC_free(mac_);
    }
    Signer(const Signer&) = delete;
    Signer& operator=(const Signer&) = delete;

    // Writes "v0=" + 64 lowercase hex digits into out (67 chars).
    void sign(std::string_view ts, std::string_view body, char* out) {
        EVP_MAC_CTX* c = EVP_MAC_CTX_dup(keyed_);
        unsigned char md[32];
        size_t len = 0;
        bool ok = c && EVP_MAC_update(c, reinterpret_cast<const unsigned char*>("v0:"), 3) &&
                  EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(ts.data()), ts.size()) &&
                  EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(":"), 1) &&
                  EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(body.data()), body.size()) &&
                  EVP_MAC_final(c, md, &len, sizeof md) && len == 32;
        EVP_MAC_CTX_free(c);
        if (!ok) die("HMAC computation failed");
        static constexpr char hex[] = "0123456789abcdef";
        std::memcpy(out, "v0=", 3);
        for (int i = 0; i < 32; ++i) {
            out[3 + 2 * i] = hex[md[i] >> 4];
            out[4 + 2 * i] = hex[md[i] & 15];
        }
    }

private:
    EVP_MAC* mac_ = nullptr;
    EVP_MAC_CTX* keyed_ = nullptr;
};

// ---------------------------------------------------------------- request building

// Workspace constants shared with bench/peers/bolt/server.js and bench/fake_slack_api.js
// (auth.test): the bot's own ids must differ from the sender's, or both servers would
// (rightly) ignore the message as the bot's own and the benchmark would measure nothing.
constexpr std::string_view kTeam = "TBENCH0001";
constexpr std::string_view kApp = "ABENCH0001";
constexpr std::string_view kBotUser = "UBENCHBOT";

// Builds signed requests. Every request gets a unique event_id (Ev + 4-char random run prefix
// + 8-char base36 counter: unique across runs against the same server, as the durable inbox
// requires), a unique client_msg_id and ts, and rotates over --users senders.
class RequestFactory {
public:
    RequestFactory(const Options& o, const Url& u) : signer_(o.secret), users_(o.users), text_(json_escape(o.text)) {
        unsigned char rnd[8];
        if (RAND_bytes(rnd, sizeof rnd) != 1) die("RAND_bytes failed");
        std::memcpy(&run_id_, rnd, sizeof run_id_);
        head_ = "POST " + u.path + " HTTP/1.1\r\nHost: " + u.host_header +
                "\r\nUser-Agent: Slackbot 1.0 (+https://api.slack.com/robots)"
                "\r\nAccept: */*\r\nContent-Type: application/json\r\nX-Slack-Request-Timestamp: ";
        body_.reserve(2048);
    }

    uint64_t sent() const { return counter_; }
    // The event_id of the request next() built last.
    const std::string& event_id() const { return event_id_; }

    // Replaces `out` with the next request.
    void next(std::string& out) {
        const uint64_t n = counter_++;
        const uint64_t unix_s = uint64_t(std::time(nullptr));
        const uint32_t user = uint32_t(n % users_);

        // Message ts: seconds plus a six-digit suffix, unique per request like Slack's.
        std::string ts_msg;
        append_u64(ts_msg, unix_s);
        ts_msg += '.';
        char six[8];
        std::snprintf(six, sizeof six, "%06u", unsigned(n % 1'000'000));
        ts_msg += six;

        std::string& b = body_;
        b.clear();
        b += R"({"token":"benchVerificationToken","team_id":")";
        b += kTeam;
        b += R"(","context_team_id":")";
        b += kTeam;
        b += R"(","context_enterprise_id":null,"api_app_id":")";
        b += kApp;
        b += R"(","event":{"user":"U)";
        append_base36(b, user, 8);
        b += R"(","type":"message","ts":")";
        b += ts_msg;
        b += R"(","client_msg_id":")";
        // UUID v4 layout: run id in the first groups, the counter in the last 12 hex digits.
        append_hex(b, run_id_ >> 32, 8);
        b += '-';
        append_hex(b, (run_id_ >> 16) & 0xffff, 4);
        b += "-4";
        append_hex(b, run_id_ & 0xfff, 3);
        b += "-8";
        append_hex(b, (n >> 48) & 0xfff, 3);
        b += '-';
        append_hex(b, n & 0xffffffffffffULL, 12);
        b += R"(","text":")";
        b += text_;
        b += R"(","team":")";
        b += kTeam;
        b += R"(","blocks":[{"type":"rich_text","block_id":")";
        append_base36(b, n % (36 * 36 * 36), 3);
        b += R"(","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":")";
        b += text_;
        b += R"("}]}]}],"channel":"D)";
        append_base36(b, user, 8);
        b += R"(","event_ts":")";
        b += ts_msg;
        b += R"(","channel_type":"im"},"type":"event_callback","event_id":")";
        event_id_ = "Ev";
        append_base36(event_id_, run_id_ % (36ULL * 36 * 36 * 36), 4);
        append_base36(event_id_, n, 8);
        b += event_id_;
        b += R"(","event_time":)";
        append_u64(b, unix_s);
        b += R"(,"authorizations":[{"enterprise_id":null,"team_id":")";
        b += kTeam;
        b += R"(","user_id":")";
        b += kBotUser;
        b += R"(","is_bot":true,"is_enterprise_install":false}],"is_ext_shared_channel":false,)"
             R"("event_context":"4-eyJldCI6Im1lc3NhZ2UiLCJ0aWQiOiJUQkVOQ0gwMDAxIiwiYWlkIjoiQUJFTkNIMDAwMSJ9"})";

        // The X-Slack-Request-Timestamp is the send time, independent of the message ts.
        char ts_hdr[24];
        auto r = std::to_chars(ts_hdr, ts_hdr + sizeof ts_hdr, unix_s);
        std::string_view ts(ts_hdr, size_t(r.ptr - ts_hdr));
        char sig[67];
        signer_.sign(ts, b, sig);

        out.clear();
        out += head_;
        out += ts;
        out += "\r\nX-Slack-Signature: ";
        out.append(sig, sizeof sig);
        out += "\r\nContent-Length: ";
        append_u64(out, b.size());
        out += "\r\n\r\n";
        out += b;
    }

private:
    Signer signer_;
    uint32_t users_;
    std::string text_;
    uint64_t run_id_ = 0;
    uint64_t counter_ = 0;
    std::string head_;
    std::string body_;
    std::string event_id_;
};

// ---------------------------------------------------------------- response parsing

struct Parsed {
    enum Kind { Incomplete, Complete, Error, UntilClose } kind = Incomplete;
    int status = 0;
    size_t consumed = 0;  // bytes of this response (Complete)
    bool close = false;   // server will close after this response
};

// Parses one HTTP/1.1 response at the start of `in`. Content-Length, chunked, bodiless
// statuses and (HTTP/1.0 style) close-delimited bodies; enough for any server we point it at.
Parsed parse_response(std::string_view in) {
    Parsed p;
    size_t hend = in.find("\r\n\r\n");
    if (hend == std::string_view::npos) {
        if (in.size() > 64 * 1024) p.kind = Parsed::Error;
        return p;
    }
    std::string_view head = in.substr(0, hend);
    size_t eol = head.find("\r\n");
    std::string_view status_line = head.substr(0, eol);
    // "HTTP/1.1 200 OK"
    if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0 || status_line[8] != ' ') {
        p.kind = Parsed::Error;
        return p;
    }
    bool http10 = status_line.compare(0, 8, "HTTP/1.0") == 0;
    auto [sp, sec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, p.status);
    if (sec != std::errc() || sp != status_line.data() + 12) {
        p.kind = Parsed::Error;
        return p;
    }

    bool chunked = false, keep_alive_header = false;
    std::optional<size_t> content_length;
    size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
    while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        std::string_view line = head.substr(pos, e == std::string_view::npos ? std::string_view::npos : e - pos);
        pos = e == std::string_view::npos ? head.size() : e + 2;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view name = line.substr(0, colon);
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        if (iequals(name, "content-length")) {
            size_t v = 0;
            auto [q, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
            if (ec != std::errc() || q != value.data() + value.size()) {
                p.kind = Parsed::Error;
                return p;
            }
            content_length = v;
        } else if (iequals(name, "transfer-encoding")) {
            chunked = icontains(value, "chunked");
        } else if (iequals(name, "connection")) {
            if (icontains(value, "close")) p.close = true;
            if (icontains(value, "keep-alive")) keep_alive_header = true;
        }
    }
    if (http10 && !keep_alive_header) p.close = true;

    size_t body = hend + 4;
    if ((p.status >= 100 && p.status < 200) || p.status == 204 || p.status == 304) {
        p.kind = Parsed::Complete;
        p.consumed = body;
        return p;
    }
    if (chunked) {
        size_t at = body;
        for (;;) {
            size_t le = in.find("\r\n", at);
            if (le == std::string_view::npos) return p;  // incomplete
            size_t size = 0;
            auto [q, ec] = std::from_chars(in.data() + at, in.data() + le, size, 16);
            if (ec != std::errc() || q == in.data() + at) {
                p.kind = Parsed::Error;
                return p;
            }
            at = le + 2;
            if (size == 0) {
                // Optional trailers, then an empty line.
                if (in.size() >= at + 2 && in.compare(at, 2, "\r\n") == 0) {
                    p.kind = Parsed::Complete;
                    p.consumed = at + 2;
                } else if (size_t t = in.find("\r\n\r\n", at); t != std::string_view::npos) {
                    p.kind = Parsed::Complete;
                    p.consumed = t + 4;
                }
                return p;
            }
            if (in.size() < at + size + 2) return p;  // incomplete
            if (in.compare(at + size, 2, "\r\n") != 0) {
                p.kind = Parsed::Error;
                return p;
            }
            at += size + 2;
        }
    }
    if (content_length) {
        if (in.size() >= body + *content_length) {
            p.kind = Parsed::Complete;
            p.consumed = body + *content_length;
        }
        return p;
    }
    p.kind = Parsed::UntilClose;  // no length: the body ends when the server closes
    p.close = true;
    return p;
}

// ---------------------------------------------------------------- the load loop

struct Conn {
    int fd = -1;
    bool connecting = false;
    bool in_flight = false;
    bool until_close = false;  // response body is close-delimited
    uint64_t start_ns = 0;     // when the in-flight request started
    uint64_t retry_at_ns = 0;  // reconnect time after an error (0 = none pending)
    std::string out;
    size_t out_off = 0;
    std::string in;
    int until_close_status = 0;
    std::string event_id;  // of the request in flight
};

struct Stats {
    uint64_t requests = 0, ok = 0, non_2xx = 0, errors = 0;
    std::map<int, uint64_t> status;
    std::vector<uint64_t> latency_ns;
};

class Load {
public:
    Load(const Options& o, const Url& u, RequestFactory& f) : o_(o), factory_(f), conns_(size_t(o.connections)) {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* res = nullptr;
        if (int rc = getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res); rc != 0)
            die("cannot resolve " + u.host + ": " + gai_strerror(rc));
        std::memcpy(&addr_, res->ai_addr, res->ai_addrlen);
        addrlen_ = res->ai_addrlen;
        family_ = res->ai_family;
        freeaddrinfo(res);
        ep_ = epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0) die("epoll_create1 failed");
        stats_.latency_ns.reserve(1 << 20);
    }

    void run() {
        const uint64_t t0 = now_ns();
        const uint64_t warm_end = t0 + uint64_t(o_.warmup_s * 1e9);
        for (size_t i = 0; i < conns_.size(); ++i) open_conn(i);

        bool measuring = false;
        uint64_t measure_end = 0, last_scan = t0;
        std::vector<epoll_event> events(conns_.size() + 1);
        for (;;) {
            uint64_t now = now_ns();
            if (!measuring && now >= warm_end) {
                // Start of the measured window: everything before was warm-up (JIT, caches,
                // connection set-up) and is discarded, including requests still in flight.
                measuring = true;
                stats_ = Stats{};
                stats_.latency_ns.reserve(1 << 20);
                window_start_ = now;
                measure_end = o_.duration_s > 0 ? now + uint64_t(o_.duration_s * 1e9) : UINT64_MAX;
                cpu_start_ = o_.cpu_pid ? proc_cpu_ticks(o_.cpu_pid) : std::nullopt;
                if (o_.cpu_pid && !cpu_start_) die("cannot read /proc/" + std::to_string(o_.cpu_pid) + "/stat");
                self_cpu_start_ = process_cpu_s();
            }
            if (measuring && (now >= measure_end || (o_.requests && stats_.requests >= o_.requests))) {
                window_end_ = now;
                break;
            }
            // Timeouts and reconnect back-off are checked every 10 ms, not per event.
            if (now - last_scan >= 10'000'000) {
                last_scan = now;
                scan_timers(now);
            }
            uint64_t next = measuring ? measure_end : warm_end;
            int wait_ms = next == UINT64_MAX ? 10 : int(std::min<uint64_t>(10, (next - std::min(next, now)) / 1'000'000));
            int n = epoll_wait(ep_, events.data(), int(events.size()), wait_ms);
            if (n < 0) {
                if (errno == EINTR) continue;
                die(std::string("epoll_wait: ") + std::strerror(errno));
            }
            for (int k = 0; k < n; ++k) handle(size_t(events[k].data.u64), events[k].events);
        }
        cpu_end_ = o_.cpu_pid ? proc_cpu_ticks(o_.cpu_pid) : std::nullopt;
        self_cpu_end_ = process_cpu_s();
        for (auto& c : conns_) {
            if (c.in_flight) ++in_flight_at_end_;
            if (c.fd >= 0) close(c.fd);
        }
    }

    void print_json() {
        const double dur = double(window_end_ - window_start_) / 1e9;
        auto& lat = stats_.latency_ns;
        auto pct = [&](double q) -> double {
            if (lat.empty()) return 0;
            size_t idx = size_t(q * double(lat.size()));  // nearest-rank
            if (idx >= lat.size()) idx = lat.size() - 1;
            std::nth_element(lat.begin(), lat.begin() + long(idx), lat.end());
            return double(lat[idx]) / 1000.0;
        };
        double p50 = pct(0.50), p90 = pct(0.90), p99 = pct(0.99);
        double mx = lat.empty() ? 0 : double(*std::max_element(lat.begin(), lat.end())) / 1000.0;

        std::string s = "{";
        auto kv = [&](const char* k, const std::string& v) {
            if (s.size() > 1) s += ',';
            s += '"';
            s += k;
            s += "\":";
            s += v;
        };
        auto f = [](double v, int prec) {
            char b[64];
            std::snprintf(b, sizeof b, "%.*f", prec, v);
            return std::string(b);
        };
        kv("connections", std::to_string(o_.connections));
        kv("duration_s", f(dur, 3));
        kv("requests", std::to_string(stats_.requests));
        kv("ok", std::to_string(stats_.ok));
        kv("non_2xx", std::to_string(stats_.non_2xx));
        kv("errors", std::to_string(stats_.errors));
        kv("rps", f(dur > 0 ? double(stats_.requests) / dur : 0, 1));
        kv("ok_rps", f(dur > 0 ? double(stats_.ok) / dur : 0, 1));
        kv("latency_us", "{\"p50\":" + f(p50, 1) + ",\"p90\":" + f(p90, 1) + ",\"p99\":" + f(p99, 1) +
                             ",\"max\":" + f(mx, 1) + "}");
        std::string st = "{";
        for (auto& [code, count] : stats_.status) {
            if (st.size() > 1) st += ',';
            st += "\"" + std::to_string(code) + "\":" + std::to_string(count);
        }
        kv("status", st + "}");
        // The whole run, warm-up included: what a soak run reconciles with the server.
        kv("total", "{\"ok\":" + std::to_string(total_ok_) + ",\"failed\":" + std::to_string(total_failed_) +
                        ",\"errors\":" + std::to_string(total_errors_) +
                        ",\"in_flight_at_end\":" + std::to_string(in_flight_at_end_) + "}");
        // The generator's own CPU in the window: near duration_s means it was the bottleneck.
        kv("client_cpu_s", f(self_cpu_end_ - self_cpu_start_, 3));
        kv("client_cpu_us_per_request",
           f(stats_.requests ? (self_cpu_end_ - self_cpu_start_) * 1e6 / double(stats_.requests) : 0, 2));
        if (o_.cpu_pid) {
            if (!cpu_start_ || !cpu_end_) die("cannot read /proc/" + std::to_string(o_.cpu_pid) + "/stat");
            const double cpu_s = double(*cpu_end_ - *cpu_start_) / double(sysconf(_SC_CLK_TCK));
            kv("server_cpu_s", f(cpu_s, 3));
            // Per acknowledged (2xx) request: the figure that stays meaningful when the two
            // shared cores, not the server, limit throughput.
            kv("server_cpu_us_per_request", f(stats_.ok ? cpu_s * 1e6 / double(stats_.ok) : 0, 2));
        }
        if (o_.rss_pid) {
            auto rss = proc_rss_kib(o_.rss_pid);
            if (!rss) die("cannot read /proc/" + std::to_string(o_.rss_pid) + "/status");
            kv("server_rss_kib", std::to_string(*rss));
        }
        s += "}\n";
        std::fputs(s.c_str(), stdout);
    }

private:
    void open_conn(size_t i) {
        Conn& c = conns_[i];
        c = Conn{};
        c.start_ns = now_ns();  // for the connect timeout
        c.fd = socket(family_, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c.fd < 0) die(std::string("socket: ") + std::strerror(errno));
        int one = 1;
        // One small request at a time per connection: Nagle would only add delay.
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        epoll_event ev{};
        ev.data.u64 = i;
        if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr_), addrlen_) == 0) {
            ev.events = EPOLLIN;
            epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
            send_next(i);
        } else if (errno == EINPROGRESS) {
            c.connecting = true;
            ev.events = EPOLLOUT;
            epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
        } else {
            fail(i, now_ns());
        }
    }

    // Drop the connection after a failure (connect refused, reset, timeout, malformed or
    // unexpected response) and schedule a reconnect. Failures seen inside the measured window
    // count in "errors"; "requests" only counts requests that got an HTTP response.
    void fail(size_t i, uint64_t now) {
        Conn& c = conns_[i];
        if (window_start_ != 0) ++stats_.errors;
        if (c.in_flight) ++total_errors_;
        if (c.fd >= 0) close(c.fd);
        c.fd = -1;
        c.in_flight = false;
        c.connecting = false;
        c.retry_at_ns = now + 10'000'000;  // 10 ms back-off so a dead server is not spun on
    }

    void recycle(size_t i) {  // orderly close by the server after a complete response
        Conn& c = conns_[i];
        close(c.fd);
        c.fd = -1;
        open_conn(i);
    }

    void scan_timers(uint64_t now) {
        const uint64_t timeout = uint64_t(o_.timeout_s * 1e9);
        for (size_t i = 0; i < conns_.size(); ++i) {
            Conn& c = conns_[i];
            if (c.fd < 0 && c.retry_at_ns && now >= c.retry_at_ns) open_conn(i);
            else if (c.fd >= 0 && (c.in_flight || c.connecting) && timeout && now - c.start_ns > timeout) fail(i, now);
        }
    }

    void send_next(size_t i) {
        Conn& c = conns_[i];
        factory_.next(c.out);
        c.event_id = factory_.event_id();
        c.out_off = 0;
        c.in.clear();
        c.in_flight = true;
        c.start_ns = now_ns();  // latency = send start -> full response parsed
        flush(i);
    }

    void flush(size_t i) {
        Conn& c = conns_[i];
        while (c.out_off < c.out.size()) {
            ssize_t w = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
            if (w > 0) {
                c.out_off += size_t(w);
            } else if (w < 0 && errno == EAGAIN) {
                // Rare with ~1.3 KiB requests: wait for writability, then resume.
                epoll_event ev{};
                ev.events = EPOLLIN | EPOLLOUT;
                ev.data.u64 = i;
                epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
                return;
            } else if (w < 0 && errno == EINTR) {
                continue;
            } else {
                fail(i, now_ns());
                return;
            }
        }
    }

    void handle(size_t i, uint32_t events) {
        Conn& c = conns_[i];
        if (c.fd < 0) return;
        if (c.connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
                fail(i, now_ns());
                return;
            }
            c.connecting = false;
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = i;
            epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
            send_next(i);
            return;
        }
        if (events & EPOLLOUT) {
            flush(i);
            if (c.fd >= 0 && c.out_off == c.out.size()) {
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u64 = i;
                epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
            }
            if (c.fd < 0 || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
        }
        char buf[16384];
        ssize_t r = recv(c.fd, buf, sizeof buf, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
        const uint64_t now = now_ns();
        if (r <= 0) {
            if (r == 0 && c.in_flight && c.until_close) {
                complete(i, c.until_close_status, now);
                recycle(i);
                return;
            }
            if (r == 0 && !c.in_flight) {  // idle keep-alive connection closed: just reopen
                recycle(i);
                return;
            }
            fail(i, now);
            return;
        }
        if (!c.in_flight) {  // bytes nobody asked for
            fail(i, now);
            return;
        }
        c.in.append(buf, size_t(r));
        if (c.until_close) return;
        Parsed p = parse_response(c.in);
        switch (p.kind) {
            case Parsed::Incomplete:
                return;
            case Parsed::Error:
                fail(i, now);
                return;
            case Parsed::UntilClose:
                c.until_close = true;
                c.until_close_status = p.status;
                return;
            case Parsed::Complete:
                break;
        }
        if (p.consumed != c.in.size()) {  // we never pipeline, so extra bytes are a protocol error
            fail(i, now);
            return;
        }
        complete(i, p.status, now);
        if (p.close) recycle(i);
        else send_next(i);
    }

    void complete(size_t i, int status, uint64_t now) {
        Conn& c = conns_[i];
        c.in_flight = false;
        if (status >= 200 && status < 300) {
            ++total_ok_;
            if (acked_) std::fprintf(acked_, "%s\n", c.event_id.c_str());
        } else {
            ++total_failed_;
        }
        // Only requests that started inside the measured window count.
        if (window_start_ == 0 || c.start_ns < window_start_) return;
        ++stats_.requests;
        ++stats_.status[status];
        if (status >= 200 && status < 300) ++stats_.ok;
        else ++stats_.non_2xx;
        stats_.latency_ns.push_back(now - c.start_ns);
    }

public:
    void set_acked_file(std::FILE* f) { acked_ = f; }

private:
    const Options& o_;
    RequestFactory& factory_;
    std::FILE* acked_ = nullptr;
    uint64_t total_ok_ = 0, total_failed_ = 0, total_errors_ = 0, in_flight_at_end_ = 0;
    std::vector<Conn> conns_;
    sockaddr_storage addr_{};
    socklen_t addrlen_ = 0;
    int family_ = AF_INET;
    int ep_ = -1;
    Stats stats_;
    uint64_t window_start_ = 0, window_end_ = 0;
    std::optional<uint64_t> cpu_start_, cpu_end_;
    double self_cpu_start_ = 0, self_cpu_end_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    Options o = parse_options(argc, argv);

    if (o.sign) {
        std::ifstream f(o.sign->second, std::ios::binary);
        if (!f) die("cannot read " + o.sign->second);
        std::string body((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        Signer s(o.secret);
        char sig[67];
        s.sign(o.sign->first, body, sig);
        std::printf("%.*s\n", 67, sig);
        return 0;
    }

    Url u = parse_url(o.url);
    RequestFactory factory(o, u);
    Load load(o, u, factory);
    std::FILE* acked = nullptr;
    if (!o.acked_file.empty()) {
        acked = std::fopen(o.acked_file.c_str(), "w");
        if (!acked) die("cannot write " + o.acked_file);
        load.set_acked_file(acked);
    }
    load.run();
    if (acked) std::fclose(acked);
    load.print_json();
    return 0;
}
