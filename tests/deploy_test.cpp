// deploy/: the systemd unit passes `systemd-analyze verify`, the example environment
// names every variable of DESIGN §3 with a comment and its defaults pass --check-config,
// the Dockerfile's runtime stage installs every library the binary links, and the
// Kubernetes manifests hang together. Tools that are missing skip their part with a notice.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "test_support.hpp"

using mlpath::test::read_text;
using mlpath::test::run;
using mlpath::test::source_dir;
using mlpath::test::temp_dir;

namespace {

std::string deploy(const std::string& name) { return source_dir() + "/deploy/" + name; }

bool have(const std::string& tool) {
  return run({"/bin/sh", "-c", "command -v " + tool + " >/dev/null 2>&1"}).status == 0;
}

// The variables DESIGN §3 lists (its Environment table).
const std::vector<std::string> design_variables = {
    "MLPATH_DB",          "MLPATH_PUBLIC_URL",   "MLPATH_LOG_FORMAT",   "MLPATH_LISTEN",
    "MLPATH_LOG_LEVEL",   "MLPATH_CONTENT_DIR",  "MLPATH_CA_FILE",      "MLPATH_DURABILITY",
    "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN",   "SLACK_APP_TOKEN",     "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",  "SLACK_API_URL",     "DISCORD_BOT_TOKEN",   "DISCORD_APPLICATION_ID",
    "DISCORD_PUBLIC_KEY",   "DISCORD_API_URL",   "DISCORD_SHARDS"};

}  // namespace

