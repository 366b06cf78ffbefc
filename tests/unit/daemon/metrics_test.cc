// metrics_test.cc — the Prometheus text rendering.
#include "daemon/metrics.h"

#include <gtest/gtest.h>

namespace idb::daemon {
namespace {

TEST(Metrics, RendersCountersWithLabels) {
  Metrics m;
  m.CountLogin("ldap", "ok");
  m.CountLogin("ldap", "ok");
  m.CountLogin("local", "bad_credentials");
  m.CountCheck(true);
  m.CountReload(false);
  std::string text = m.Render(3);
  EXPECT_NE(text.find("idbridge_logins_total{method=\"ldap\",result=\"ok\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("idbridge_logins_total{method=\"local\",result=\"bad_credentials\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("idbridge_checks_total{result=\"allow\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("idbridge_sessions 3\n"), std::string::npos);
  EXPECT_NE(text.find("idbridge_reloads_total{result=\"rejected\"} 1\n"), std::string::npos);
}

TEST(Metrics, DirectoryLatencyIsACumulativeHistogram) {
  Metrics m;
  m.ObserveDirectoryLatency("ldap:corp", 0.003);
  m.ObserveDirectoryLatency("ldap:corp", 0.2);
  std::string text = m.Render(0);
  EXPECT_NE(text.find("idbridge_directory_request_seconds_bucket{authenticator=\"ldap:corp\",le=\"0.0025\"} 0\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("idbridge_directory_request_seconds_bucket{authenticator=\"ldap:corp\",le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("idbridge_directory_request_seconds_bucket{authenticator=\"ldap:corp\",le=\"+Inf\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("idbridge_directory_request_seconds_count{authenticator=\"ldap:corp\"} 2\n"), std::string::npos);
}

TEST(Metrics, LabelValuesAreEscaped) {
  Metrics m;
  m.CountLogin("x\"y", "a\nb");
  std::string text = m.Render(0);
  EXPECT_NE(text.find("method=\"x\\\"y\",result=\"a\\nb\""), std::string::npos) << text;
}

}  // namespace
}  // namespace idb::daemon
