// interaction_load: a small HTTP/1.1 load generator for Discord's POST /discord/interactions.
//
// Built like bench/slack_load.cpp (one thread, epoll, keep-alive connections, one request in
// flight per connection, latency percentiles over a measured window after a warm-up, the
// server's CPU from /proc/PID/stat), but every request is what Discord sends when someone
// presses a button: a MESSAGE_COMPONENT interaction (type 3), freshly signed with Ed25519
// (OpenSSL EVP, raw private key) over X-Signature-Timestamp + body, with a unique interaction
// id and token. Replaying pre-signed requests would measure mlpath's "duplicate interaction"
// path instead of a real turn.
//
// The press: the Start button (custom_id "cmd:start", --custom-id) of the public share card a
// mentor posted in a server channel (mlpath's render_share_card: an embed and one button),
// pressed by --users rotating members. In mlpath each press is a dialog turn: the first one
// per member starts a private flow, later ones show where that member is (an ephemeral
// callback, type 4 with flags 64). The body follows the fields of
// shared/fixtures/discord/interactions/message_component.button.guild.json plus the current
// ones (app_permissions, locale, guild, channel, context, authorizing_integration_owners,
// attachment_size_limit, entitlements).
//
// Build: cmake --build build --target interaction_load -j1
// Usage: interaction_load --url http://127.0.0.1:PORT/discord/interactions --private-key HEX64
//                         [--connections 10] [--duration 10] [--requests N] [--warmup 2]
//                         [--timeout 10] [--users 1000] [--custom-id cmd:start]
//                         [--cpu-pid PID] [--rss-pid PID] [--no-preflight]
//        interaction_load --keygen        prints "PRIVATE_KEY_HEX PUBLIC_KEY_HEX" (a fresh pair)
//        interaction_load --self-test     checks the signer against RFC 8032's test vector 1
// Before the load (unless --no-preflight) it checks the endpoint once with a bad signature
// (must be 401) and once with a signed PING (must be 200 {"type":1}).
// Output: one JSON object on stdout; diagnostics on stderr.

#include <openssl/evp.h>
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
    std::fprintf(stderr, "interaction_load: %s\n", msg.c_str());
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
    std::string private_key;  // 64 hex digits: the raw 32-byte Ed25519 seed
    int connections = 10;
    double duration_s = 10;  // 0 = no time limit (then --requests must be set)
    uint64_t requests = 0;   // 0 = no request limit
    double warmup_s = 2;
    double timeout_s = 10;
    uint32_t users = 1000;
    std::string custom_id = "cmd:start";
    int cpu_pid = 0;
    int rss_pid = 0;
    bool preflight = true;
    bool keygen = false;
    bool self_test = false;
};