TEST_CASE("deploy/mlpath.service: hardened, restartable, and systemd-analyze verify finds nothing", "[deploy]") {
  std::string unit = read_text(deploy("mlpath.service"));
  for (const char* line : {"DynamicUser=yes", "StateDirectory=mlpath", "ProtectSystem=strict", "NoNewPrivileges=yes",
                           "Restart=on-failure", "EnvironmentFile=/etc/mlpath/mlpath.env", "ExecStart=/usr/local/bin/mlpath serve",
                           "RestartPreventExitStatus=2"}) {
    INFO(line);
    CHECK(unit.find(std::string("\n") + line + "\n") != std::string::npos);
  }
  if (!have("systemd-analyze")) {
    WARN("systemd-analyze not found: skipping `systemd-analyze verify deploy/mlpath.service`");
    return;
  }
  // The unit as installed, pointing at the binary just built (verify checks ExecStart).
  temp_dir dir;
  std::string local = std::regex_replace(unit, std::regex("/usr/local/bin/mlpath"), mlpath::test::mlpath_binary());
  mlpath::test::write_text(dir.path() / "mlpath.service", local);
  auto r = run({"/bin/sh", "-c", "systemd-analyze verify " + (dir.path() / "mlpath.service").string() + " 2>&1"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.empty());  // warnings ("Unknown key", "Failed to parse") are failures too
}

TEST_CASE("deploy/mlpath.env.example: every DESIGN §3 variable with a comment, its defaults valid", "[deploy]") {
  std::string text = read_text(deploy("mlpath.env.example"));
  std::vector<std::string> names = design_variables;
  // Where the design document is at hand, its table is the list.
  std::string design_path = source_dir() + "/../shared/DESIGN.md";
  if (std::filesystem::exists(design_path)) {
    std::string design = read_text(design_path);
    auto env = design.find("### Environment");
    REQUIRE(env != std::string::npos);
    auto end = design.find("\nSlack runs in", env);
    std::string table = design.substr(env, end - env);
    static const std::regex var("`((MLPATH|SLACK|DISCORD)_[A-Z_]+)`");
    std::set<std::string> found;
    for (auto it = std::sregex_iterator(table.begin(), table.end(), var); it != std::sregex_iterator(); ++it)
      found.insert((*it)[1]);
    for (const auto& n : found) {
      INFO("DESIGN names " << n);
      CHECK(std::find(design_variables.begin(), design_variables.end(), n) != design_variables.end());
    }
    names.assign(found.begin(), found.end());
  }
  std::istringstream lines(text);
  std::vector<std::string> all;
  for (std::string l; std::getline(lines, l);) all.push_back(l);
  std::vector<std::string> defaults;
  for (const auto& name : names) {
    INFO(name);
    bool listed = false;
    for (std::size_t i = 0; i < all.size(); ++i) {
      const std::string& l = all[i];
      std::string bare = l.rfind("# ", 0) == 0 ? l.substr(2) : l;
      if (bare.rfind(name + "=", 0) != 0) continue;
      listed = true;
      // A comment above explains it (companions may share one: SLACK_CLIENT_ID, _SECRET).
      static const std::regex setting(R"(^#? ?[A-Z][A-Z_]+=.*)");
      std::size_t j = i;
      while (j > 0 && std::regex_match(all[j - 1], setting)) --j;
      CHECK(j > 0);
      if (j > 0) CHECK(all[j - 1].rfind("# ", 0) == 0);
      std::string value = bare.substr(name.size() + 1);
      if (!value.empty() && value != "xoxb-" && value != "xapp-" && name.rfind("MLPATH_", 0) == 0 &&
          name != "MLPATH_DB" && name != "MLPATH_CONTENT_DIR" && name != "MLPATH_CA_FILE")
        defaults.push_back(bare);
    }
    CHECK(listed);
  }
  // No variable is set empty (a set, empty variable stops start-up).
  for (const auto& l : all) {
    INFO(l);
    if (l.empty() || l[0] == '#') continue;
    CHECK(l.back() != '=');
  }
  temp_dir dir;
  defaults.push_back("MLPATH_DB=" + dir.file("env.db"));
  auto r = run({mlpath::test::mlpath_binary(), "serve", "--check-config"}, "", defaults);
  INFO(r.out << r.err);
  CHECK(r.status == 0);
}

TEST_CASE("deploy/Dockerfile: built by install-deps.sh, non-root, a volume, a health check, every library it links",
          "[deploy]") {
  std::string df = read_text(deploy("Dockerfile"));
  CHECK(std::count(df.begin(), df.end(), '\n') > 10);
  static const std::regex from(R"(\nFROM debian:12-slim)");
  CHECK(std::distance(std::sregex_iterator(df.begin(), df.end(), from), std::sregex_iterator()) == 2);
  CHECK(df.find("./deploy/install-deps.sh --build") != std::string::npos);
  CHECK(df.find("\nUSER mlpath:mlpath\n") != std::string::npos);
  CHECK(df.find("VOLUME [\"/var/lib/mlpath\"]") != std::string::npos);
  CHECK(df.find("MLPATH_DB=/var/lib/mlpath/mlpath.db") != std::string::npos);
  CHECK(df.find("HEALTHCHECK") != std::string::npos);
  CHECK(df.find("/healthz") != std::string::npos);
  CHECK(df.find("MLPATH_LISTEN=0.0.0.0:3000") != std::string::npos);
  // Every shared library the binary needs comes from a package the runtime stage installs.
  if (!have("ldd") || !have("dpkg")) {
    WARN("ldd or dpkg not found: skipping the runtime library check of deploy/Dockerfile");
    return;
  }
  auto libs = run({"/bin/sh", "-c",
                   "ldd " + mlpath::test::mlpath_binary() +
                       " | awk '/=>/ {print $3}' | xargs -r readlink -f | xargs -r dpkg -S 2>/dev/null | cut -d: -f1 | sort -u"});
  REQUIRE(libs.status == 0);
  std::istringstream pkgs(libs.out);
  int n = 0;
  for (std::string p; std::getline(pkgs, p);) {
    if (p.empty() || p == "libc6" || p == "libgcc-s1" || p == "libstdc++6") continue;  // in every Debian image
    ++n;
    INFO("package " << p);
    CHECK(df.find(" " + p + " ") != std::string::npos);
  }
  CHECK(n >= 5);
}

TEST_CASE("deploy/kubernetes: one replica recreated, probes on /healthz and /readyz, requests and limits", "[deploy]") {
  if (!have("python3") || run({"python3", "-c", "import yaml"}).status != 0) {
    WARN("python3 with PyYAML not found: skipping the Kubernetes manifest check");
    return;
  }
  // YAML to JSON, one document per manifest, in kustomization order.
  std::string script =
      "import json, sys, yaml, os\n"
      "d = sys.argv[1]\n"
      "k = yaml.safe_load(open(os.path.join(d, 'kustomization.yaml')))\n"
      "print(json.dumps([yaml.safe_load(open(os.path.join(d, f))) for f in k['resources']]))\n";
  auto r = run({"python3", "-c", script, deploy("kubernetes")});
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto docs = boost::json::parse(r.out).as_array();
  std::map<std::string, boost::json::object> by_kind;
  for (auto& d : docs) by_kind[std::string(d.at("kind").as_string())] = d.as_object();
  REQUIRE(by_kind.count("Deployment"));
  REQUIRE(by_kind.count("Service"));
  REQUIRE(by_kind.count("PersistentVolumeClaim"));
  REQUIRE(by_kind.count("Secret"));
  auto& dep = by_kind["Deployment"];
  CHECK(dep.at("spec").at("replicas") == 1);
  CHECK(dep.at("spec").at("strategy").at("type") == "Recreate");
  auto& pod = dep.at("spec").at("template").at("spec").as_object();
  auto& c = pod.at("containers").as_array().at(0).as_object();
  CHECK(c.at("livenessProbe").at("httpGet").at("path") == "/healthz");
  CHECK(c.at("readinessProbe").at("httpGet").at("path") == "/readyz");
  CHECK(c.at("resources").at("requests").as_object().contains("memory"));
  CHECK(c.at("resources").at("requests").as_object().contains("cpu"));
  CHECK(c.at("resources").at("limits").as_object().contains("memory"));
  CHECK(c.at("envFrom").at(0).at("secretRef").at("name") == by_kind["Secret"].at("metadata").at("name"));
  bool data_volume = false;
  for (auto& v : pod.at("volumes").as_array())
    if (v.as_object().contains("persistentVolumeClaim"))
      data_volume = v.at("persistentVolumeClaim").at("claimName") == by_kind["PersistentVolumeClaim"].at("metadata").at("name");
  CHECK(data_volume);
  CHECK(pod.at("securityContext").at("runAsNonRoot") == true);
  CHECK(by_kind["Service"].at("spec").at("ports").at(0).at("targetPort") == c.at("ports").at(0).at("name"));
  CHECK(pod.at("terminationGracePeriodSeconds").to_number<int>() >= 10);
}
