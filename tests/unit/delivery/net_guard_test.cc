// The CIDR parser and matcher (common/cidr.h) and the delivery network guard's rules
// (deny/allow networks, Herald's own listen address, mapped and unspecified addresses).
#include "delivery/net_guard.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>

namespace herald::delivery {
namespace {

IpAddress Ip(const char* text) {
  auto a = ParseIpAddress(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress());
}

Cidr Net(const char* text) {
  auto c = ParseCidr(text);
  EXPECT_TRUE(c.ok()) << text << ": " << c.status().message();
  return c.ok() ? *c : Cidr();
}

std::shared_ptr<NetGuard> Guard(std::vector<std::string> deny,
                                std::vector<std::string> allow = {}) {
  auto g = NetGuard::Create(deny, allow);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? *g : nullptr;
}

std::vector<std::string> Defaults() {
  std::vector<std::string> out;
  std::string s = kDefaultDenyNetworks;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// The guard's answer for an address in a denied network.
std::string Denied(const std::string& ip, const std::string& net) {
  return "destination " + ip + " is in a denied network (" + net + ")";
}

// The guard's answer for an address outside delivery.allow_networks.
std::string NotAllowed(const std::string& ip) {
  return "destination " + ip + " is not in an allowed network (delivery.allow_networks)";
}

// Checks each {address, expected answer} against `g` (port 80).
void ExpectChecks(const NetGuard& g,
                  std::initializer_list<std::pair<const char*, std::string>> cases) {
  for (const auto& [ip, want] : cases) EXPECT_EQ(g.Check(Ip(ip), 80), want) << ip;
}

TEST(IpAddress, ParsesStrictLiteralsOnly) {
  EXPECT_EQ(Ip("127.0.0.1").ToString(), "127.0.0.1");
  EXPECT_FALSE(Ip("127.0.0.1").v6);
  EXPECT_EQ(Ip("::1").ToString(), "::1");
  EXPECT_EQ(Ip("FE80:0:0::1").ToString(), "fe80::1");
  // Mapped IPv6 is the IPv4 address.
  IpAddress mapped = Ip("::ffff:169.254.169.254");
  EXPECT_FALSE(mapped.v6);
  EXPECT_EQ(mapped.ToString(), "169.254.169.254");
  EXPECT_EQ(Ip("::ffff:a9fe:a9fe"), mapped);
  // inet_aton shorthands, zone ids, brackets, junk: not literals here (the resolver judges those
  // by the address they reach).
  for (const char* bad :
       {"", "127.1", "2130706433", "0x7f000001", "0", "127.0.0.1.", "1.2.3.256", "fe80::1%eth0",
        "[::1]", "::1::2", "localhost", " 1.2.3.4", "1.2.3.4/8", "01.2.3.4"})
    EXPECT_FALSE(ParseIpAddress(bad).has_value()) << bad;
}

TEST(IpAddress, LoopbackAndUnspecified) {
  EXPECT_TRUE(Ip("127.255.0.9").IsLoopback());
  EXPECT_TRUE(Ip("::1").IsLoopback());
  EXPECT_FALSE(Ip("128.0.0.1").IsLoopback());
  EXPECT_FALSE(Ip("::2").IsLoopback());
  EXPECT_TRUE(Ip("0.0.0.0").IsUnspecified());
  EXPECT_TRUE(Ip("::").IsUnspecified());
  EXPECT_FALSE(Ip("0.0.0.1").IsUnspecified());
}

TEST(IpAddress, FromSockaddrUnmapsAndReadsThePort) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(8080);
  inet_pton(AF_INET6, "::ffff:127.0.0.2", &in6.sin6_addr);
  uint16_t port = 0;
  auto a = IpFromSockaddr(reinterpret_cast<sockaddr*>(&in6), sizeof in6, &port);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->ToString(), "127.0.0.2");
  EXPECT_EQ(port, 8080);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  EXPECT_FALSE(IpFromSockaddr(reinterpret_cast<sockaddr*>(&in), sizeof in - 1, &port).has_value());
  sockaddr un{};
  un.sa_family = AF_UNIX;
  EXPECT_FALSE(IpFromSockaddr(&un, sizeof un, &port).has_value());
}

TEST(Cidr, ParsesAndFormats) {
  EXPECT_EQ(Net("169.254.0.0/16").ToString(), "169.254.0.0/16");
  EXPECT_EQ(Net(" 10.0.0.0/8 ").ToString(), "10.0.0.0/8");
  EXPECT_EQ(Net("fe80::/10").ToString(), "fe80::/10");
  EXPECT_EQ(Net("fd00:ec2::254/128").ToString(), "fd00:ec2::254/128");
  // A bare address is a host network.
  EXPECT_EQ(Net("127.0.0.2").ToString(), "127.0.0.2/32");
  EXPECT_EQ(Net("::1").ToString(), "::1/128");
  EXPECT_EQ(Net("0.0.0.0/0").ToString(), "0.0.0.0/0");
  EXPECT_EQ(Net("::/0").ToString(), "::/0");
  // Mapped networks become IPv4 networks.
  Cidr mapped = Net("::ffff:169.254.0.0/112");
  EXPECT_FALSE(mapped.base.v6);
  EXPECT_EQ(mapped.ToString(), "169.254.0.0/16");
  EXPECT_EQ(Net("::ffff:0:0/96").ToString(), "0.0.0.0/0");
}

TEST(Cidr, RefusesMalformedInput) {
  for (const char* bad :
       {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/8/8",
        "10.0.0.0/ 8", "10.0.0.0/0x8", "10.0.0.0/0008", "10.0.0/8", "10.0.0.0.0/8", "fe80::/10x",
        "fe80::%1/64", "example.com/8", "1.2.3.4 5.6.7.8", "::ffff:0:0/95"}) {
    auto c = ParseCidr(bad);
    EXPECT_FALSE(c.ok()) << bad;
    if (!c.ok()) {
      EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
      EXPECT_NE(c.status().message().find(std::string("'") + bad + "'"), std::string::npos)
          << c.status().message();
    }
  }
  auto host_bits = ParseCidr("10.1.2.3/8");
  ASSERT_FALSE(host_bits.ok());
  EXPECT_NE(host_bits.status().message().find("did you mean 10.0.0.0/8?"), std::string::npos)
      << host_bits.status().message();
  EXPECT_FALSE(ParseCidr("fe80::1/10").ok());
}

TEST(Cidr, PrefixEdges) {
  // /32 and /128: exactly one address.
  EXPECT_TRUE(Net("127.0.0.2/32").Contains(Ip("127.0.0.2")));
  EXPECT_FALSE(Net("127.0.0.2/32").Contains(Ip("127.0.0.3")));
  EXPECT_TRUE(Net("fd00:ec2::254/128").Contains(Ip("fd00:ec2::254")));
  EXPECT_FALSE(Net("fd00:ec2::254/128").Contains(Ip("fd00:ec2::255")));
  // /0: every address of its family, none of the other.
  EXPECT_TRUE(Net("0.0.0.0/0").Contains(Ip("255.255.255.255")));
  EXPECT_TRUE(Net("0.0.0.0/0").Contains(Ip("0.0.0.0")));
  EXPECT_FALSE(Net("0.0.0.0/0").Contains(Ip("::1")));
  EXPECT_TRUE(Net("::/0").Contains(Ip("ffff::1")));
  EXPECT_FALSE(Net("::/0").Contains(Ip("10.0.0.1")));
  // Prefixes that end inside a byte.
  EXPECT_TRUE(Net("fe80::/10").Contains(Ip("febf:ffff::1")));
  EXPECT_FALSE(Net("fe80::/10").Contains(Ip("fec0::1")));
  EXPECT_TRUE(Net("10.128.0.0/9").Contains(Ip("10.255.255.255")));
  EXPECT_FALSE(Net("10.128.0.0/9").Contains(Ip("10.127.255.255")));
  EXPECT_TRUE(Net("169.254.0.0/16").Contains(Ip("::ffff:169.254.169.254")));
  EXPECT_TRUE(Net("::ffff:127.0.0.0/104").Contains(Ip("127.9.9.9")));
}

TEST(NetGuard, DefaultsDenyLinkLocalAndMetadataOnly) {
  auto g = Guard(Defaults());
  ExpectChecks(*g, {{"169.254.169.254", Denied("169.254.169.254", "169.254.0.0/16")},
                    {"::ffff:169.254.169.254", Denied("169.254.169.254", "169.254.0.0/16")},
                    {"fe80::1", Denied("fe80::1", "fe80::/10")},
                    {"fd00:ec2::254", Denied("fd00:ec2::254", "fd00:ec2::254/128")}});
  // Internal destinations stay allowed.
  for (const char* ok :
       {"127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.0.1", "::1", "fd00::1", "8.8.8.8"})
    EXPECT_EQ(g->Check(Ip(ok), 9000), "") << ok;
}

TEST(NetGuard, AllowListAndDenyWins) {
  auto g = Guard({"10.9.0.0/16"}, {"10.0.0.0/8", "::1"});
  ExpectChecks(*g, {{"10.1.2.3", ""},
                    {"::1", ""},
                    {"10.9.0.1", Denied("10.9.0.1", "10.9.0.0/16")},
                    {"192.168.1.1", NotAllowed("192.168.1.1")},
                    {"::2", NotAllowed("::2")}});
  // No networks at all: everything but Herald itself is allowed.
  auto open = Guard({});
  EXPECT_EQ(open->Check(Ip("169.254.169.254"), 80), "");
}

TEST(NetGuard, UnspecifiedAddressIsJudgedAsLoopbackToo) {
  ExpectChecks(*Guard({"127.0.0.1/32", "::1/128"}),
               {{"0.0.0.0", Denied("0.0.0.0", "127.0.0.1/32")}, {"::", Denied("::", "::1/128")}});
  auto allow = Guard({}, {"10.0.0.0/8"});
  EXPECT_NE(allow->Check(Ip("0.0.0.0"), 80), "");
}

TEST(NetGuard, Nat64AndCompatibleAddressesAreJudgedByTheirIpv4Too) {
  auto g = Guard(Defaults());
  for (const char* ip : {"64:ff9b::a9fe:a9fe", "::169.254.169.254"})
    EXPECT_EQ(g->Check(Ip(ip), 80), Denied(ip, "169.254.0.0/16"));
  // An IPv4 outside the denied networks; and not the well-known prefix.
  for (const char* ip : {"64:ff9b::a00:1", "64:ff9b:1::a9fe:a9fe"})
    EXPECT_EQ(g->Check(Ip(ip), 80), "") << ip;
}

TEST(NetGuard, OwnListenAddressIsThatAddressAndPortOnly) {
  auto g = Guard({});
  g->SetSelf("127.0.0.1", 8080);
  EXPECT_EQ(g->Check(Ip("127.0.0.1"), 8080),
            "destination 127.0.0.1:8080 is Herald's own listen address");
  EXPECT_EQ(g->Check(Ip("::ffff:127.0.0.1"), 8080),
            "destination 127.0.0.1:8080 is Herald's own listen address");
  EXPECT_NE(g->Check(Ip("0.0.0.0"), 8080), "");    // reaches the listener too
  EXPECT_EQ(g->Check(Ip("127.0.0.1"), 9000), "");  // the README's receiver
  EXPECT_EQ(g->Check(Ip("127.0.0.2"), 8080), "");  // another address, same port
  // Port 0 (not known yet) guards nothing; a later call replaces the entry.
  g->SetSelf("127.0.0.1", 0);
  EXPECT_EQ(g->Check(Ip("127.0.0.1"), 8080), "");
  g->SetSelf("::1", 7000);
  EXPECT_NE(g->Check(Ip("::1"), 7000), "");
  EXPECT_EQ(g->Check(Ip("127.0.0.1"), 7000), "");
}

TEST(NetGuard, WildcardListenMeansEveryLocalAddress) {
  for (const char* any : {"0.0.0.0", "::", ""}) {
    auto g = Guard({});
    g->SetSelf(any, 8080);
    EXPECT_NE(g->Check(Ip("127.0.0.1"), 8080), "") << any;
    EXPECT_NE(g->Check(Ip("127.3.2.1"), 8080), "") << any;
    EXPECT_NE(g->Check(Ip("::1"), 8080), "") << any;
    EXPECT_NE(g->Check(Ip("0.0.0.0"), 8080), "") << any;
    EXPECT_EQ(g->Check(Ip("127.0.0.1"), 8081), "") << any;
    // Not a local address (TEST-NET-3 is never assigned to this machine).
    EXPECT_EQ(g->Check(Ip("203.0.113.7"), 8080), "") << any;
  }
}

TEST(NetGuard, CheckHostResolvesNumericShorthands) {
  auto g = Guard({"127.0.0.2/32"});
  for (const char* host : {"127.0.0.2", "2130706434", "0x7f000002", "127.2", "[::ffff:127.0.0.2]"})
    EXPECT_EQ(g->CheckHost(host, 80), "destination 127.0.0.2 is in a denied network (127.0.0.2/32)")
        << host;
  EXPECT_EQ(g->CheckHost("127.0.0.3", 80), "");
  auto zero = Guard({"127.0.0.1/32"});
  EXPECT_NE(zero->CheckHost("0", 80), "");
  std::string err = g->CheckHost("no-such-host.invalid", 80);
  EXPECT_EQ(err.rfind("Failed to resolve host 'no-such-host.invalid'", 0), 0u) << err;
}

TEST(NetGuard, CreateNamesTheOptionAndEntry) {
  auto bad = NetGuard::Create({"169.254.0.0/16", "10.0.0.0/33"}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kConfig);
  EXPECT_EQ(bad.status().message().rfind("delivery.deny_networks: '10.0.0.0/33'", 0), 0u)
      << bad.status().message();
  auto bad_allow = NetGuard::Create({}, {"nope"});
  ASSERT_FALSE(bad_allow.ok());
  EXPECT_EQ(bad_allow.status().message().rfind("delivery.allow_networks: 'nope'", 0), 0u);
  // Blank list items (a trailing comma) are ignored.
  EXPECT_TRUE(NetGuard::Create({"10.0.0.0/8", " "}, {""}).ok());
}

}  // namespace
}  // namespace herald::delivery