void usage() {
    std::fputs(
        "usage: interaction_load --url http://HOST:PORT/discord/interactions --private-key HEX64\n"
        "                        [--connections N] [--duration SECONDS] [--requests N] [--warmup SECONDS]\n"
        "                        [--timeout SECONDS] [--users N] [--custom-id ID] [--cpu-pid PID] [--rss-pid PID]\n"
        "                        [--no-preflight]\n"
        "       interaction_load --keygen | --self-test\n",
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
        else if (a == "--private-key") o.private_key = need(i);
        else if (a == "--connections") o.connections = int(num(need(i), "--connections"));
        else if (a == "--duration") { o.duration_s = num(need(i), "--duration"); duration_given = true; }
        else if (a == "--requests") o.requests = uint64_t(num(need(i), "--requests"));
        else if (a == "--warmup") o.warmup_s = num(need(i), "--warmup");
        else if (a == "--timeout") o.timeout_s = num(need(i), "--timeout");
        else if (a == "--users") o.users = uint32_t(num(need(i), "--users"));
        else if (a == "--custom-id") o.custom_id = need(i);
        else if (a == "--cpu-pid") o.cpu_pid = int(num(need(i), "--cpu-pid"));
        else if (a == "--rss-pid") o.rss_pid = int(num(need(i), "--rss-pid"));
        else if (a == "--no-preflight") o.preflight = false;
        else if (a == "--keygen") o.keygen = true;
        else if (a == "--self-test") o.self_test = true;
        else if (a == "-h" || a == "--help") { usage(); std::exit(0); }
        else { usage(); die("unknown option " + a); }
    }
    if (o.keygen || o.self_test) return o;
    if (o.private_key.size() != 64 || o.private_key.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        die("--private-key must be 64 hex digits (the raw Ed25519 private key; see --keygen)");
    if (o.url.empty()) die("--url is required");
    if (o.connections < 1) die("--connections must be at least 1");
    if (o.users < 1) die("--users must be at least 1");
    if (o.custom_id.empty() || o.custom_id.size() > 100) die("--custom-id must be 1-100 characters");
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

std::string to_hex(const unsigned char* p, size_t n) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string s(2 * n, '0');
    for (size_t i = 0; i < n; ++i) {
        s[2 * i] = hex[p[i] >> 4];
        s[2 * i + 1] = hex[p[i] & 15];
    }
    return s;
}

std::string from_hex(std::string_view h) {
    auto val = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (h.size() % 2) die("odd-length hex");
    std::string out(h.size() / 2, '\0');
    for (size_t i = 0; i < out.size(); ++i) {
        int a = val(h[2 * i]), b = val(h[2 * i + 1]);
        if (a < 0 || b < 0) die("not hex: " + std::string(h));
        out[i] = char(a * 16 + b);
    }
    return out;
}

// Ed25519 with a raw 32-byte private key, as Discord signs interactions: the signature covers
// X-Signature-Timestamp followed by the raw body. One-shot EVP_DigestSign (no digest for
// Ed25519); the context is reset and re-initialised per request.
class Signer {
public:
    explicit Signer(const std::string& private_key_hex) {
        std::string seed = from_hex(private_key_hex);
        key_ = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
        ctx_ = EVP_MD_CTX_new();
        if (!key_ || !ctx_) die("cannot load the Ed25519 private key");
    }
    ~Signer() {
        EVP_MD_CTX_free(ctx_);
        EVP_PKEY_free(key_);
    }
    Signer(const Signer&) = delete;
    Signer& operator=(const Signer&) = delete;

    std::string public_key_hex() const {
        unsigned char pub[32];
        size_t len = sizeof pub;
        if (EVP_PKEY_get_raw_public_key(key_, pub, &len) != 1 || len != 32) die("cannot derive the public key");
        return to_hex(pub, len);
    }

    // Writes 128 lowercase hex digits into out.
    void sign(std::string_view message, char* out) {
        unsigned char sig[64];
        size_t len = sizeof sig;
        EVP_MD_CTX_reset(ctx_);
        if (EVP_DigestSignInit(ctx_, nullptr, nullptr, nullptr, key_) != 1 ||
            EVP_DigestSign(ctx_, sig, &len, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
            len != 64)
            die("Ed25519 signing failed");
        static constexpr char hex[] = "0123456789abcdef";
        for (int i = 0; i < 64; ++i) {
            out[2 * i] = hex[sig[i] >> 4];
            out[2 * i + 1] = hex[sig[i] & 15];
        }
    }

private:
    EVP_PKEY* key_ = nullptr;
    EVP_MD_CTX* ctx_ = nullptr;
};

// RFC 8032 section 7.1, TEST 1 (empty message).
bool self_test() {
    const std::string sk = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const std::string pk = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const std::string expected =
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
    Signer s(sk);
    char sig[128];
    s.sign("", sig);
    bool ok = s.public_key_hex() == pk && std::string(sig, 128) == expected;
    std::fprintf(stderr, "interaction_load: RFC 8032 test 1: %s\n", ok ? "ok" : "MISMATCH");
    return ok;
}

void keygen() {
    unsigned char seed[32];
    if (RAND_bytes(seed, sizeof seed) != 1) die("RAND_bytes failed");
    std::string sk = to_hex(seed, sizeof seed);
    Signer s(sk);
    std::printf("%s %s\n", sk.c_str(), s.public_key_hex().c_str());
}

// ---------------------------------------------------------------- request building

// The server, channel and application of the press (mlpath never checks these against
// anything but the signature). Snowflakes shaped like Discord's.
constexpr std::string_view kApp = "1045812384758349824";
constexpr std::string_view kGuild = "1187654321098765312";
constexpr std::string_view kChannel = "1187654321098765315";
constexpr std::string_view kCard = "1301234567890123456";  // the share card message
constexpr uint64_t kFirstUser = 560661188019488714ULL;
constexpr uint64_t kDiscordEpochMs = 1420070400000ULL;
// The permissions string of an ordinary member and of the bot (64-bit values, as strings).
constexpr std::string_view kMemberPermissions = "2248473465835073";

// Builds signed requests: every press gets a unique interaction id (a snowflake from the
// current time and a counter) and token, and rotates over --users members.
class RequestFactory {
public:
    RequestFactory(const Options& o, const Url& u) : signer_(o.private_key), users_(o.users), custom_id_(json_escape(o.custom_id)) {
        unsigned char rnd[8];
        if (RAND_bytes(rnd, sizeof rnd) != 1) die("RAND_bytes failed");
        std::memcpy(&run_id_, rnd, sizeof run_id_);
        head_ = "POST " + u.path + " HTTP/1.1\r\nHost: " + u.host_header +
                "\r\nUser-Agent: Discord-Interactions/1.0 (+https://discord.com)"
                "\r\nAccept-Encoding: gzip\r\nContent-Type: application/json\r\nX-Signature-Ed25519: ";
        body_.reserve(4096);
        msg_.reserve(4096);
    }

    uint64_t sent() const { return counter_; }

    // Replaces `out` with the next press. bad_signature flips one bit of the signature.
    void next(std::string& out, bool bad_signature = false) {
        const uint64_t n = counter_++;
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        const uint64_t ms = uint64_t(now.tv_sec) * 1000 + uint64_t(now.tv_nsec) / 1'000'000;
        const uint64_t id = ((ms - kDiscordEpochMs) << 22) | (n & 0x3FFFFF);
        const uint32_t user = uint32_t(n % users_);

        std::string& b = body_;
        b.clear();
        b += R"({"app_permissions":"2248473465835073","application_id":")";
        b += kApp;
        b += R"(","attachment_size_limit":26214400,"authorizing_integration_owners":{"0":")";
        b += kGuild;
        b += R"("},"channel":{"flags":0,"guild_id":")";
        b += kGuild;
        b += R"(","id":")";
        b += kChannel;
        b += R"(","last_message_id":")";
        b += kCard;
        b += R"(","name":"ml-newcomers","nsfw":false,"parent_id":null,"permissions":")";
        b += kMemberPermissions;
        b += R"(","position":3,"rate_limit_per_user":0,"topic":"Say hi and ask anything about getting into ML","type":0},"channel_id":")";
        b += kChannel;
        b += R"(","context":0,"data":{"component_type":2,"custom_id":")";
        b += custom_id_;
        b += R"(","id":2},"entitlement_sku_ids":[],"entitlements":[],"guild":{"features":["COMMUNITY","NEWS"],"id":")";
        b += kGuild;
        b += R"(","locale":"en-US"},"guild_id":")";
        b += kGuild;
        b += R"(","guild_locale":"en-US","id":")";
        append_u64(b, id);
        b += R"(","locale":"en-GB","member":{"avatar":null,"banner":null,"communication_disabled_until":null,"deaf":false,)"
             R"("flags":0,"joined_at":"2024-03-01T10:00:00.000000+00:00","mute":false,"nick":null,"pending":false,"permissions":")";
        b += kMemberPermissions;
        b += R"(","premium_since":null,"roles":[],"unusual_dm_activity_until":null,"user":{"avatar":null,)"
             R"("avatar_decoration_data":null,"clan":null,"collectibles":null,"discriminator":"0","global_name":"Bench Person )";
        append_u64(b, user);
        b += R"(","id":")";
        append_u64(b, kFirstUser + uint64_t(user) * 4096);
        b += R"(","primary_guild":null,"public_flags":0,"username":"bench.person)";
        append_u64(b, user);
        // The share card as Discord shows it to the presser: mlpath's render_share_card.
        b += R"("}},"message":{"application_id":")";
        b += kApp;
        b += R"(","attachments":[],"author":{"avatar":null,"avatar_decoration_data":null,"bot":true,"clan":null,)"
             R"("collectibles":null,"discriminator":"6512","global_name":null,"id":")";
        b += kApp;
        b += R"(","primary_guild":null,"public_flags":524288,"username":"mlpath"},"channel_id":")";
        b += kChannel;
        b += R"(","components":[{"components":[{"custom_id":"cmd:start","id":2,"label":"Start my reflection","style":1,"type":2}],)"
             R"("id":1,"type":1}],"content":"","edited_timestamp":null,"embeds":[{"content_scan_version":0,)"
             R"("description":"A short, private reflection: what energises you, the workday you picture, the ML fields that )"
             R"(pull you and the experience you bring. You get ranked role matches with the reasons and a learning plan with )"
             R"(links. Only you see your answers.","title":"Find your path into machine learning","type":"rich"}],"flags":0,"id":")";
        b += kCard;
        b += R"(","interaction_metadata":{"authorizing_integration_owners":{"0":")";
        b += kGuild;
        b += R"("},"id":"1301234567890123400","name":"mlpath share","type":2,"user":{"avatar":null,"discriminator":"0",)"
             R"("global_name":"Mentor","id":"400000000000000001","public_flags":0,"username":"mentor"}},)"
             R"("mention_everyone":false,"mention_roles":[],"mentions":[],"pinned":false,"position":0,)"
             R"("timestamp":"2026-11-20T09:00:00.000000+00:00","tts":false,"type":20,"webhook_id":")";
        b += kApp;
        b += R"("},"token":")";
        // Interaction tokens are long opaque strings; unique per interaction.
        b += "aW50ZXJhY3Rpb246";
        append_u64(b, id);
        b += ':';
        append_hex(b, run_id_, 16);
        append_hex(b, n * 0x9E3779B97F4A7C15ULL, 16);
        b += R"(Zm9yIGJlbmNobWFya2luZyBvbmx5IC0gbm90IGEgcmVhbCB0b2tlbiBmcm9tIERpc2NvcmQgYXQgYWxs","type":3,"version":1})";

        char ts[24];
        auto r = std::to_chars(ts, ts + sizeof ts, uint64_t(now.tv_sec));
        std::string_view tsv(ts, size_t(r.ptr - ts));
        msg_.assign(tsv);
        msg_ += b;
        char sig[128];
        signer_.sign(msg_, sig);
        if (bad_signature) sig[0] = sig[0] == '0' ? '1' : '0';

        out.clear();
        out += head_;
        out.append(sig, sizeof sig);
        out += "\r\nX-Signature-Timestamp: ";
        out += tsv;
        out += "\r\nContent-Length: ";
        append_u64(out, b.size());
        out += "\r\n\r\n";
        out += b;
    }

    // A signed PING (type 1), as Discord sends when the endpoint URL is saved.
    void ping(std::string& out) {
        std::string b = R"({"application_id":")" + std::string(kApp) +
                        R"(","id":"1301234567890120000","token":"cGluZw","type":1,"user":{"id":"1","username":"discord"},"version":1})";
        std::string ts = std::to_string(std::time(nullptr));
        char sig[128];
        signer_.sign(ts + b, sig);
        out = head_;
        out.append(sig, sizeof sig);
        out += "\r\nX-Signature-Timestamp: " + ts + "\r\nContent-Length: " + std::to_string(b.size()) + "\r\n\r\n" + b;
    }

private:
    Signer signer_;
    uint32_t users_;
    std::string custom_id_;
    uint64_t run_id_ = 0;
    uint64_t counter_ = 0;
    std::string head_;
    std::string body_;
    std::string msg_;
};

// ---------------------------------------------------------------- response parsing

struct Parsed {
    enum Kind { Incomplete, Complete, Error, UntilClose } kind = Incomplete;
    int status = 0;
    size_t consumed = 0;  // bytes of this response (Complete)
    size_t body = 0;      // where the body starts
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
    p.body = body;
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
};

struct Stats {
    uint64_t requests = 0, ok = 0, non_2xx = 0, errors = 0;
    std::map<int, uint64_t> status;
    std::map<int, uint64_t> callback_types;
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
                busy_start_ = machine_busy_ticks();
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
        busy_end_ = machine_busy_ticks();
        for (auto& c : conns_)
            if (c.fd >= 0) close(c.fd);
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
        // Answered (2xx) presses per second: the headline figure.
        kv("presses_per_s", f(dur > 0 ? double(stats_.ok) / dur : 0, 1));
        kv("latency_us", "{\"p50\":" + f(p50, 1) + ",\"p90\":" + f(p90, 1) + ",\"p99\":" + f(p99, 1) +
                             ",\"max\":" + f(mx, 1) + "}");
        std::string st = "{";
        for (auto& [code, count] : stats_.status) {
            if (st.size() > 1) st += ',';
            st += "\"" + std::to_string(code) + "\":" + std::to_string(count);
        }
        kv("status", st + "}");
        std::string ct = "{";
        for (auto& [type, count] : stats_.callback_types) {
            if (ct.size() > 1) ct += ',';
            ct += "\"" + std::to_string(type) + "\":" + std::to_string(count);
        }
        kv("callback_types", ct + "}");
        // The generator's own CPU in the window: near duration_s means it was the bottleneck.
        kv("client_cpu_s", f(self_cpu_end_ - self_cpu_start_, 3));
        kv("client_cpu_us_per_press",
           f(stats_.requests ? (self_cpu_end_ - self_cpu_start_) * 1e6 / double(stats_.requests) : 0, 2));
        if (o_.cpu_pid) {
            if (!cpu_start_ || !cpu_end_) die("cannot read /proc/" + std::to_string(o_.cpu_pid) + "/stat");
            const double cpu_s = double(*cpu_end_ - *cpu_start_) / double(sysconf(_SC_CLK_TCK));
            kv("server_cpu_s", f(cpu_s, 3));
            // Per acknowledged (2xx) request: the figure that stays meaningful when the two
            // shared cores, not the server, limit throughput.
            kv("server_cpu_us_per_press", f(stats_.ok ? cpu_s * 1e6 / double(stats_.ok) : 0, 2));
            if (busy_start_ && busy_end_) {
                double other = double(*busy_end_ - *busy_start_) / double(sysconf(_SC_CLK_TCK)) - cpu_s -
                               (self_cpu_end_ - self_cpu_start_);
                kv("other_cpu_s", f(other > 0 ? other : 0, 2));
            }
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
                complete(i, c.until_close_status, now, {});
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
        complete(i, p.status, now, std::string_view(c.in).substr(p.body, p.consumed - p.body));
        if (p.close) recycle(i);
        else send_next(i);
    }

    void complete(size_t i, int status, uint64_t now, std::string_view body) {
        Conn& c = conns_[i];
        c.in_flight = false;
        if (status == 200 && !shown_body_) {
            shown_body_ = true;
            std::fprintf(stderr, "interaction_load: first answer: %.*s\n", int(std::min<size_t>(body.size(), 600)), body.data());
        }
        // Only requests that started inside the measured window count.
        if (window_start_ == 0 || c.start_ns < window_start_) return;
        ++stats_.requests;
        ++stats_.status[status];
        if (status >= 200 && status < 300) ++stats_.ok;
        else ++stats_.non_2xx;
        stats_.latency_ns.push_back(now - c.start_ns);
        // The interaction callback type mlpath answered with ({"type":4,...}: a message).
        if (status == 200) {
            int type = -1;
            if (size_t k = body.find("\"type\":"); k != std::string_view::npos)
                std::from_chars(body.data() + k + 7, body.data() + body.size(), type);
            ++stats_.callback_types[type];
        }
    }

    const Options& o_;
    RequestFactory& factory_;
    std::vector<Conn> conns_;
    sockaddr_storage addr_{};
    socklen_t addrlen_ = 0;
    int family_ = AF_INET;
    int ep_ = -1;
    Stats stats_;
    uint64_t window_start_ = 0, window_end_ = 0;
    std::optional<uint64_t> cpu_start_, cpu_end_, busy_start_, busy_end_;
    double self_cpu_start_ = 0, self_cpu_end_ = 0;
    bool shown_body_ = false;
};

}  // namespace

// ---------------------------------------------------------------- preflight

// One blocking request on a fresh connection: the status and body of the answer.
std::pair<int, std::string> request_once(const Url& u, const std::string& req) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res); rc != 0)
        die("cannot resolve " + u.host + ": " + gai_strerror(rc));
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        freeaddrinfo(res);
        die("cannot connect to " + u.host + ":" + u.port);
    }
    freeaddrinfo(res);
    for (size_t off = 0; off < req.size();) {
        ssize_t w = send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
        if (w <= 0) die("preflight: send failed");
        off += size_t(w);
    }
    std::string in;
    char buf[16384];
    for (;;) {
        Parsed p = parse_response(in);
        if (p.kind == Parsed::Complete) {
            close(fd);
            return {p.status, in.substr(p.body, p.consumed - p.body)};
        }
        if (p.kind == Parsed::Error) die("preflight: malformed response");
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0) {
            if (p.kind == Parsed::UntilClose) {
                close(fd);
                return {p.status, in.substr(p.body)};
            }
            die("preflight: no complete response");
        }
        in.append(buf, size_t(r));
    }
}

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    Options o = parse_options(argc, argv);
    if (o.self_test) return self_test() ? 0 : 1;
    if (o.keygen) {
        keygen();
        return 0;
    }

    Url u = parse_url(o.url);
    RequestFactory factory(o, u);
    if (o.preflight) {
        // Discord removes endpoints that accept bad signatures: check that first, then PING.
        std::string req;
        factory.next(req, true);
        auto [bad_status, bad_body] = request_once(u, req);
        if (bad_status != 401) die("preflight: a press with a bad signature got HTTP " + std::to_string(bad_status) + ", not 401");
        factory.ping(req);
        auto [ping_status, ping_body] = request_once(u, req);
        if (ping_status != 200 || ping_body.find("\"type\":1") == std::string::npos)
            die("preflight: a signed PING got HTTP " + std::to_string(ping_status) + " " + ping_body + " (wrong DISCORD_PUBLIC_KEY?)");
        std::fprintf(stderr, "interaction_load: preflight ok (bad signature -> 401, PING -> %s)\n", ping_body.c_str());
    }
    Load load(o, u, factory);
    load.run();
    load.print_json();
    return 0;
}
